package dev.agt.audit.entry;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** The few conversions the entry models share. */
final class Json {
    /** Integers as Long, as the engine writes them, so a model read back equals the one written. */
    static final ObjectMapper MAPPER = new ObjectMapper().enable(DeserializationFeature.USE_LONG_FOR_INTS);
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {
    };

    private Json() {
    }

    /** An object member as a map, or empty when it is missing or not an object. */
    static Optional<Map<String, Object>> map(JsonNode n) {
        return n != null && n.isObject() ? Optional.of(MAPPER.convertValue(n, MAP)) : Optional.empty();
    }

    /** An object of counts, keeping the integer members. */
    static Map<String, Long> counts(JsonNode n) {
        Map<String, Long> m = new TreeMap<>();
        if (n != null && n.isObject()) {
            n.fields().forEachRemaining(f -> {
                if (f.getValue().canConvertToLong()) {
                    m.put(f.getKey(), f.getValue().asLong());
                }
            });
        }
        return m;
    }

    /**
     * An unmodifiable copy that keeps null members: a line that does not verify may hold them,
     * and {@link Map#copyOf} would refuse it.
     */
    static Map<String, Object> copy(Map<String, Object> m) {
        return Collections.unmodifiableMap(new LinkedHashMap<>(m));
    }

    /** An unmodifiable copy that keeps null elements (see {@link #copy(Map)}). */
    static <T> List<T> copy(List<T> l) {
        return Collections.unmodifiableList(new ArrayList<>(l));
    }

    /** The agent's name as reports show it: its name, else its id, else {@code ?}. */
    static String agentName(Map<String, Object> agent) {
        Object n = agent.get("name");
        return n != null ? String.valueOf(n) : String.valueOf(agent.getOrDefault("id", "?"));
    }

    static long number(Object o, long otherwise) {
        return o instanceof Number n ? n.longValue() : otherwise;
    }
}
