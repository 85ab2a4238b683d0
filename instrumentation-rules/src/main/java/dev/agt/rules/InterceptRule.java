package dev.agt.rules;

import java.util.List;
import java.util.Map;

/**
 * One interception rule: which methods to intercept (a class selector, a method name and its
 * parameters), which request to send for each call (family, action, and target fields built
 * from the call's receiver, arguments or result), and how to apply the decision.
 *
 * @param params     parameter types as Java names ("java.lang.String", "int", "byte[]"), or null for any
 * @param paramCount the number of parameters, or -1 for any
 * @param origin     where the rule was written ({@code file:line:column}), for reports
 * @param places     where its parts were written: {@code selector}, {@code method}, {@code target.NAME}
 */
public record InterceptRule(String id, String description, ClassSelector selector, String method, List<String> params,
                            int paramCount, At at, String family, String action, Map<String, Field> target, Mode mode,
                            boolean builtin, String origin, Map<String, String> places) {

    /** Where a part of the rule was written, or the rule's own place. */
    public String place(String part) {
        return places.getOrDefault(part, origin);
    }

    /**
     * When the request is made: before the method runs (a call about to happen); on its result
     * (list-style calls, usage reports); or on entry of a completion callback, whose arguments are
     * the outcome of a call made earlier (a streamed model call's final response or its error).
     * Requests made at return or completion are about a call that already happened: the wire marks
     * them {@code "at": "return"}, and the engine settles rather than admits them.
     */
    public enum At {
        ENTRY, RETURN, COMPLETION;

        /** Whether the request describes a call that already happened. */
        public boolean afterCall() {
            return this != ENTRY;
        }
    }

    /** enforce: denials throw; monitor: denials are logged as would-be denials, the call goes on; off: not intercepted. */
    public enum Mode {
        ENFORCE, MONITOR, OFF
    }

    /**
     * Whether the target reads the call's arguments ({@code argN}): an at-return rule that does
     * needs them kept from the method's entry, since the method's own code may reuse their slots.
     */
    public boolean readsArguments() {
        return readsArguments(target);
    }

    private static boolean readsArguments(Map<String, Field> fields) {
        for (Field f : fields.values()) {
            for (Expr e : f.alternatives()) {
                if (Expr.paths(e).stream().anyMatch(p -> p.argIndex() >= 0)) {
                    return true;
                }
            }
            // an 'each' reads list elements (this.x), never the call's arguments
            if (f.fields() != null && readsArguments(f.fields())) {
                return true;
            }
        }
        return false;
    }

    /** Whether a method with this name and these parameter types (Java names) is selected. */
    public boolean matchesMethod(String name, List<String> paramTypes) {
        if (!method.equals(name)) {
            return false;
        }
        if (params != null) {
            return params.equals(paramTypes);
        }
        return paramCount < 0 || paramCount == paramTypes.size();
    }
}
