package dev.agt.audit.log;

import dev.agt.audit.AuditSink;
import dev.agt.audit.FsyncPolicy;
import dev.agt.audit.merkle.CompactRange;
import dev.agt.audit.merkle.Hashes;
import dev.agt.audit.note.Checkpoint;
import dev.agt.audit.note.NoteKeys;
import dev.agt.identity.CanonicalJson;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The signed, tamper-evident decision log.
 *
 * <p>Each entry is one line of canonical JSON carrying its sequence number and {@code prev}, the
 * Merkle leaf hash of the entry before it (a hash chain), and is a leaf of an RFC 6962 Merkle
 * tree kept incrementally in a compact range. Signed checkpoints (C2SP tlog-checkpoint, Ed25519)
 * commit to the tree at least every {@link Options#checkpointMillis} or
 * {@link Options#checkpointEvery} entries and at close, each written only after the entries it
 * covers are on disk, and copied to the witness directory when one is given.
 *
 * <p>Appends are group commits without a writer thread (see {@link AuditSink}). A failed write
 * is undone (the segment is cut back to its last complete record) and its entries are reported
 * failed, so their calls are denied; the next append tries again.
 *
 * <p>Opening an existing log recovers it: a torn last record is cut off, every entry is
 * rehashed, the chain and the latest checkpoint are checked, and appends continue the same
 * chain. A log that fails those checks is refused: the engine must not extend evidence that
 * no longer verifies.
 */
public final class AuditLog implements AuditSink {

    /** How the log runs. */
    public record Options(Path dir, NoteKeys.Signer signer, String origin, FsyncPolicy fsync, Path witness,
                          long segmentBytes, long checkpointEvery, long checkpointMillis) {
        public static Options defaults(Path dir, NoteKeys.Signer signer, FsyncPolicy fsync, Path witness) {
            return new Options(dir, signer, "agt/" + signer.verifier().name(), fsync, witness, 64L << 20, 1000, 1000);
        }
    }

    /** What opening found and did, for the engine to record. */
    public record Recovery(long entries, long tornBytesRemoved, long checkpointSize, boolean checkpointMatched) {
    }

    /** The log on disk is not what its checkpoints say: refuse to extend it. */
    public static final class DamagedLogException extends IOException {
        private static final long serialVersionUID = 1L;

        public DamagedLogException(String message) {
            super(message);
        }
    }

    private static final long FSYNC_INTERVAL_MS = 100;

    private static final class Pending {
        final Map<String, Object> entry;
        final Completion done;
        volatile boolean finished;

        Pending(Map<String, Object> entry, Completion done) {
            this.entry = entry;
            this.done = done;
        }
    }

    private final Options o;
    private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final ReentrantLock checkpointLock = new ReentrantLock();
    private final AtomicLong failures = new AtomicLong();
    private final Recovery recovery;
    private final Thread background;
    private final Object wake = new Object();
    private final HexFormat hex = HexFormat.of();
    // guarded by lock
    private final CompactRange range;
    private long seq;
    private byte[] lastLeaf;
    private FileChannel segment;
    private long segmentSize;
    private volatile boolean closed;
    private volatile boolean dirty;
    private volatile long checkpointed;

    private AuditLog(Options o, LogScan.Result scan, Recovery recovery) {
        this.o = o;
        this.range = scan.range();
        this.seq = scan.entries();
        this.lastLeaf = scan.lastLeaf();
        this.recovery = recovery;
        this.checkpointed = recovery.checkpointSize();
        this.background = new Thread(this::backgroundLoop, "agt-audit-checkpoints");
        this.background.setDaemon(true);
    }

    /**
     * Opens (and if needed recovers) the log in {@code o.dir()}.
     *
     * @throws DamagedLogException when the log does not verify against itself or its latest checkpoint
     */
    public static AuditLog open(Options o) throws IOException {
        Files.createDirectories(LogFiles.segmentsDir(o.dir()));
        Files.createDirectories(LogFiles.checkpointsDir(o.dir()));
        if (o.witness() != null) {
            Files.createDirectories(o.witness());
        }
        List<Path> cps = LogFiles.checkpoints(o.dir());
        Checkpoint latest = null;
        if (!cps.isEmpty()) {
            Path last = cps.get(cps.size() - 1);
            try {
                latest = Checkpoint.open(Files.readString(last, StandardCharsets.UTF_8), o.signer().verifier());
            } catch (Checkpoint.NoteException e) {
                throw new DamagedLogException("latest checkpoint " + last + ": " + e.getMessage()
                        + "; this key did not write this log (or the checkpoint was altered)");
            }
        }
        long cpSize = latest == null ? 0 : latest.size();
        LogScan.Result scan = LogScan.scan(o.dir(), Set.of(cpSize));
        if (scan.broken() != null) {
            throw new DamagedLogException("the log is broken at #" + scan.broken().seq() + " (" + scan.broken().kind() + "): "
                    + scan.broken().message() + "; run 'agt audit verify " + o.dir() + "'");
        }
        long torn = 0;
        if (scan.tornBytes() > 0) {
            // a crash in the middle of a write: that record was never acknowledged, cut it off
            try (FileChannel ch = FileChannel.open(scan.tornSegment(), StandardOpenOption.WRITE)) {
                ch.truncate(ch.size() - scan.tornBytes());
                ch.force(true);
            }
            torn = scan.tornBytes();
        }
        if (latest != null) {
            if (scan.entries() < latest.size()) {
                throw new DamagedLogException("the log has " + scan.entries() + " entries but checkpoint " + latest.size()
                        + " was signed over more: entries were removed");
            }
            byte[] root = scan.roots().get(latest.size());
            if (!java.util.Arrays.equals(root, latest.root())) {
                throw new DamagedLogException("the log does not match its checkpoint at size " + latest.size()
                        + " (a fork or altered entries); run 'agt audit verify " + o.dir() + "'");
            }
        }
        AuditLog log = new AuditLog(o, scan, new Recovery(scan.entries(), torn, cpSize, latest != null));
        log.background.start();
        return log;
    }

    public Recovery recovery() {
        return recovery;
    }

    @Override
    public void append(List<Map<String, Object>> entries, List<Completion> done) {
        List<Pending> mine = new ArrayList<>(entries.size());
        for (int i = 0; i < entries.size(); i++) {
            mine.add(new Pending(entries.get(i), done.get(i)));
        }
        if (mine.isEmpty()) {
            return;
        }
        queue.addAll(mine);
        Pending last = mine.get(mine.size() - 1);
        long behind;
        lock.lock();
        try {
            if (!last.finished) {
                writeQueued();
            }
            behind = seq - checkpointed;
        } finally {
            lock.unlock();
        }
        if (behind >= 2 * o.checkpointEvery()) {
            // The background signer has fallen a whole interval behind: sign here, so no
            // checkpoint is ever more than 2 x checkpointEvery entries (plus one group) behind.
            try {
                checkpoint();
            } catch (IOException e) {
                failures.incrementAndGet();
            }
        } else if (behind >= o.checkpointEvery()) {
            // Normally the background thread signs: a checkpoint syncs the log and writes two
            // files, and the connection that happens to cross the threshold should not wait.
            synchronized (wake) {
                wake.notifyAll();
            }
        }
    }

    /** Writes everything queued as one group; runs with the lock held. */
    private void writeQueued() {
        List<Pending> batch = new ArrayList<>();
        for (Pending p; (p = queue.poll()) != null; ) {
            batch.add(p);
        }
        if (batch.isEmpty()) {
            return;
        }
        if (closed) {
            fail(batch, new IOException("the audit log is closed"));
            return;
        }
        // Encode with the sequence numbers and links this group would get; nothing is
        // committed to memory until the bytes are written.
        List<byte[]> lines = new ArrayList<>(batch.size());
        List<byte[]> leaves = new ArrayList<>(batch.size());
        List<Pending> good = new ArrayList<>(batch.size());
        byte[] prev = lastLeaf;
        long s = seq;
        int total = 0;
        for (Pending p : batch) {
            Map<String, Object> e = new LinkedHashMap<>(p.entry);
            e.put("seq", s);
            e.put("prev", prev == null ? LogScan.ZERO : hex.formatHex(prev));
            byte[] line;
            try {
                line = CanonicalJson.bytes(e);
            } catch (IllegalArgumentException ex) {
                failures.incrementAndGet();
                p.finished = true;
                p.done.done(-1, new IOException("entry cannot be encoded: " + ex.getMessage()));
                continue;
            }
            byte[] leaf = Hashes.leaf(line);
            lines.add(line);
            leaves.add(leaf);
            good.add(p);
            prev = leaf;
            s++;
            total += line.length + 1;
        }
        if (good.isEmpty()) {
            return;
        }
        ByteBuffer buf = ByteBuffer.allocate(total);
        for (byte[] l : lines) {
            buf.put(l).put((byte) '\n');
        }
        buf.flip();
        try {
            if (segment == null || segmentSize >= o.segmentBytes()) {
                rotate();
            }
            try {
                while (buf.hasRemaining()) {
                    segment.write(buf);
                }
                if (o.fsync() == FsyncPolicy.ALWAYS) {
                    segment.force(false);
                } else {
                    dirty = true;
                }
            } catch (IOException ex) {
                // never leave part of a group behind: it would be a torn record or unacknowledged entries
                segment.truncate(segmentSize);
                throw ex;
            }
        } catch (IOException ex) {
            closeSegment();
            fail(good, ex);
            return;
        }
        segmentSize += total;
        long first = seq;
        for (byte[] leaf : leaves) {
            range.append(leaf);
        }
        seq = s;
        lastLeaf = prev;
        for (int i = 0; i < good.size(); i++) {
            Pending p = good.get(i);
            p.finished = true;
            p.done.done(first + i, null);
        }
    }

    private void fail(List<Pending> batch, IOException ex) {
        failures.addAndGet(batch.size());
        for (Pending p : batch) {
            p.finished = true;
            p.done.done(-1, ex);
        }
    }

    private void rotate() throws IOException {
        List<Path> segs = LogFiles.segments(o.dir());
        Path target;
        if (segment == null && !segs.isEmpty()) {
            target = segs.get(segs.size() - 1); // continue the last segment after a restart or a failure
        } else {
            target = LogFiles.segmentsDir(o.dir()).resolve(LogFiles.segmentName(seq));
        }
        if (segment != null) {
            if (o.fsync() != FsyncPolicy.NEVER) {
                segment.force(false);
            }
            closeSegment();
        }
        segment = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        segmentSize = segment.size();
        if (segmentSize >= o.segmentBytes() && !target.getFileName().toString().equals(LogFiles.segmentName(seq))) {
            closeSegment();
            segment = FileChannel.open(LogFiles.segmentsDir(o.dir()).resolve(LogFiles.segmentName(seq)),
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            segmentSize = segment.size();
        }
    }

    private void closeSegment() {
        if (segment != null) {
            try {
                segment.close();
            } catch (IOException ignored) {
                // reopened on the next write
            }
            segment = null;
        }
    }

    private void backgroundLoop() {
        long lastSync = System.currentTimeMillis();
        long lastCheckpoint = System.currentTimeMillis();
        while (!closed) {
            synchronized (wake) {
                try {
                    wake.wait(FSYNC_INTERVAL_MS);
                } catch (InterruptedException e) {
                    return;
                }
            }
            if (closed) {
                return;
            }
            long now = System.currentTimeMillis();
            if (o.fsync() == FsyncPolicy.INTERVAL && dirty && now - lastSync >= FSYNC_INTERVAL_MS) {
                syncNow();
                lastSync = now;
            }
            long size = nextSeq();
            if (size > checkpointed && (size - checkpointed >= o.checkpointEvery() || now - lastCheckpoint >= o.checkpointMillis())) {
                try {
                    checkpoint();
                } catch (IOException e) {
                    failures.incrementAndGet();
                }
                lastCheckpoint = now;
            }
        }
    }

    private void syncNow() {
        FileChannel ch = segment;
        if (ch == null) {
            return;
        }
        dirty = false;
        try {
            ch.force(false); // outside the lock: appends go on while the disk syncs
        } catch (java.nio.channels.ClosedChannelException e) {
            // rotated or failed meanwhile; rotation syncs, failures retry
        } catch (IOException e) {
            dirty = true;
            failures.incrementAndGet();
        }
    }

    /**
     * Signs and writes a checkpoint over everything appended so far, after making sure those
     * entries are on disk, and copies it to the witness directory.
     *
     * @return the tree size checkpointed
     */
    public long checkpoint() throws IOException {
        checkpointLock.lock();
        try {
            long size;
            byte[] root;
            FileChannel ch;
            lock.lock();
            try {
                size = seq;
                root = range.root();
                ch = segment;
            } finally {
                lock.unlock();
            }
            if (size <= checkpointed && size > 0) {
                return checkpointed;
            }
            if (ch != null && o.fsync() != FsyncPolicy.NEVER) {
                try {
                    ch.force(false); // a checkpoint never covers entries that are not on disk
                } catch (java.nio.channels.ClosedChannelException e) {
                    // rotated meanwhile: rotation forced it
                }
            }
            String note = new Checkpoint(o.origin(), size, root).sign(o.signer());
            Path dir = LogFiles.checkpointsDir(o.dir());
            writeAtomically(dir, LogFiles.checkpointName(size), note);
            if (o.witness() != null) {
                writeAtomically(o.witness(), LogFiles.checkpointName(size), note);
            }
            checkpointed = size;
            return size;
        } finally {
            checkpointLock.unlock();
        }
    }

    private static void writeAtomically(Path dir, String name, String text) throws IOException {
        Path tmp = dir.resolve("." + name + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
            ch.force(true);
        }
        Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true); // the rename itself must survive a crash
        } catch (IOException ignored) {
            // some file systems cannot sync a directory; the file itself is synced
        }
    }

    /**
     * Reads entry {@code seq} back from its segment (complete lines only: an entry is readable
     * once its append returned). One pass over at most one segment; the caller keeps it off the
     * decision path.
     */
    @Override
    public Optional<byte[]> entry(long seq) throws IOException {
        if (seq < 0 || seq >= nextSeq()) {
            return Optional.empty();
        }
        Path holder = null;
        for (Path p : LogFiles.segments(o.dir())) {
            if (LogFiles.firstSeq(p) <= seq) {
                holder = p;
            }
        }
        if (holder == null) {
            return Optional.empty();
        }
        try (LineReader r = new LineReader(holder)) {
            while (r.next()) {
                EntryLine e = EntryLine.parse(r.line, 0, r.lineLen);
                if (e != null && e.seq() == seq) {
                    return Optional.of(java.util.Arrays.copyOf(r.line, r.lineLen));
                }
                if (e != null && e.seq() > seq) {
                    break;
                }
            }
        }
        return Optional.empty();
    }

    /** The tree size of the latest checkpoint on disk (its note is {@code checkpoints/} + {@link LogFiles#checkpointName}). */
    public long checkpointed() {
        return checkpointed;
    }

    @Override
    public long nextSeq() {
        lock.lock();
        try {
            return seq;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long failures() {
        return failures.get();
    }

    /** Writes what is queued, syncs, writes the final checkpoint and closes. */
    @Override
    public void close() throws IOException {
        lock.lock();
        try {
            writeQueued();
        } finally {
            lock.unlock();
        }
        IOException last = null;
        try {
            checkpoint();
        } catch (IOException e) {
            last = e;
        }
        lock.lock();
        try {
            closed = true;
            writeQueued(); // anything that raced in is refused, never left hanging
            if (segment != null && o.fsync() != FsyncPolicy.NEVER) {
                segment.force(true);
            }
            closeSegment();
        } finally {
            lock.unlock();
        }
        synchronized (wake) {
            wake.notifyAll();
        }
        if (last != null) {
            throw last;
        }
    }
}
