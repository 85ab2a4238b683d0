package dev.agt.protocol;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The target fields the vocabulary defines, each with its type. A target may carry other fields
 * (an interception rule names its own, and {@code where:} can test them), but a field named
 * here must have its type: a field of the wrong type would silently fail to match, and a deny
 * rule that fails to match is a hole ({@code "port": "22"} slipping past a deny on port 22).
 */
public enum TargetField {
    PATH("path", Type.STRING),
    /** The second path of a rename or link. */
    DEST("dest", Type.STRING),
    HOST("host", Type.STRING),
    IP("ip", Type.STRING),
    PORT("port", Type.PORT),
    /** {@code tcp}, {@code udp} or {@code unix} for net; for mcp, the client transport's class. */
    TRANSPORT("transport", Type.STRING),
    /** For mcp, where the client transport points when that could be read but no server could be named. */
    ENDPOINT("endpoint", Type.STRING),
    URL("url", Type.STRING),
    /** An HTTP method, or the JDK method a {@code native/restricted} call is (its class and name). */
    METHOD("method", Type.STRING),
    EXECUTABLE("executable", Type.STRING),
    ARGV("argv", Type.STRINGS),
    CWD("cwd", Type.STRING),
    /** The names of the environment variables a launch sets (never their values). */
    ENV("env", Type.STRINGS),
    /** The process a signal is for. */
    PID("pid", Type.INTEGER),
    /** The MCP server: its stdio command line or its URL. */
    SERVER("server", Type.STRING),
    /** An MCP tool or prompt, or a framework tool. */
    TOOL("tool", Type.STRING),
    /** What an {@code mcp/list} returned; see {@link #TOOL_ENTRY_FIELDS}. */
    TOOLS("tools", Type.TOOLS),
    /** A call's arguments, as JSON values ({@code where:} reads them by pointer). */
    ARGUMENTS("arguments", Type.ANY),
    /** What a tool call returned, reported at return: scanned by the engine before the application gets it. */
    RESULT("result", Type.ANY),
    /** The model provider a model call goes to ({@code openai}, {@code anthropic}...). */
    PROVIDER("provider", Type.STRING),
    /** The model a model call asks for, as the client names it. */
    MODEL("model", Type.STRING),
    /** The most output tokens a model call declared it may use. */
    MAX_TOKENS("max_tokens", Type.COUNT),
    /** What a model call used, reported at return: {@code {input, output, cached}} token counts. */
    USAGE("usage", Type.USAGE);

    /** The fields of {@code usage}: each a whole, non-negative token count. */
    public static final Set<String> USAGE_FIELDS = Set.of("input", "output", "cached");

    /** The largest token count a request may carry: far beyond any model's window, far below overflow in any sum. */
    public static final long MAX_COUNT = 1L << 40;

    /** The fields of one entry of {@code tools}: each a string, {@code name} required. */
    public static final Set<String> TOOL_ENTRY_FIELDS = Set.of("name", "description", "schema");

    /** The value types of target fields. */
    public enum Type {
        STRING, INTEGER, PORT, STRINGS, TOOLS, ANY,
        /** A whole, non-negative count no larger than {@link #MAX_COUNT}. */
        COUNT,
        /** A map of {@link #USAGE_FIELDS} to counts. */
        USAGE
    }

    private final String key;
    private final Type type;

    TargetField(String key, Type type) {
        this.key = key;
        this.type = type;
    }

    public String key() {
        return key;
    }

    public Type type() {
        return type;
    }

    /** The vocabulary's field of this name; empty for a field the vocabulary does not define. */
    public static Optional<TargetField> of(String key) {
        for (TargetField f : values()) {
            if (f.key.equals(key)) {
                return Optional.of(f);
            }
        }
        return Optional.empty();
    }

    /** Why {@code value} is not of this field's type, or empty when it is. */
    public Optional<String> problem(Object value) {
        String bad = switch (type) {
            case STRING -> value instanceof String ? null : "must be a string";
            case INTEGER -> value instanceof Long ? null : "must be an integer";
            case PORT -> value instanceof Long p && p >= 0 && p <= 65535 ? null : "must be an integer 0-65535";
            case STRINGS -> value instanceof List<?> l && l.stream().allMatch(a -> a instanceof String) ? null
                    : this == ENV ? "must be a list of variable names" : "must be a list of strings";
            case TOOLS -> tools(value);
            case ANY -> null;
            case COUNT -> count(value) ? null : "must be a whole number from 0 to " + MAX_COUNT;
            case USAGE -> usage(value);
        };
        return bad == null ? Optional.empty() : Optional.of("target field '" + key + "' " + bad);
    }

    /**
     * A token count as the wire carries it: a Long in range. A double (NaN, Infinity, 1e309, a
     * fraction, -0.0), a string or a negative number is not one: a count that could be any of
     * those could be made to add up to less than was spent.
     */
    private static boolean count(Object v) {
        return v instanceof Long n && n >= 0 && n <= MAX_COUNT;
    }

    private static String usage(Object v) {
        if (!(v instanceof Map<?, ?> m)) {
            return "must be a map of input, output and cached token counts";
        }
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (!USAGE_FIELDS.contains(e.getKey())) {
                return "has unknown field '" + ValueCodec.clip(String.valueOf(e.getKey())) + "' (fields: input, output, cached)";
            }
            if (!count(e.getValue())) {
                return "field '" + e.getKey() + "' must be a whole number from 0 to " + MAX_COUNT;
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
            return "must be a list of tools ({name, description, schema})";
        }
        for (int i = 0; i < l.size(); i++) {
            if (!(l.get(i) instanceof Map<?, ?> t)) {
                return "entry " + i + " must be a map with name, description and schema";
            }
            if (!(t.get("name") instanceof String n) || n.isEmpty()) {
                return "entry " + i + " needs 'name', a non-empty string";
            }
            for (Map.Entry<?, ?> f : t.entrySet()) {
                if (!TOOL_ENTRY_FIELDS.contains(f.getKey())) {
                    return "entry " + i + " has unknown field '" + ValueCodec.clip(String.valueOf(f.getKey()))
                            + "' (fields: name, description, schema)";
                }
                if (!(f.getValue() instanceof String)) {
                    return "entry " + i + " field '" + f.getKey() + "' must be a string";
                }
            }
        }
        return null;
    }
}
