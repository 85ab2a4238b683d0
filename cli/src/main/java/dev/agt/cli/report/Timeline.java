package dev.agt.cli.report;

import dev.agt.cli.report.Report.Bucket;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Decisions per second folded into at most {@link #MAX_BUCKETS} buckets of a round size. */
final class Timeline {
    static final int MAX_BUCKETS = 60;
    private static final long[] SIZES = {1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200,
            86400, 172800, 604800, 2592000, 31536000};

    private Timeline() {
    }

    /** @param perSecond epoch second to counts by {@link Report.Outcome} ordinal */
    static Report.Timeline of(TreeMap<Long, long[]> perSecond) {
        if (perSecond.isEmpty()) {
            return new Report.Timeline(60, List.of());
        }
        long first = perSecond.firstKey();
        long last = perSecond.lastKey();
        long size = SIZES[SIZES.length - 1];
        for (long s : SIZES) {
            if (Math.floorDiv(last, s) - Math.floorDiv(first, s) + 1 <= MAX_BUCKETS) {
                size = s;
                break;
            }
        }
        long start = Math.floorDiv(first, size) * size;
        int n = (int) (Math.floorDiv(last, size) - Math.floorDiv(first, size) + 1);
        long[][] c = new long[n][3];
        for (Map.Entry<Long, long[]> e : perSecond.entrySet()) {
            int i = (int) ((e.getKey() - start) / size);
            for (int k = 0; k < 3; k++) {
                c[i][k] += e.getValue()[k];
            }
        }
        List<Bucket> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            long s = start + i * size;
            out.add(new Bucket(s, Instant.ofEpochSecond(s).toString(), c[i][0], c[i][1], c[i][2]));
        }
        return new Report.Timeline(size, List.copyOf(out));
    }

    /** {@code 1 s}, {@code 5 min}, {@code 1 h}, {@code 1 d}. */
    static String human(long seconds) {
        if (seconds % 86400 == 0) {
            return seconds / 86400 + " d";
        }
        if (seconds % 3600 == 0) {
            return seconds / 3600 + " h";
        }
        if (seconds % 60 == 0) {
            return seconds / 60 + " min";
        }
        return seconds + " s";
    }
}
