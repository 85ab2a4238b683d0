package dev.agt.engine.shared;

import dev.agt.audit.log.LogFiles;
import dev.agt.audit.log.LogTail;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Ships an engine's log to the external store: its entries, in order, then the signed checkpoint
 * that covers them, in one transaction per round. Only entries under a checkpoint are shipped,
 * since a checkpoint is written only once the entries it covers are on disk for good (an entry
 * the log had to cut back is never shipped).
 *
 * <p>Where to resume comes from the store itself (its highest sequence number for this engine),
 * never from a local marker, so an engine killed mid-round or a database that went away
 * mid-transaction leaves nothing lost and nothing twice: an uncommitted round is shipped again,
 * a committed one is not. Before resuming, the last shipped entry is compared byte for byte
 * with the local log; a store that holds another log under this engine's name stops shipping
 * and says so, rather than mixing two logs.
 */
public final class LogShipper implements AutoCloseable {
    private static final int BATCH = 500;
    /**
     * Entries per transaction: the log signs a checkpoint at least every 1,000 entries, so a
     * backlog is shipped in pieces that each end at one, and memory holds at most this many lines.
     */
    private static final int MAX_PER_ROUND = 1_000;

    private final Database db;
    private final String engine;
    private final Path dir;
    private final LongSupplier checkpointed;
    private final Consumer<String> log;
    private final long periodMs;
    private final Thread thread;
    private volatile boolean closed;
    private Connection conn;
    /** The next sequence number to ship, or -1 until read from the store. */
    private long next = -1;
    private long shippedCheckpoint;
    private volatile long shipped;
    private volatile String problem;
    private volatile long lastShipNanos;
    private final LogTail tail;

    /**
     * @param checkpointed the size of the log's latest checkpoint on disk
     * @param log          where problems and recoveries are told (once each)
     */
    public LogShipper(Database db, String engine, Path auditDir, LongSupplier checkpointed, long periodMs, Consumer<String> log) {
        this.db = db;
        this.engine = engine;
        this.dir = auditDir;
        this.checkpointed = checkpointed;
        this.periodMs = periodMs;
        this.log = log;
        this.tail = new LogTail(auditDir);
        thread = new Thread(this::run, "agt-log-shipper");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        while (!closed) {
            try {
                round();
                if (problem != null) {
                    log.accept("shipping the log to " + db.display() + " resumed at entry " + shipped);
                    problem = null;
                }
            } catch (SQLException | IOException | RuntimeException | OutOfMemoryError e) {
                String p = e instanceof SQLException q ? Database.describe(q) : String.valueOf(e.getMessage());
                if (!p.equals(problem)) {
                    log.accept("shipping the log to " + db.display() + " stopped at entry " + shipped + ": " + p + "; it resumes by itself");
                }
                problem = p;
                synchronized (this) {
                    SharedState.close(conn);
                    conn = null;
                    next = -1;
                }
            }
            try {
                Thread.sleep(periodMs);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Ships everything under the latest checkpoint; public for a final round at stop. */
    public synchronized void round() throws SQLException, IOException {
        if (conn == null) {
            conn = db.connect();
        }
        if (next < 0) {
            resume();
        }
        long latest = checkpointed.getAsLong();
        while (latest > shippedCheckpoint && !closed) {
            // every transaction ends at a signed checkpoint, so the store never holds entries no checkpoint covers
            long size = latest - next <= MAX_PER_ROUND ? latest : checkpointWithin(next, next + MAX_PER_ROUND, latest);
            long upTo = size;
            List<byte[]> lines = tail.read(next, upTo);
            String note = Files.readString(LogFiles.checkpointsDir(dir).resolve(LogFiles.checkpointName(size)), StandardCharsets.UTF_8);
            conn.setAutoCommit(false);
            try {
                try (PreparedStatement p = conn.prepareStatement("INSERT INTO agt_log_entries (engine, seq, line) VALUES (?, ?, ?)")) {
                    long seq = next;
                    for (byte[] line : lines) {
                        p.setString(1, engine);
                        p.setLong(2, seq++);
                        p.setBytes(3, line);
                        p.addBatch();
                        if ((seq - next) % BATCH == 0) {
                            p.executeBatch();
                        }
                    }
                    p.executeBatch();
                }
                try (PreparedStatement p = conn.prepareStatement("INSERT INTO agt_log_checkpoints (engine, size, note) VALUES (?, ?, ?)")) {
                    p.setString(1, engine);
                    p.setLong(2, size);
                    p.setString(3, note);
                    p.executeUpdate();
                }
                conn.commit();
            } catch (SQLException e) {
                conn.rollback();
                throw e;
            } finally {
                conn.setAutoCommit(true);
            }
            next = upTo;
            shipped = upTo;
            shippedCheckpoint = size;
            lastShipNanos = System.nanoTime();
        }
    }

    /** The largest checkpoint on disk in (from, to], or the smallest after {@code from} when none is (at most {@code latest}). */
    private long checkpointWithin(long from, long to, long latest) throws IOException {
        long best = -1;
        long after = latest;
        for (Path p : LogFiles.checkpoints(dir)) {
            long n = LogFiles.checkpointSize(p);
            if (n > from && n <= to) {
                best = Math.max(best, n);
            } else if (n > to && n < after) {
                after = n;
            }
        }
        return best > 0 ? best : after;
    }

    private void resume() throws SQLException, IOException {
        long n;
        long cp;
        byte[] last = null;
        try (PreparedStatement p = conn.prepareStatement("SELECT coalesce(max(seq) + 1, 0), "
                + "(SELECT coalesce(max(size), 0) FROM agt_log_checkpoints WHERE engine = ?) FROM agt_log_entries WHERE engine = ?")) {
            p.setString(1, engine);
            p.setString(2, engine);
            try (ResultSet r = p.executeQuery()) {
                r.next();
                n = r.getLong(1);
                cp = r.getLong(2);
            }
        }
        if (n > 0) {
            try (PreparedStatement p = conn.prepareStatement("SELECT line FROM agt_log_entries WHERE engine = ? AND seq = ?")) {
                p.setString(1, engine);
                p.setLong(2, n - 1);
                try (ResultSet r = p.executeQuery()) {
                    r.next();
                    last = r.getBytes(1);
                }
            }
            List<byte[]> mine = tail.read(n - 1, n);
            if (mine.size() != 1 || !Arrays.equals(mine.get(0), last)) {
                throw new IllegalStateException("the store holds another log under engine name '" + engine + "' (entry " + (n - 1)
                        + " differs from this engine's); give this engine its own --engine-name");
            }
        }
        next = n;
        shipped = n;
        shippedCheckpoint = cp;
    }

    /** For status: how far shipping has got, and why it is stopped if it is. */
    public Map<String, Object> status() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("store", db.display());
        m.put("engine_name", engine);
        m.put("shipped", shipped);
        m.put("checkpointed", checkpointed.getAsLong());
        long at = lastShipNanos;
        if (at != 0) {
            m.put("last_ship_ms_ago", (System.nanoTime() - at) / 1_000_000);
        }
        if (problem != null) {
            m.put("problem", problem);
        }
        return m;
    }

    /** Entries shipped so far. */
    public long shipped() {
        return shipped;
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            SharedState.close(conn);
            conn = null;
        }
    }
}
