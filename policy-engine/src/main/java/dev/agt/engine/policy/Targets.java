package dev.agt.engine.policy;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Type checks on the target fields the policy language reads. A field of the wrong type would
 * silently fail to match, and a deny rule that fails to match is a hole ("port": "22" slipping
 * past a deny on port 22), so such requests are refused as malformed instead of decided.
 */
public final class Targets {
    static final Set<String> STRINGS = Set.of("path", "dest", "host", "ip", "transport", "url", "method", "executable",
            "cwd", "server", "tool");

    private Targets() {
    }

    /** A description of the first ill-typed field, or null when the target is well-formed. */
    public static String problem(Map<String, Object> target) {
        for (Map.Entry<String, Object> e : target.entrySet()) {
            String k = e.getKey();
            Object v = e.getValue();
            if (STRINGS.contains(k) && !(v instanceof String)) {
                return "target field '" + k + "' must be a string";
            }
            if (k.equals("port") && !(v instanceof Long p && p >= 0 && p <= 65535)) {
                return "target field 'port' must be an integer 0-65535";
            }
            if (k.equals("argv") && !(v instanceof List<?> l && l.stream().allMatch(a -> a instanceof String))) {
                return "target field 'argv' must be a list of strings";
            }
            if (k.equals("env") && !(v instanceof List<?> l && l.stream().allMatch(a -> a instanceof String))) {
                return "target field 'env' must be a list of variable names";
            }
        }
        return null;
    }
}
