package dev.agt.identity;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.JsonEOFException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Strict reading of this module's JSON (the registry file, delegation token payloads), with where
 * each value starts, for {@code FILE:LINE:COLUMN} messages. Writing is {@link CanonicalJson}'s.
 *
 * <p>The tokens come from jackson-core's streaming parser: the project reads JSON with Jackson
 * everywhere, and the javaagent, which carries this module, already carries jackson-core
 * (relocated into its own package, so it never meets the application's Jackson). No object
 * mapping, so no jackson-databind. The agent's start-up reads no JSON (see {@link KeyFile}), so
 * the parser is loaded only when a registry or a token payload is read.
 *
 * <p>Values are {@code null}, Boolean, Long, String, List and Map with String keys. Refused, with
 * the place: anything jackson-core refuses by default (comments, single quotes, unquoted names,
 * trailing commas, leading zeros, NaN, unescaped control characters, unknown escapes); duplicate
 * keys (at the second); text after the value; nesting deeper than {@link #MAX_DEPTH}; fractions
 * and exponents (tokens and the registry hold only integers, so one is refused rather than
 * rounded); integers outside a long (refused, never widened or rounded; beyond 1000 digits
 * jackson-core refuses them before they are parsed); lone surrogates, escaped or not (Jackson
 * passes them through; they have no UTF-8 form, so a token holding one could not be re-encoded
 * to its own bytes).
 */
final class Json {
    static final int MAX_DEPTH = 16;
    /** Jackson's defaults are strict JSON; a factory is immutable and its parsers independent. */
    private static final JsonFactory FACTORY = new JsonFactory();

    private Json() {
    }

    record Pos(int line, int column) {
        @Override
        public String toString() {
            return line + ":" + column;
        }
    }

    /** A parsed document and where each value starts, by path: {@code ""}, {@code .agents[2].name}. */
    record Parsed(Object value, Map<String, Pos> positions) {
        Pos at(String path) {
            Pos p = positions.get(path);
            return p != null ? p : positions.getOrDefault("", new Pos(1, 1));
        }
    }

    /** Text that is not the JSON accepted here, and where. */
    static final class Syntax extends Exception {
        private static final long serialVersionUID = 1L;
        final Pos pos;

        Syntax(Pos pos, String message) {
            super(message);
            this.pos = pos;
        }
    }

    static Parsed parse(String text) throws Syntax {
        Map<String, Pos> positions = new HashMap<>();
        JsonParser p;
        try {
            p = FACTORY.createParser(text);
        } catch (IOException e) {
            throw new IllegalStateException("reading JSON from a string failed: " + e.getMessage(), e); // no I/O here
        }
        try (p) {
            JsonToken first = p.nextToken();
            if (first == null) {
                throw new Syntax(at(text, text.length()), "unexpected end of the text");
            }
            Object value = value(p, first, "", 0, positions);
            int end = (int) p.currentLocation().getCharOffset();
            JsonToken more;
            try {
                more = p.nextToken();
            } catch (JsonProcessingException e) {
                more = JsonToken.NOT_AVAILABLE; // whatever follows, it is not JSON: refused below either way
            }
            if (more != null) {
                throw new Syntax(at(text, firstNonSpace(text, end)), "unexpected text after the JSON value");
            }
            return new Parsed(value, Collections.unmodifiableMap(positions));
        } catch (JsonEOFException e) {
            throw new Syntax(at(text, text.length()), "unexpected end of the text");
        } catch (JsonProcessingException e) {
            // a limit (a number of more than 1000 digits) is reported without a location: the token's start is it
            throw new Syntax(pos(e.getLocation() != null ? e.getLocation() : p.currentTokenLocation()), message(e));
        } catch (IOException e) {
            throw new IllegalStateException("reading JSON from a string failed: " + e.getMessage(), e);
        }
    }

    private static Object value(JsonParser p, JsonToken t, String path, int depth, Map<String, Pos> positions)
            throws IOException, Syntax {
        if (t == null) { // the parser reports an early end itself; this is the guard if it ever does not
            throw new Syntax(pos(p.currentLocation()), "unexpected end of the text");
        }
        Pos here = pos(p.currentTokenLocation());
        positions.put(path, here);
        switch (t) {
            case START_OBJECT -> {
                checkDepth(depth + 1, here);
                Map<String, Object> m = new LinkedHashMap<>();
                for (JsonToken k = p.nextToken(); k != JsonToken.END_OBJECT; k = p.nextToken()) {
                    Pos keyPos = pos(p.currentTokenLocation());
                    if (k != JsonToken.FIELD_NAME) { // the parser fails first; this keeps a null name out if it ever does not
                        throw new Syntax(keyPos, "expected a key in double quotes");
                    }
                    String key = checkedText(p.currentName(), keyPos);
                    if (m.containsKey(key)) {
                        throw new Syntax(keyPos, "duplicate key '" + key + "'");
                    }
                    m.put(key, value(p, p.nextToken(), path + "." + key, depth + 1, positions));
                }
                return m;
            }
            case START_ARRAY -> {
                checkDepth(depth + 1, here);
                List<Object> l = new ArrayList<>();
                for (JsonToken v = p.nextToken(); v != JsonToken.END_ARRAY; v = p.nextToken()) {
                    l.add(value(p, v, path + "[" + l.size() + "]", depth + 1, positions));
                }
                return l;
            }
            case VALUE_STRING -> {
                return checkedText(p.getText(), here);
            }
            case VALUE_NUMBER_INT -> {
                JsonParser.NumberType type = p.getNumberType();
                if (type != JsonParser.NumberType.INT && type != JsonParser.NumberType.LONG) {
                    throw new Syntax(here, "integer out of range");
                }
                return p.getLongValue();
            }
            case VALUE_NUMBER_FLOAT -> throw new Syntax(here, "only integers are numbers here");
            case VALUE_TRUE -> {
                return Boolean.TRUE;
            }
            case VALUE_FALSE -> {
                return Boolean.FALSE;
            }
            case VALUE_NULL -> {
                return null;
            }
            default -> throw new Syntax(here, "unexpected " + t.asString());
        }
    }

    private static void checkDepth(int depth, Pos at) throws Syntax {
        if (depth > MAX_DEPTH) {
            throw new Syntax(at, "nested deeper than " + MAX_DEPTH);
        }
    }

    /** The text, unless it holds a surrogate without its pair. */
    private static String checkedText(String s, Pos at) throws Syntax {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new Syntax(at, "lone surrogate in a string");
            }
        }
        return s;
    }

    /** Jackson's message without the location it appends (the caller reports the place its own way). */
    private static String message(JsonProcessingException e) {
        String m = e.getOriginalMessage();
        if (m == null || m.isBlank()) {
            return "not JSON";
        }
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl); // some messages go on with the expected tokens or the source
    }

    private static Pos pos(JsonLocation l) {
        return l == null || l.getLineNr() < 1 ? new Pos(1, 1) : new Pos(l.getLineNr(), Math.max(1, l.getColumnNr()));
    }

    private static int firstNonSpace(String s, int from) {
        int i = Math.min(Math.max(from, 0), s.length());
        while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t' || s.charAt(i) == '\r' || s.charAt(i) == '\n')) {
            i++;
        }
        return i;
    }

    /** Line and column of a char offset, counted as the parser counts them (lines end at \n). */
    private static Pos at(String s, int offset) {
        int line = 1;
        int lineStart = 0;
        for (int i = 0; i < offset && i < s.length(); i++) {
            if (s.charAt(i) == '\n') {
                line++;
                lineStart = i + 1;
            }
        }
        return new Pos(line, offset - lineStart + 1);
    }
}
