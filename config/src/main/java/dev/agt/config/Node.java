package dev.agt.config;

import java.util.List;
import java.util.Map;

/**
 * A YAML value with the place it was written, so every validation error can say
 * {@code file:line:column}. Maps keep their keys' places too.
 */
public sealed interface Node {

    Source.Pos pos();

    /** A scalar as YAML typed it: String, Long, Double, Boolean, or null for YAML null. */
    record Scalar(Source.Pos pos, Object value) implements Node {
        public boolean isString() {
            return value instanceof String;
        }

        public String describe() {
            if (value == null) {
                return "null";
            }
            if (value instanceof String) {
                return "a string";
            }
            if (value instanceof Boolean) {
                return "a boolean";
            }
            return "a number";
        }
    }

    record Seq(Source.Pos pos, List<Node> items) implements Node {
    }

    /** A mapping; {@code keys} holds where each key was written. */
    record Map_(Source.Pos pos, Map<String, Node> entries, Map<String, Source.Pos> keys) implements Node {
    }

    static String kind(Node n) {
        if (n instanceof Seq) {
            return "a list";
        }
        if (n instanceof Map_) {
            return "a mapping";
        }
        return ((Scalar) n).describe();
    }
}
