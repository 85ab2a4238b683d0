package dev.agt.engine.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** RFC 6901 JSON pointers over decoded frame values (maps, lists, scalars). */
public final class JsonPointer {
    /** What a pointer finds when there is nothing at its place (distinct from JSON null). */
    public static final Object MISSING = new Object();

    private JsonPointer() {
    }

    /**
     * @throws IllegalArgumentException when the pointer is not RFC 6901 syntax
     */
    public static List<String> parse(String pointer) {
        if (pointer.isEmpty()) {
            return List.of();
        }
        if (!pointer.startsWith("/")) {
            throw new IllegalArgumentException("a JSON pointer starts with '/' (e.g. /path)");
        }
        List<String> out = new ArrayList<>();
        for (String raw : pointer.substring(1).split("/", -1)) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < raw.length(); i++) {
                char c = raw.charAt(i);
                if (c == '~') {
                    char n = i + 1 < raw.length() ? raw.charAt(++i) : ' ';
                    if (n == '0') {
                        b.append('~');
                    } else if (n == '1') {
                        b.append('/');
                    } else {
                        throw new IllegalArgumentException("'~' must be followed by 0 or 1");
                    }
                } else {
                    b.append(c);
                }
            }
            out.add(b.toString());
        }
        return List.copyOf(out);
    }

    public static Object resolve(Object root, List<String> tokens) {
        Object cur = root;
        if (cur == null && !tokens.isEmpty()) {
            return MISSING;
        }
        for (String t : tokens) {
            if (cur instanceof Map<?, ?> m) {
                if (!m.containsKey(t)) {
                    return MISSING;
                }
                cur = m.get(t);
            } else if (cur instanceof List<?> l) {
                if (!t.matches("0|[1-9][0-9]{0,8}")) {
                    return MISSING;
                }
                int i = Integer.parseInt(t);
                if (i >= l.size()) {
                    return MISSING;
                }
                cur = l.get(i);
            } else {
                return MISSING;
            }
        }
        return cur;
    }

    /** Equality of scalars across integer and floating forms (1 equals 1.0). */
    static boolean sameScalar(Object a, Object b) {
        if (a instanceof Number x && b instanceof Number y) {
            return x.doubleValue() == y.doubleValue();
        }
        return a == null ? b == null : a.equals(b);
    }
}
