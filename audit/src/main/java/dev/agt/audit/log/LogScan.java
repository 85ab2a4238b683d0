package dev.agt.audit.log;

import dev.agt.audit.merkle.CompactRange;
import dev.agt.audit.merkle.Hashes;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One pass over a log's segments: recomputes every leaf hash, the hash chain, the sequence and
 * the Merkle root (at the sizes asked for). Stops at the first break and says where and what.
 * The engine runs it on start (and refuses to append to a broken log); {@code agt audit
 * verify} runs it and then checks the checkpoints against the roots.
 */
public final class LogScan {
    /** What broke: {@code kind} is modified, deleted, inserted, reordered, duplicated, malformed or torn. */
    public record Break(long seq, String kind, String message, long linkAt, String claimedPrev) {
        public Break(long seq, String kind, String message) {
            this(seq, kind, message, -1, null);
        }
    }

    /** The outcome. {@code roots} holds the root at each size asked for that the log reached. */
    public record Result(long entries, byte[] lastLeaf, Map<Long, byte[]> roots, CompactRange range, String firstTime,
                         String lastTime, Break broken, long tornBytes, Path tornSegment) {
    }

    public static final String ZERO = "0".repeat(64);

    private LogScan() {
    }

    public static Result scan(Path dir, Set<Long> rootsAt) throws IOException {
        return scan(dir, rootsAt, null);
    }

    /** Visits every good entry's line bytes in order (may be null). */
    public static Result scan(Path dir, Set<Long> rootsAt, EntryVisitor visitor) throws IOException {
        List<Path> segments = LogFiles.segments(dir);
        CompactRange range = new CompactRange();
        Map<Long, byte[]> roots = new HashMap<>();
        if (rootsAt.contains(0L)) {
            roots.put(0L, range.root());
        }
        long expected = 0;
        byte[] lastLeaf = null;
        byte[] prevLine = new byte[1024];
        int prevLen = -1;
        String prevHex = ZERO;
        String firstTime = null;
        String lastTime = null;
        HexFormat hex = HexFormat.of();
        for (int s = 0; s < segments.size(); s++) {
            Path seg = segments.get(s);
            if (LogFiles.firstSeq(seg) != expected) {
                long named = LogFiles.firstSeq(seg);
                String kind = named > expected ? "deleted" : "inserted";
                return new Result(expected, lastLeaf, roots, range, firstTime, lastTime, new Break(expected, kind,
                        "segment " + seg.getFileName() + " should start at #" + expected), 0, null);
            }
            try (LineReader r = new LineReader(seg)) {
                while (r.next()) {
                    byte[] buf = r.line;
                    int len = r.lineLen;
                    EntryLine e = EntryLine.parse(buf, 0, len);
                    if (e == null) {
                        return broken(expected, lastLeaf, roots, range, firstTime, lastTime, "malformed",
                                "#" + expected + " (" + seg.getFileName() + ") is not a log entry");
                    }
                    if (e.seq() != expected) {
                        String kind;
                        String msg;
                        if (prevLen == len && Arrays.equals(prevLine, 0, len, buf, 0, len)) {
                            kind = "duplicated";
                            msg = "#" + expected + " is a copy of #" + (expected - 1);
                        } else if (e.seq() > expected) {
                            boolean linked = e.prev().equals(prevHex);
                            EntryLine after = r.next() ? EntryLine.parse(r.line, 0, r.lineLen) : null;
                            if (linked) {
                                kind = "modified";
                                msg = "#" + expected + " has its sequence number changed to " + e.seq();
                            } else if (after != null && after.seq() == expected) {
                                kind = "reordered";
                                msg = "#" + e.seq() + " comes before #" + expected;
                            } else {
                                kind = "deleted";
                                msg = "entries from #" + expected + " are missing (next is #" + e.seq() + ")";
                            }
                        } else {
                            kind = e.seq() == expected - 1 ? "inserted" : "reordered";
                            msg = "#" + e.seq() + " appears where #" + expected + " should be";
                        }
                        return broken(expected, lastLeaf, roots, range, firstTime, lastTime, kind, msg);
                    }
                    if (!e.prev().equals(prevHex)) {
                        // the link in #n names #n-1's hash: a mismatch means #n-1 changed, or #n's link did
                        long at = expected == 0 ? 0 : expected - 1;
                        return new Result(at, lastLeaf, roots, range, firstTime, lastTime, new Break(at, "modified",
                                expected == 0 ? "#0 does not start the chain" : "#" + at + " no longer matches the hash recorded in #" + expected,
                                expected, e.prev()), 0, null);
                    }
                    byte[] leaf = Hashes.leaf(buf, 0, len);
                    range.append(leaf);
                    lastLeaf = leaf;
                    prevHex = hex.formatHex(leaf);
                    if (prevLine.length < len) {
                        prevLine = new byte[Math.max(len, prevLine.length * 2)];
                    }
                    System.arraycopy(buf, 0, prevLine, 0, len);
                    prevLen = len;
                    expected++;
                    if (rootsAt.contains(expected)) {
                        roots.put(expected, range.root());
                    }
                    if (e.time() != null) {
                        if (firstTime == null) {
                            firstTime = e.time();
                        }
                        lastTime = e.time();
                    }
                    if (visitor != null) {
                        visitor.visit(e, Arrays.copyOf(buf, len));
                    }
                }
                if (r.tornBytes > 0) {
                    if (s != segments.size() - 1) {
                        return new Result(expected, lastLeaf, roots, range, firstTime, lastTime, new Break(expected, "torn",
                                "segment " + seg.getFileName() + " ends inside a record, but later segments follow"), r.tornBytes, seg);
                    }
                    return new Result(expected, lastLeaf, roots, range, firstTime, lastTime, null, r.tornBytes, seg);
                }
            }
        }
        return new Result(expected, lastLeaf, roots, range, firstTime, lastTime, null, 0, null);
    }

    private static Result broken(long seq, byte[] lastLeaf, Map<Long, byte[]> roots, CompactRange range, String firstTime,
                                 String lastTime, String kind, String message) {
        return new Result(seq, lastLeaf, roots, range, firstTime, lastTime, new Break(seq, kind, message), 0, null);
    }

    @FunctionalInterface
    public interface EntryVisitor {
        void visit(EntryLine entry, byte[] line) throws IOException;
    }
}
