package dev.agt.protocol;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a request of each family and action must carry, and the checks every request meets
 * before the policy sees it. The engine checks; the agent sends what it could read.
 *
 * <p>A required field is one that deny rules are written against and that a request cannot
 * do without: an {@code mcp/call} without its {@code tool} would slip past every deny rule
 * that names a tool, while an allow rule without one still matches it. Such a request is
 * denied as {@link Reasons#INCOMPLETE_REQUEST}, and the denial is logged like any decision, so
 * a broken interception rule shows in the log rather than only on the agent's console.
 *
 * <p>An MCP request's {@code server} is not required: a client on a transport the rules cannot
 * read a server from (a custom or in-process one) still asks, with its {@code transport} class
 * and any {@code endpoint}, and the policy decides. The engine's built-in rule
 * {@code builtin.mcp-unknown-server} denies such requests unless the policy switches it off.
 * An {@code mcp/list} about a returned list ({@link Request#atReturn()}) requires its
 * {@code tools}; the one made before the list is requested does not have them yet.
 */
public final class Vocabulary {

    /**
     * One required field: {@code field} present and of its type, and, when {@code key} is not
     * empty, a map holding a string under {@code key} (an {@code mcp/read}'s resource URI is its
     * {@code arguments.uri}).
     */
    public record Required(TargetField field, Optional<String> key) {
        static Required of(TargetField field) {
            return new Required(field, Optional.empty());
        }

        /** As messages and the README write it: {@code server}, {@code arguments.uri}. */
        public String describe() {
            return field.key() + key.map(k -> "." + k).orElse("");
        }

        boolean presentIn(Map<String, Object> target) {
            Object v = target.get(field.key());
            if (v == null || field.problem(v).isPresent()) {
                return false;
            }
            return key.isEmpty() || v instanceof Map<?, ?> m && m.get(key.get()) instanceof String;
        }
    }

    private Vocabulary() {
    }

    /** The fields a request of {@code family}/{@code action}, made before its call, requires. */
    public static List<Required> required(Family family, String action) {
        return required(family, action, false);
    }

    /**
     * The fields a request of {@code family}/{@code action} requires (none for an action
     * outside the family); {@code atReturn} for one built from the call's result.
     */
    public static List<Required> required(Family family, String action, boolean atReturn) {
        List<Required> r = new ArrayList<>();
        if (!family.has(action)) {
            return List.of();
        }
        switch (family) {
            case FILE -> {
                r.add(Required.of(TargetField.PATH));
                if (action.equals("rename") || action.equals("link")) {
                    r.add(Required.of(TargetField.DEST));
                }
            }
            case PROCESS -> r.add(Required.of(action.equals("exec") ? TargetField.EXECUTABLE : TargetField.PID));
            case NATIVE -> r.add(Required.of(action.equals("load") ? TargetField.PATH : TargetField.METHOD));
            case MCP -> {
                switch (action) {
                    case "call", "prompt" -> r.add(Required.of(TargetField.TOOL));
                    case "list" -> {
                        if (atReturn) {
                            r.add(Required.of(TargetField.TOOLS));
                        }
                    }
                    default -> r.add(new Required(TargetField.ARGUMENTS, Optional.of("uri")));
                }
            }
            case TOOL -> r.add(Required.of(TargetField.TOOL));
            case MODEL -> {
                // deny rules name providers and models: a model call that cannot say both is the engine's to refuse
                r.add(Required.of(TargetField.PROVIDER));
                r.add(Required.of(TargetField.MODEL));
            }
            case NET -> {
                // a net target is ip+port, a Unix socket path, or a host to resolve: no one field
                // is always there, and each of them is checked by its own rules' conditions
            }
        }
        return List.copyOf(r);
    }

    /**
     * Why {@code target} is ill-typed: the first field of the vocabulary whose value is not of
     * its type. Such a request is malformed ({@code bad-request}), not decided.
     */
    public static Optional<String> typeProblem(Map<String, Object> target) {
        for (Map.Entry<String, Object> e : target.entrySet()) {
            Optional<TargetField> f = TargetField.of(e.getKey());
            if (f.isPresent()) {
                Optional<String> bad = f.get().problem(e.getValue());
                if (bad.isPresent()) {
                    return bad;
                }
            }
        }
        return Optional.empty();
    }

    /**
     * The required fields {@code request} lacks, as a sentence, or empty when it has them all
     * (or names a family or action outside the vocabulary, which the policy denies by itself).
     */
    public static Optional<String> incomplete(Request request) {
        Optional<Family> family = Family.of(request.family());
        if (family.isEmpty()) {
            return Optional.empty();
        }
        List<String> missing = new ArrayList<>();
        for (Required r : required(family.get(), request.action(), request.atReturn())) {
            if (!r.presentIn(request.target())) {
                missing.add(r.describe());
            }
        }
        return missing.isEmpty() ? Optional.empty() : Optional.of(request.family() + "/" + request.action() + " needs "
                + String.join(", ", missing) + " in its target; the agent could not read " + (missing.size() == 1 ? "it" : "them")
                + " from the call (check the interception rule that built the request)");
    }
}
