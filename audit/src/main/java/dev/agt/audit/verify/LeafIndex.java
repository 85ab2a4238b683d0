package dev.agt.audit.verify;

import dev.agt.audit.log.LogScan;
import dev.agt.audit.merkle.Hashes;
import dev.agt.audit.merkle.LeafHashes;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongPredicate;

/** All leaf hashes of a log in memory (32 bytes an entry), for building proofs. */
public final class LeafIndex implements LeafHashes {
    private final List<byte[]> leaves;
    private final Map<Long, byte[]> lines;

    private LeafIndex(List<byte[]> leaves, Map<Long, byte[]> lines) {
        this.leaves = leaves;
        this.lines = lines;
    }

    /** Reads the log; fails when it does not verify as a chain. */
    public static LeafIndex of(Path dir) throws IOException {
        return withLines(dir, seq -> false);
    }

    /** Reads the log keeping the lines of the entries {@code keep} names (not all: a log can be large). */
    public static LeafIndex withLines(Path dir, LongPredicate keep) throws IOException {
        List<byte[]> leaves = new ArrayList<>();
        Map<Long, byte[]> lines = new HashMap<>();
        LogScan.Result r = LogScan.scan(dir, Set.of(), (e, line) -> {
            leaves.add(Hashes.leaf(line));
            if (keep.test(e.seq())) {
                lines.put(e.seq(), line);
            }
        });
        if (r.broken() != null) {
            throw new IOException("the log is broken at #" + r.broken().seq() + ": " + r.broken().message());
        }
        return new LeafIndex(leaves, lines);
    }

    @Override
    public byte[] get(long index) {
        return leaves.get((int) index);
    }

    public long size() {
        return leaves.size();
    }

    /** The entry line, when it was kept. */
    public byte[] line(long index) {
        byte[] l = lines.get(index);
        if (l == null) {
            throw new IllegalArgumentException("the line of #" + index + " was not kept");
        }
        return l;
    }
}
