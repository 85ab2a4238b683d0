package dev.agt.identity;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * The project's one canonical JSON writer: log entries are hashed and checkpointed in this form,
 * delegation tokens are signed over it, the registry keeps one agent per line in it, and the
 * engine hashes policies and tool definitions with it. It lives here, the lowest module that
 * writes signed JSON, so that audit, the engine and the CLI reach the same bytes.
 *
 * <p>The form is RFC 8785 (JCS)'s: object members sorted by key (UTF-16 code units, which is
 * {@link String#compareTo}), no insignificant whitespace, strings with only the escapes JCS
 * requires (lower-case hex), integers in plain decimal. Non-integer numbers (they can only come
 * from tool-call arguments) are written from Java's {@link Double#toString}, which is not
 * ECMAScript's: it switches to an exponent from 1e7 ({@code 1.234567895e+8} where ECMAScript
 * writes {@code 123456789.5}) and on JDK 17 may differ in the last digit. Verification hashes the
 * stored bytes, so this never affects whether a log verifies; changing it would change the bytes
 * of new entries, so it stays (CanonicalJsonTest holds the bytes).
 *
 * <p>Values: null, Boolean, Integer/Long, Double/Float (finite), String, List, Map with String keys.
 */
public final class CanonicalJson {
    private CanonicalJson() {
    }

    public static byte[] bytes(Object value) {
        StringBuilder b = new StringBuilder(1024); // a log entry is 500-900 characters: no regrowth
        write(value, b);
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    public static String string(Object value) {
        StringBuilder b = new StringBuilder(256);
        write(value, b);
        return b.toString();
    }

    public static void write(Object v, StringBuilder out) {
        if (v == null) {
            out.append("null");
        } else if (v instanceof Boolean bool) {
            out.append(bool ? "true" : "false");
        } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            out.append(((Number) v).longValue());
        } else if (v instanceof Double || v instanceof Float) {
            number(((Number) v).doubleValue(), out);
        } else if (v instanceof CharSequence s) {
            string(s.toString(), out);
        } else if (v instanceof List<?> l) {
            out.append('[');
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) {
                    out.append(',');
                }
                write(l.get(i), out);
            }
            out.append(']');
        } else if (v instanceof Map<?, ?> m) {
            List<String> keys = new ArrayList<>(m.size());
            for (Object k : m.keySet()) {
                if (!(k instanceof String s)) {
                    throw new IllegalArgumentException("object keys must be strings, got " + k);
                }
                keys.add(s);
            }
            Collections.sort(keys);
            out.append('{');
            for (int i = 0; i < keys.size(); i++) {
                if (i > 0) {
                    out.append(',');
                }
                string(keys.get(i), out);
                out.append(':');
                write(m.get(keys.get(i)), out);
            }
            out.append('}');
        } else {
            throw new IllegalArgumentException("no canonical JSON form for " + v.getClass().getName());
        }
    }

    static void number(double d, StringBuilder out) {
        if (!Double.isFinite(d)) {
            throw new IllegalArgumentException("NaN and infinities have no JSON form");
        }
        if (d == Math.rint(d) && Math.abs(d) < 1e21) {
            if (d == 0) {
                out.append('0'); // also -0, as JCS requires
            } else {
                out.append(new java.math.BigDecimal(d).toPlainString());
            }
            return;
        }
        String s = Double.toString(d); // e.g. 1.5, 1.0E-7, 1.2345E22
        int e = s.indexOf('E');
        if (e < 0) {
            out.append(s);
            return;
        }
        String mantissa = s.substring(0, e);
        if (mantissa.endsWith(".0")) {
            mantissa = mantissa.substring(0, mantissa.length() - 2);
        }
        String exp = s.substring(e + 1);
        out.append(mantissa).append('e').append(exp.startsWith("-") ? exp : "+" + exp);
    }

    static void string(String s, StringBuilder out) {
        out.append('"');
        int plain = 0;
        while (plain < s.length() && needsNoEscape(s.charAt(plain))) {
            plain++;
        }
        if (plain == s.length()) { // most strings (names, paths, codes): one copy, no per-character appends
            out.append(s).append('"');
            return;
        }
        out.append(s, 0, plain);
        for (int i = plain; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append("\\u00").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 0xf, 16));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    private static boolean needsNoEscape(char c) {
        return c >= 0x20 && c != '"' && c != '\\';
    }
}
