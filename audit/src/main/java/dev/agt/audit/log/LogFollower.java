package dev.agt.audit.log;

import dev.agt.audit.merkle.CompactRange;
import dev.agt.audit.merkle.Hashes;
import dev.agt.audit.note.Checkpoint;
import dev.agt.audit.note.NoteKeys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * Follows an audit directory for exporters (OCSF, OpenTelemetry): hands over its entries in
 * order, a checkpoint's worth at a time, each batch with a signed checkpoint that covers it (the
 * first that does, read from the directory, or the latest, told by the engine that writes it):
 * {@code agt audit prove DIR SEQ --checkpoint SIZE} proves an entry against it. Entries that no checkpoint
 * covers yet are not handed over, so every exported record can be traced to a proof, and an
 * exporter that restarts from its last position ({@link #next}) neither skips nor repeats.
 *
 * <p>Given the engine's public key it trusts nothing it has not checked: each checkpoint's
 * signature, and that the entries handed over hash to the checkpoint's root (the tree over all
 * entries from the first is kept as a compact range; a follower that starts further on hashes the
 * entries before its start once).
 */
public final class LogFollower {
    /** The checkpoint a batch is covered by. */
    public record Anchor(String origin, long size, String root) {
    }

    /** Entries {@code from} .. {@code from + lines.size()}, each line's bytes without its newline. */
    public record Batch(long from, List<byte[]> lines, Anchor checkpoint) {
        public long to() {
            return from + lines.size();
        }
    }

    /** The log does not match its signed checkpoints, or a checkpoint's signature fails. */
    public static final class Tampered extends IOException {
        private static final long serialVersionUID = 1L;

        public Tampered(String message) {
            super(message);
        }
    }

    private final Path dir;
    private final LogTail tail;
    private final NoteKeys.Verifier verifier;
    /** How far the latest checkpoint may be for a batch to run to it (the engine signs every 1,000 entries at most). */
    static final long NEAR = 4_000;
    private final java.util.function.LongSupplier signed;
    private final java.util.TreeSet<Long> known = new java.util.TreeSet<>();
    private CompactRange tree;
    private long next;

    /**
     * @param dir      the audit directory
     * @param next     the first entry to hand over
     * @param verifier the engine's public key, or null to take the log as it is
     */
    public LogFollower(Path dir, long next, NoteKeys.Verifier verifier) {
        this(dir, next, verifier, null);
    }

    /**
     * A follower inside the engine that writes the log: {@code signed} says the size of its
     * latest checkpoint, so while the follower keeps up a batch runs up to that checkpoint (it
     * covers every entry below it) and the checkpoints directory, one file a second for as long as
     * the engine runs, is not listed; a follower further behind lists it and goes a checkpoint at
     * a time.
     */
    public LogFollower(Path dir, long next, NoteKeys.Verifier verifier, java.util.function.LongSupplier signed) {
        this.signed = signed;
        if (next < 0) {
            throw new IllegalArgumentException("a position is 0 or more, not " + next);
        }
        this.dir = dir;
        this.tail = new LogTail(dir);
        this.verifier = verifier;
        this.next = next;
    }

    /** The next entry to hand over: what an exporter stores to resume from. */
    public long next() {
        return next;
    }

    /** The entries from {@link #next} up to the first checkpoint that covers it; empty when there is none yet. */
    public Optional<Batch> poll() throws IOException {
        Path note = null;
        if (signed != null) {
            long s = signed.getAsLong();
            if (s <= next) {
                return Optional.empty();
            }
            // the latest checkpoint when it is near; a backlog (a new export on an old log, an
            // outage) goes a checkpoint at a time, never read into memory whole
            Path latest = LogFiles.checkpointsDir(dir).resolve(LogFiles.checkpointName(s));
            note = s - next <= NEAR && Files.exists(latest) ? latest : null;
        }
        if (note == null) {
            // the first checkpoint that covers the next entry: from the sizes seen before, the
            // directory listed again only when none of them does
            Long size = known.higher(next);
            if (size == null) {
                for (Path p : LogFiles.checkpoints(dir)) {
                    known.add(LogFiles.checkpointSize(p));
                }
                known.headSet(next, true).clear();
                size = known.higher(next);
            }
            if (size == null) {
                return Optional.empty();
            }
            note = LogFiles.checkpointsDir(dir).resolve(LogFiles.checkpointName(size));
        }
        String text = Files.readString(note, StandardCharsets.UTF_8);
        Checkpoint cp;
        try {
            cp = verifier == null ? Checkpoint.unverified(text) : Checkpoint.open(text, verifier);
        } catch (Checkpoint.NoteException e) {
            throw new Tampered(note + ": " + e.getMessage());
        }
        if (cp.size() != LogFiles.checkpointSize(note)) {
            throw new Tampered(note + ": the file says size " + LogFiles.checkpointSize(note) + " and the checkpoint " + cp.size());
        }
        if (verifier != null && tree == null) {
            tree = new CompactRange();
            for (long at = 0; at < next; ) {
                long to = Math.min(next, at + 4096);
                for (byte[] l : tail.read(at, to)) {
                    tree.append(Hashes.leaf(l));
                }
                at = to;
            }
        }
        List<byte[]> lines = tail.read(next, cp.size());
        if (lines.size() != cp.size() - next) {
            throw new Tampered("the log holds " + (next + lines.size()) + " entries and its checkpoint " + cp.size());
        }
        if (verifier != null) {
            CompactRange grown = tree.copy();
            for (byte[] l : lines) {
                grown.append(Hashes.leaf(l));
            }
            if (!Arrays.equals(grown.root(), cp.root())) {
                throw new Tampered("entries " + next + ".." + (cp.size() - 1) + " do not hash to the root of the signed checkpoint of size " + cp.size());
            }
            tree = grown;
        }
        Batch b = new Batch(next, lines, new Anchor(cp.origin(), cp.size(), Base64.getEncoder().encodeToString(cp.root())));
        next = cp.size();
        return Optional.of(b);
    }
}
