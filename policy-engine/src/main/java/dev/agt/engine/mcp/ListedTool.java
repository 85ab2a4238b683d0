package dev.agt.engine.mcp;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agt.identity.CanonicalJson;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One tool of an {@code mcp/list} target, as the agent reported it.
 *
 * @param description empty when the server gave none
 * @param schema      the input JSON schema as JSON text, or null when the server gave none
 */
public record ListedTool(String name, String description, String schema) {
    static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    /** The tools of a target already checked by {@code Vocabulary.typeProblem}. */
    public static List<ListedTool> of(Object tools) {
        List<ListedTool> out = new ArrayList<>();
        if (tools instanceof List<?> l) {
            for (Object o : l) {
                Map<?, ?> m = (Map<?, ?>) o;
                out.add(new ListedTool((String) m.get("name"), m.get("description") instanceof String d ? d : "",
                        m.get("schema") instanceof String s ? s : null));
            }
        }
        return out;
    }

    /** The schema as plain values (maps, lists, strings, numbers), or null when absent or not JSON. */
    Object parsedSchema() {
        if (schema == null) {
            return null;
        }
        try {
            JsonNode n = JSON.readTree(schema);
            return n == null || n.isMissingNode() ? null : plain(n);
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * SHA-256 (hex) over the canonical JSON of name, description and schema. A schema that is JSON is
     * canonicalized first (keys sorted, no whitespace), so a server that re-serializes the same
     * schema differently does not look changed; one that is not JSON is hashed as its text, under
     * a key of its own.
     */
    public String fingerprint() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("description", description);
        if (schema != null) {
            Object parsed = parsedSchema();
            if (parsed != null) {
                m.put("schema", parsed);
            } else {
                m.put("schema_text", schema); // its own key: the text "x" must not hash like the JSON string "x"
            }
        }
        try {
            return java.util.HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(CanonicalJson.bytes(m)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Object plain(JsonNode n) {
        if (n.isObject()) {
            Map<String, Object> m = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> e : n.properties()) {
                m.put(e.getKey(), plain(e.getValue()));
            }
            return m;
        }
        if (n.isArray()) {
            List<Object> l = new ArrayList<>();
            n.forEach(i -> l.add(plain(i)));
            return l;
        }
        if (n.isIntegralNumber() && n.canConvertToLong()) {
            return n.longValue();
        }
        if (n.isNumber()) {
            double d = n.doubleValue();
            return Double.isFinite(d) ? d : n.asText();
        }
        if (n.isBoolean()) {
            return n.booleanValue();
        }
        if (n.isNull()) {
            return null;
        }
        return n.asText();
    }
}
