package dev.agt.audit.entry;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
}
