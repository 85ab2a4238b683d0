package dev.agt.audit.verify;

import dev.agt.audit.log.LogScan;
import dev.agt.audit.merkle.Hashes;
import dev.agt.audit.merkle.LeafHashes;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** All leaf hashes of a log in memory (32 bytes an entry), for building proofs. */
public final class LeafIndex implements LeafHashes {
    private final List<byte[]> leaves;
    private final List<byte[]> lines;

    private LeafIndex(List<byte[]> leaves, List<byte[]> lines) {
        this.leaves = leaves;
        this.lines = lines;
    }

    /** Reads the log; fails when it does not verify as a chain. */
    public static LeafIndex of(Path dir) throws IOException {
        return read(dir, false);
    }

    /** Reads the log keeping the entry lines too. */
    public static LeafIndex withLines(Path dir) throws IOException {
        return read(dir, true);
    }

    private static LeafIndex read(Path dir, boolean keepLines) throws IOException {
        List<byte[]> leaves = new ArrayList<>();
        List<byte[]> lines = new ArrayList<>();
        LogScan.Result r = LogScan.scan(dir, Set.of(), (e, line) -> {
            leaves.add(Hashes.leaf(line));
            if (keepLines) {
                lines.add(line);
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

    public byte[] line(long index) {
        return lines.get((int) index);
    }
}
