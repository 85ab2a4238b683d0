package dev.agt.engine.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An append-only JSON-lines log ({@code decisions.jsonl}) with group commit and no writer
 * thread: callers encode their entries themselves (in parallel), queue them, and take the log
 * lock; whoever gets it writes everything queued in one call, syncs per {@link FsyncPolicy},
 * and completes every entry it wrote. Callers whose entries were written while they waited
 * find them done. A failed write completes its entries with the error (so their calls are
 * denied) and leaves the file as it was; the next append tries again, so the log resumes by
 * itself once the disk does.
 *
 * <p>This is the plain sink the engine starts with; the signed, Merkle-tree log replaces it.
 * On open it repairs a torn last line (a crash mid-write) and continues the sequence.
 */
public final class JsonLinesAuditSink implements AuditSink {
    public static final String FILE = "decisions.jsonl";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long FSYNC_INTERVAL_MS = 100;

    private static final class Pending {
        final byte[] body;
        final Completion done;
        volatile boolean finished;

        Pending(byte[] body, Completion done) {
            this.body = body;
            this.done = done;
        }
    }

    private final Path file;
    private final FsyncPolicy fsync;
    private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final AtomicLong failures = new AtomicLong();
    private final Thread syncer;
    private volatile boolean closed;
    private volatile boolean dirty;
    private long seq;
    /** Kept open between writes; dropped after a failure so the next write reopens it. */
    private volatile FileChannel channel;
    private long size;

    public JsonLinesAuditSink(Path dir, FsyncPolicy fsync) throws IOException {
        Files.createDirectories(dir);
        this.file = dir.resolve(FILE);
        this.fsync = fsync;
        this.seq = recover(file);
        if (fsync == FsyncPolicy.INTERVAL) {
            syncer = new Thread(this::syncLoop, "agt-audit-fsync");
            syncer.setDaemon(true);
            syncer.start();
        } else {
            syncer = null;
        }
    }

    /** Truncates a torn last line and returns the next sequence number. */
    static long recover(Path file) throws IOException {
        if (!Files.exists(file)) {
            return 0;
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long size = ch.size();
            long end = size;
            ByteBuffer b = ByteBuffer.allocate(1);
            while (end > 0) {
                b.clear();
                ch.read(b, end - 1);
                if (b.get(0) == '\n') {
                    break;
                }
                end--;
            }
            if (end < size) {
                ch.truncate(end);
                ch.force(true);
            }
        }
        long lines = 0;
        String last = null;
        try (var r = Files.newBufferedReader(file)) {
            for (String line; (line = r.readLine()) != null; ) {
                lines++;
                last = line;
            }
        }
        return last == null ? 0 : JSON.readTree(last).path("seq").asLong(lines - 1) + 1;
    }

    @Override
    public void append(List<Map<String, Object>> entries, List<Completion> done) {
        List<Pending> mine = new ArrayList<>(entries.size());
        for (int i = 0; i < entries.size(); i++) {
            byte[] body;
            try {
                body = JSON.writeValueAsBytes(entries.get(i));
            } catch (JsonProcessingException e) {
                failures.incrementAndGet();
                done.get(i).done(-1, new IOException("entry could not be encoded: " + e.getOriginalMessage()));
                continue;
            }
            Pending p = new Pending(body, done.get(i));
            mine.add(p);
        }
        if (mine.isEmpty()) {
            return;
        }
        if (closed) {
            mine.forEach(p -> p.done.done(-1, new IOException("audit log is closed")));
            return;
        }
        queue.addAll(mine);
        Pending last = mine.get(mine.size() - 1);
        lock.lock();
        try {
            if (!last.finished) {
                writeQueued();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Writes everything queued; runs with the lock held. */
    private void writeQueued() {
        List<Pending> batch = new ArrayList<>();
        for (Pending p; (p = queue.poll()) != null; ) {
            batch.add(p);
        }
        if (batch.isEmpty()) {
            return;
        }
        if (closed) {
            for (Pending p : batch) {
                p.finished = true;
                p.done.done(-1, new IOException("audit log is closed"));
            }
            return;
        }
        int total = 0;
        for (Pending p : batch) {
            total += p.body.length + 24;
        }
        ByteBuffer buf = ByteBuffer.allocate(total);
        long s = seq;
        for (Pending p : batch) {
            // {"seq":N, then the entry's own fields
            buf.put(("{\"seq\":" + s++ + (p.body.length > 2 ? "," : "")).getBytes(StandardCharsets.US_ASCII));
            buf.put(p.body, 1, p.body.length - 1);
            buf.put((byte) '\n');
        }
        buf.flip();
        Throwable error = null;
        try {
            if (channel == null) {
                channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
                size = channel.size();
            }
            try {
                while (buf.hasRemaining()) {
                    channel.write(buf);
                }
                if (fsync == FsyncPolicy.ALWAYS) {
                    channel.force(false);
                } else {
                    dirty = true;
                }
                size += buf.limit();
            } catch (IOException ex) {
                // never leave half a batch behind: a partial write would be a torn record
                channel.truncate(size);
                throw ex;
            }
        } catch (IOException ex) {
            error = ex;
            closeChannel();
        }
        if (error == null) {
            long first = seq;
            seq = s;
            for (int i = 0; i < batch.size(); i++) {
                Pending p = batch.get(i);
                p.finished = true;
                p.done.done(first + i, null);
            }
        } else {
            failures.addAndGet(batch.size());
            for (Pending p : batch) {
                p.finished = true;
                p.done.done(-1, error);
            }
        }
    }

    private void syncLoop() {
        while (!closed) {
            try {
                Thread.sleep(FSYNC_INTERVAL_MS);
            } catch (InterruptedException e) {
                return;
            }
            FileChannel ch = channel;
            if (dirty && ch != null) {
                // outside the lock: appends go on while the disk syncs
                dirty = false;
                try {
                    ch.force(false);
                } catch (java.nio.channels.ClosedChannelException e) {
                    // closed by a failed write or by close(); that path syncs or reports itself
                } catch (IOException e) {
                    failures.incrementAndGet();
                    dirty = true;
                }
            }
        }
    }

    private void closeChannel() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // reopened on the next write
            }
            channel = null;
        }
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

    @Override
    public void close() throws IOException {
        lock.lock();
        try {
            writeQueued();
            closed = true;
            if (channel != null) {
                if (fsync != FsyncPolicy.NEVER) {
                    channel.force(true);
                }
                closeChannel();
            }
        } finally {
            lock.unlock();
        }
        if (syncer != null) {
            syncer.interrupt();
        }
    }
}
