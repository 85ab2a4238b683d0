package dev.agt.engine.audit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An append-only JSON-lines log ({@code decisions.jsonl}) with group commit: one writer thread
 * takes every queued entry, writes them in one call, syncs per {@link FsyncPolicy}, and only
 * then completes them. A failed write completes its entries with the error (so their calls are
 * denied) and the next batch tries again, so the log resumes by itself once the disk does.
 *
 * <p>This is the plain sink the engine starts with; the signed, Merkle-tree log replaces it.
 * On open it repairs a torn last line (a crash mid-write) and continues the sequence.
 */
public final class JsonLinesAuditSink implements AuditSink {
    public static final String FILE = "decisions.jsonl";
    private static final ObjectMapper JSON = new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);
    private static final long FSYNC_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final int MAX_BATCH = 4096;

    private record Pending(Map<String, Object> entry, Completion done) {
    }

    private final Path file;
    private final FsyncPolicy fsync;
    private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final Thread writer;
    private final AtomicLong failures = new AtomicLong();
    private volatile boolean closed;
    private long seq;
    private long lastSync = System.nanoTime();
    private boolean dirty;
    /** Kept open between batches; dropped after a failure so the next batch reopens it. */
    private FileChannel channel;

    public JsonLinesAuditSink(Path dir, FsyncPolicy fsync) throws IOException {
        Files.createDirectories(dir);
        this.file = dir.resolve(FILE);
        this.fsync = fsync;
        this.seq = recover(file);
        this.writer = new Thread(this::run, "agt-audit-writer");
        this.writer.setDaemon(true);
        this.writer.start();
    }

    /** Truncates a torn last line and returns the next sequence number. */
    static long recover(Path file) throws IOException {
        if (!Files.exists(file)) {
            return 0;
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long size = ch.size();
            long end = size;
            // find the last newline; anything after it is a torn record
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
        long lastSeq = -1;
        try (var r = Files.newBufferedReader(file)) {
            String line;
            String last = null;
            while ((line = r.readLine()) != null) {
                lines++;
                last = line;
            }
            if (last != null) {
                lastSeq = JSON.readTree(last).path("seq").asLong(lines - 1);
            }
        }
        return lastSeq + 1;
    }

    @Override
    public void append(Map<String, Object> entry, Completion done) {
        if (closed) {
            done.done(-1, new IOException("audit log is closed"));
            return;
        }
        queue.add(new Pending(entry, done));
    }

    @Override
    public long appendAndWait(Map<String, Object> entry) throws IOException {
        CompletableFuture<Long> f = new CompletableFuture<>();
        append(entry, (s, e) -> {
            if (e != null) {
                f.completeExceptionally(e);
            } else {
                f.complete(s);
            }
        });
        try {
            return f.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (Exception e) {
            throw new IOException("audit append did not complete: " + e, e);
        }
    }

    @Override
    public synchronized long nextSeq() {
        return seq;
    }

    @Override
    public long failures() {
        return failures.get();
    }

    private void run() {
        List<Pending> batch = new ArrayList<>();
        while (true) {
            try {
                Pending first = queue.poll(FSYNC_INTERVAL_NANOS, TimeUnit.NANOSECONDS);
                if (first == null) {
                    if (closed && queue.isEmpty()) {
                        return;
                    }
                    syncIfDue(true);
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, MAX_BATCH - 1);
                write(batch);
                batch.clear();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void closeChannel() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // reopened on the next batch
            }
            channel = null;
        }
    }

    private void write(List<Pending> batch) {
        long base;
        synchronized (this) {
            base = seq;
        }
        StringBuilder out = new StringBuilder(batch.size() * 256);
        List<Pending> ok = new ArrayList<>(batch.size());
        List<Pending> bad = new ArrayList<>();
        long s = base;
        for (Pending p : batch) {
            Map<String, Object> e = new LinkedHashMap<>(p.entry());
            e.put("seq", s);
            try {
                out.append(JSON.writeValueAsString(e)).append('\n');
                ok.add(p);
                s++;
            } catch (IOException ex) {
                bad.add(p);
            }
        }
        Throwable error = null;
        try {
            if (channel == null) {
                channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            }
            FileChannel ch = channel;
            ByteBuffer buf = ByteBuffer.wrap(out.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            long before = ch.size();
            try {
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                if (fsync == FsyncPolicy.ALWAYS) {
                    ch.force(false);
                } else {
                    dirty = true;
                }
            } catch (IOException ex) {
                // never leave half a batch behind: a partial write would be a torn record
                ch.truncate(before);
                throw ex;
            }
        } catch (IOException ex) {
            error = ex;
            closeChannel();
        }
        if (error == null) {
            synchronized (this) {
                seq = s;
            }
            for (int i = 0; i < ok.size(); i++) {
                ok.get(i).done().done(base + i, null);
            }
            syncIfDue(false);
        } else {
            failures.addAndGet(ok.size());
            for (Pending p : ok) {
                p.done().done(-1, error);
            }
        }
        for (Pending p : bad) {
            failures.incrementAndGet();
            p.done().done(-1, new IOException("entry could not be encoded"));
        }
    }

    private void syncIfDue(boolean idle) {
        if (fsync != FsyncPolicy.INTERVAL || !dirty) {
            return;
        }
        long now = System.nanoTime();
        if (idle || now - lastSync >= FSYNC_INTERVAL_NANOS) {
            try {
                if (channel != null) {
                    channel.force(false);
                }
                dirty = false;
                lastSync = now;
            } catch (IOException ex) {
                failures.incrementAndGet();
                closeChannel();
            }
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        // no interrupt: it would close the channel in the middle of a write
        try {
            writer.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // anything that slipped in after the writer stopped is refused, never left hanging
        for (Pending p; (p = queue.poll()) != null; ) {
            p.done().done(-1, new IOException("audit log is closed"));
        }
        if (channel != null) {
            if (fsync != FsyncPolicy.NEVER) {
                channel.force(true);
            }
            closeChannel();
        }
    }
}
