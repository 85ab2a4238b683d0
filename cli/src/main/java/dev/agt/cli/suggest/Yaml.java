package dev.agt.cli.suggest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Writing YAML by hand, safely: every string is a JSON string literal, which YAML reads as a
 * double-quoted scalar with the same escapes, so no path, host or argument can turn into YAML
 * syntax, a number or a boolean. Flow values (test requests) are JSON, which is YAML too.
 */
final class Yaml {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Yaml() {
    }

    static String q(String s) {
        return json(s);
    }

    /** Any plain value (strings, longs, lists, maps) as a one-line flow value. */
    static String json(Object v) {
        try {
            return JSON.writeValueAsString(v);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static String list(List<String> items) {
        return items.stream().map(Yaml::q).collect(Collectors.joining(", ", "[", "]"));
    }

    /** Text safe inside a comment: one line, no control characters. */
    static String comment(String s) {
        StringBuilder b = new StringBuilder(s.length());
        s.codePoints().forEach(c -> b.appendCodePoint(c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == 0x2028 || c == 0x2029 ? '?' : c));
        return b.toString();
    }
}
