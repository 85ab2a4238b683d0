package dev.agt.audit.log;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;

/**
 * The fields of one stored entry that the chain needs, read without building a tree: the
 * top-level {@code seq}, {@code prev}, {@code time}, {@code type}. Nested values are skipped.
 */
public record EntryLine(long seq, String prev, String time, String type) {
    private static final JsonFactory JSON = new JsonFactory();

    /** Null when the line is not a JSON object with a numeric seq and a string prev. */
    public static EntryLine parse(byte[] line, int off, int len) {
        try (JsonParser p = JSON.createParser(line, off, len)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            long seq = -1;
            String prev = null;
            String time = null;
            String type = null;
            for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                switch (name) {
                    case "seq" -> seq = v == JsonToken.VALUE_NUMBER_INT ? p.getLongValue() : -1;
                    case "prev" -> prev = v == JsonToken.VALUE_STRING ? p.getText() : null;
                    case "time" -> time = v == JsonToken.VALUE_STRING ? p.getText() : null;
                    case "type" -> type = v == JsonToken.VALUE_STRING ? p.getText() : null;
                    default -> p.skipChildren();
                }
            }
            if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
                return null;
            }
            return seq < 0 || prev == null ? null : new EntryLine(seq, prev, time, type);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
