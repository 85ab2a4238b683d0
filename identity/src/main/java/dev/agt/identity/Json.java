package dev.agt.identity;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The little JSON this module needs, without a library (the javaagent carries this module): a strict
 * parser that remembers where each value starts, for {@code FILE:LINE:COLUMN} messages. Writing
 * is {@link CanonicalJson}'s.
 *
 * <p>Values are {@code null}, Boolean, Long, String, List and Map with String keys. Only integers
 * are numbers here (tokens and the registry hold no fractions), so a fraction or exponent is
 * refused rather than rounded. Duplicate keys, lone surrogates, unescaped control characters,
 * trailing text and nesting deeper than {@link #MAX_DEPTH} are refused.
 */
final class Json {
    static final int MAX_DEPTH = 16;

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
        Parser p = new Parser(text);
        p.space();
        Object v = p.value("", 0);
        p.space();
        if (p.i < text.length()) {
            throw new Syntax(p.pos(), "unexpected text after the JSON value");
        }
        return new Parsed(v, Collections.unmodifiableMap(p.positions));
    }

    private static final class Parser {
        final String s;
        int i;
        int line = 1;
        int lineStart;
        final Map<String, Pos> positions = new HashMap<>();

        Parser(String s) {
            this.s = s;
        }

        Pos pos() {
            return new Pos(line, i - lineStart + 1);
        }

        void space() {
            while (i < s.length()) {
                char c = s.charAt(i);
                if (c == '\n') {
                    line++;
                    lineStart = i + 1;
                } else if (c != ' ' && c != '\t' && c != '\r') {
                    return;
                }
                i++;
            }
        }

        Object value(String path, int depth) throws Syntax {
            if (i >= s.length()) {
                throw new Syntax(pos(), "unexpected end of the text");
            }
            positions.put(path, pos());
            char c = s.charAt(i);
            switch (c) {
                case '{':
                    return object(path, depth + 1);
                case '[':
                    return array(path, depth + 1);
                case '"':
                    return string();
                case 't':
                    return word("true", Boolean.TRUE);
                case 'f':
                    return word("false", Boolean.FALSE);
                case 'n':
                    return word("null", null);
                default:
                    if (c == '-' || (c >= '0' && c <= '9')) {
                        return number();
                    }
                    throw new Syntax(pos(), "unexpected character '" + Base58.printable(c) + "'");
            }
        }

        Map<String, Object> object(String path, int depth) throws Syntax {
            if (depth > MAX_DEPTH) {
                throw new Syntax(pos(), "nested deeper than " + MAX_DEPTH);
            }
            i++;
            Map<String, Object> m = new LinkedHashMap<>();
            space();
            if (peek() == '}') {
                i++;
                return m;
            }
            while (true) {
                space();
                if (peek() != '"') {
                    throw new Syntax(pos(), "expected a key in double quotes");
                }
                Pos keyPos = pos();
                String key = string();
                if (m.containsKey(key)) {
                    throw new Syntax(keyPos, "duplicate key '" + key + "'");
                }
                space();
                expect(':');
                space();
                m.put(key, value(path + "." + key, depth));
                space();
                char c = peek();
                i++;
                if (c == '}') {
                    return m;
                }
                if (c != ',') {
                    i--;
                    throw new Syntax(pos(), "expected ',' or '}'");
                }
            }
        }

        List<Object> array(String path, int depth) throws Syntax {
            if (depth > MAX_DEPTH) {
                throw new Syntax(pos(), "nested deeper than " + MAX_DEPTH);
            }
            i++;
            List<Object> l = new ArrayList<>();
            space();
            if (peek() == ']') {
                i++;
                return l;
            }
            while (true) {
                space();
                l.add(value(path + "[" + l.size() + "]", depth));
                space();
                char c = peek();
                i++;
                if (c == ']') {
                    return l;
                }
                if (c != ',') {
                    i--;
                    throw new Syntax(pos(), "expected ',' or ']'");
                }
            }
        }

        String string() throws Syntax {
            i++; // opening quote
            StringBuilder b = new StringBuilder();
            while (true) {
                if (i >= s.length()) {
                    throw new Syntax(pos(), "string not closed");
                }
                char c = s.charAt(i);
                if (c == '"') {
                    i++;
                    return b.toString();
                }
                if (c < 0x20) {
                    throw new Syntax(pos(), "control character in a string (write it as an escape)");
                }
                if (c == '\\') {
                    if (i + 1 >= s.length()) {
                        throw new Syntax(pos(), "string not closed");
                    }
                    char e = s.charAt(i + 1);
                    i += 2;
                    switch (e) {
                        case '"', '\\', '/' -> b.append(e);
                        case 'b' -> b.append('\b');
                        case 'f' -> b.append('\f');
                        case 'n' -> b.append('\n');
                        case 'r' -> b.append('\r');
                        case 't' -> b.append('\t');
                        case 'u' -> b.append(unicode());
                        default -> {
                            i -= 2;
                            throw new Syntax(pos(), "unknown escape '\\" + Base58.printable(e) + "'");
                        }
                    }
                    continue;
                }
                if (Character.isSurrogate(c)) {
                    if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                        b.append(c).append(s.charAt(i + 1));
                        i += 2;
                        continue;
                    }
                    throw new Syntax(pos(), "lone surrogate in a string");
                }
                b.append(c);
                i++;
            }
        }

        /** After a backslash-u escape: one character, or a surrogate pair written as two escapes. */
        private String unicode() throws Syntax {
            char c = (char) hex4();
            if (Character.isHighSurrogate(c)) {
                if (i + 6 <= s.length() && s.charAt(i) == '\\' && s.charAt(i + 1) == 'u') {
                    int save = i;
                    i += 2;
                    char lo = (char) hex4();
                    if (Character.isLowSurrogate(lo)) {
                        return new String(new char[] {c, lo});
                    }
                    i = save;
                }
                throw new Syntax(pos(), "lone surrogate escape in a string");
            }
            if (Character.isLowSurrogate(c)) {
                throw new Syntax(pos(), "lone surrogate escape in a string");
            }
            return String.valueOf(c);
        }

        private int hex4() throws Syntax {
            if (i + 4 > s.length()) {
                throw new Syntax(pos(), "\\u needs four hex digits");
            }
            int v = 0;
            for (int k = 0; k < 4; k++) {
                int d = Character.digit(s.charAt(i + k), 16);
                if (d < 0 || s.charAt(i + k) >= 0x80) {
                    throw new Syntax(pos(), "\\u needs four hex digits");
                }
                v = v * 16 + d;
            }
            i += 4;
            return v;
        }

        Object number() throws Syntax {
            Pos at = pos();
            int start = i;
            if (peek() == '-') {
                i++;
            }
            int digits = i;
            while (i < s.length() && Character.isDigit(s.charAt(i)) && s.charAt(i) < 0x80) {
                i++;
            }
            if (i == digits) {
                throw new Syntax(at, "a number needs digits");
            }
            if (s.charAt(digits) == '0' && i - digits > 1) {
                throw new Syntax(at, "numbers have no leading zeros");
            }
            if (i < s.length() && (s.charAt(i) == '.' || s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
                throw new Syntax(at, "only integers are numbers here");
            }
            try {
                return Long.parseLong(s.substring(start, i));
            } catch (NumberFormatException e) {
                throw new Syntax(at, "integer out of range");
            }
        }

        Object word(String w, Object v) throws Syntax {
            if (!s.startsWith(w, i)) {
                throw new Syntax(pos(), "unexpected text (expected " + w + ")");
            }
            i += w.length();
            return v;
        }

        char peek() throws Syntax {
            if (i >= s.length()) {
                throw new Syntax(pos(), "unexpected end of the text");
            }
            return s.charAt(i);
        }

        void expect(char c) throws Syntax {
            if (peek() != c) {
                throw new Syntax(pos(), "expected '" + c + "'");
            }
            i++;
        }
    }
}
