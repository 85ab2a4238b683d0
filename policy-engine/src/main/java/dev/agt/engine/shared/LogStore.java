package dev.agt.engine.shared;

import dev.agt.audit.log.LogFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads an engine's log back out of the external store into the layout of an audit directory,
 * so that the store is verified by the same verifier, with the same checks, as a log on disk:
 * every entry rehashed and chained, every checkpoint's signature and root checked against the
 * entries. A store whose rows were changed or dropped no longer matches the engine's signed
 * checkpoints and fails.
 */
public final class LogStore {
    private LogStore() {
    }

    /** The engine names the store holds entries for. */
    public static List<String> engines(Database db) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = db.connect(); PreparedStatement p = c.prepareStatement("SELECT DISTINCT engine FROM agt_log_entries ORDER BY engine");
             ResultSet r = p.executeQuery()) {
            while (r.next()) {
                out.add(r.getString(1));
            }
        }
        return out;
    }

    /** What {@link #export} wrote: the entries, and the size of the latest checkpoint among them (0: none). */
    public record Exported(long entries, long signedSize) {
    }

    /**
     * Writes {@code engine}'s entries and checkpoints from the store into {@code out} (a new
     * audit directory). A gap in the sequence numbers is an error: the store is meant to hold
     * every entry in order.
     */
    public static Exported export(Database db, String engine, Path out) throws SQLException, IOException {
        long signed = 0;
        Files.createDirectories(LogFiles.segmentsDir(out));
        Files.createDirectories(LogFiles.checkpointsDir(out));
        long n = 0;
        try (Connection c = db.connect()) {
            c.setAutoCommit(false); // a cursor, not the whole table in memory; and one snapshot for both tables
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            try (OutputStream seg = Files.newOutputStream(LogFiles.segmentsDir(out).resolve(LogFiles.segmentName(0)));
                 PreparedStatement p = c.prepareStatement("SELECT seq, line FROM agt_log_entries WHERE engine = ? ORDER BY seq")) {
                p.setFetchSize(2000);
                p.setString(1, engine);
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        if (r.getLong(1) != n) {
                            throw new SQLException("the store has no entry " + n + " for engine '" + engine + "' (the next it holds is " + r.getLong(1) + ")");
                        }
                        seg.write(r.getBytes(2));
                        seg.write('\n');
                        n++;
                    }
                }
            }
            try (PreparedStatement p = c.prepareStatement("SELECT size, note FROM agt_log_checkpoints WHERE engine = ? ORDER BY size")) {
                p.setString(1, engine);
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        signed = Math.max(signed, r.getLong(1));
                        Files.writeString(LogFiles.checkpointsDir(out).resolve(LogFiles.checkpointName(r.getLong(1))), r.getString(2),
                                StandardCharsets.UTF_8);
                    }
                }
            }
            c.commit();
        }
        return new Exported(n, signed);
    }
}
