package dev.agt.javaagent.runtime;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A tool's result made to fit a request: the engine scans every string of it, and one frame
 * carries at most 64 KiB per string and 1 MiB in all. A long string is sent as overlapping pieces
 * (a phrase cut at one piece's end is whole at the next one's start); a result with more text
 * than {@value #MAX_CHARS} characters cannot be scanned and is refused whole, never cut: the part
 * left out could be the poisoned one.
 */
final class ResultText {
    /** Characters per piece: at most 4 UTF-8 bytes each, under the frame's 64 KiB per string. */
    static final int PIECE = 15_000;
    /** Characters each piece repeats of the one before it: longer than any phrase the scanner matches. */
    static final int OVERLAP = 500;
    static final int MAX_CHARS = 256 * 1024;
    /** List items and map entries in all: the frame takes 8,192, and the request has other fields. */
    static final int MAX_FIELDS = 4096;
    /** A map key is never cut into pieces: one this long is refused. */
    static final int MAX_KEY_CHARS = 1024;

    private ResultText() {
    }

    /** {@code value} with every long string in pieces; throws IllegalArgumentException when it holds too much text. */
    static Object fit(Object value) {
        return fit(value, new int[2]);
    }

    /** {@code total[0]}: characters of text so far; {@code total[1]}: list items and map entries so far. */
    private static Object fit(Object v, int[] total) {
        if (v instanceof String s) {
            total[0] += s.length();
            if (total[0] > MAX_CHARS) {
                throw new IllegalArgumentException("the result holds more than " + MAX_CHARS + " characters of text, more than agt scans; it is withheld whole");
            }
            return s.length() <= PIECE ? s : pieces(s);
        }
        if (v instanceof Map<?, ?> m) {
            Map<Object, Object> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                count(total);
                String key = String.valueOf(e.getKey());
                if (key.length() > MAX_KEY_CHARS) {
                    throw new IllegalArgumentException("the result has a key of " + key.length() + " characters, more than agt carries; it is withheld whole");
                }
                total[0] += key.length();
                out.put(e.getKey(), fit(e.getValue(), total));
            }
            return out;
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            for (Object o : l) {
                count(total);
                out.add(fit(o, total));
            }
            return out;
        }
        if (v instanceof Double d && !Double.isFinite(d) || v instanceof Float f && !Float.isFinite(f)) {
            throw new IllegalArgumentException("the result holds a number JSON cannot carry (" + v + "); it is withheld whole");
        }
        return v;
    }

    private static void count(int[] total) {
        if (++total[1] > MAX_FIELDS) {
            throw new IllegalArgumentException("the result holds more than " + MAX_FIELDS + " values, more than agt scans; it is withheld whole");
        }
    }

    static List<String> pieces(String s) {
        List<String> out = new ArrayList<>();
        int start = 0;
        while (true) {
            int end = Math.min(s.length(), start + PIECE);
            if (end < s.length() && Character.isHighSurrogate(s.charAt(end - 1))) {
                end--; // never split a surrogate pair
            }
            out.add(s.substring(start, end));
            if (end == s.length()) {
                return out;
            }
            start = end - OVERLAP;
            if (Character.isLowSurrogate(s.charAt(start))) {
                start--;
            }
        }
    }
}
