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
    /** The fields of one entry of an {@code mcp/list} target's {@code tools}. */
    public static final Set<String> TOOL_FIELDS = Set.of("name", "description", "schema");

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
            if (k.equals("tools")) {
                String bad = tools(v);
                if (bad != null) {
                    return bad;
                }
                if (!(target.get("server") instanceof String s) || s.isEmpty()) {
                    // tools are pinned per server: a list that names none cannot be compared with anything
                    return "target field 'tools' needs 'server' (the stdio command line or URL the tools came from)";
                }
            }
        }
        return null;
    }

    /**
     * {@code tools}: a list of maps, each with a non-empty string {@code name} and optional string
     * {@code description} and {@code schema} (the input JSON schema as JSON text). Other fields are
     * refused: a field the engine neither scans nor fingerprints could carry text past both.
     */
    private static String tools(Object v) {
        if (!(v instanceof List<?> l)) {
            return "target field 'tools' must be a list of tools ({name, description, schema})";
        }
        for (int i = 0; i < l.size(); i++) {
            if (!(l.get(i) instanceof Map<?, ?> t)) {
                return "target field 'tools' entry " + i + " must be a map with name, description and schema";
            }
            if (!(t.get("name") instanceof String n) || n.isEmpty()) {
                return "target field 'tools' entry " + i + " needs 'name', a non-empty string";
            }
            for (Map.Entry<?, ?> f : t.entrySet()) {
                if (!TOOL_FIELDS.contains(f.getKey())) {
                    return "target field 'tools' entry " + i + " has unknown field '" + f.getKey() + "' (fields: name, description, schema)";
                }
                if (!(f.getValue() instanceof String)) {
                    return "target field 'tools' entry " + i + " field '" + f.getKey() + "' must be a string";
                }
            }
        }
        return null;
    }
}
