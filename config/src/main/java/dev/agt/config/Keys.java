package dev.agt.config;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** Checks on mapping keys, with a "did you mean" for the typo a person most likely made. */
public final class Keys {
    private Keys() {
    }

    /** Adds a problem for every key of {@code m} not in {@code allowed}. */
    public static void unknown(Node.Map_ m, Set<String> allowed, List<Problem> problems) {
        for (Map.Entry<String, Source.Pos> k : m.keys().entrySet()) {
            if (!allowed.contains(k.getKey())) {
                String near = nearest(k.getKey(), allowed);
                problems.add(new Problem(k.getValue(), "unknown key '" + k.getKey() + "'"
                        + (near != null ? " (did you mean '" + near + "'?)" : " (expected one of: " + String.join(", ", new TreeSet<>(allowed)) + ")")));
            }
        }
    }

    /** The option within two edits of {@code word}, or null. */
    public static String nearest(String word, Set<String> options) {
        String best = null;
        int bestD = 3;
        for (String o : new TreeSet<>(options)) {
            int d = distance(word.toLowerCase(Locale.ROOT), o);
            if (d < bestD) {
                bestD = d;
                best = o;
            }
        }
        return best;
    }

    /** Edit distance counting a swap of two neighbours as one edit ("pahts" is one from "paths"). */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
