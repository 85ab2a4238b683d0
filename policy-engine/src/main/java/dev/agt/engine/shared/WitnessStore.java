package dev.agt.engine.shared;

import dev.agt.audit.witness.Witness;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * A witness's state in PostgreSQL ({@code agt witness --state postgresql://...}), keyed by the
 * witness's key, so that a witness can move hosts or run as several processes without a
 * directory to carry along. Advancing is a compare-and-set on the size and root held, in one
 * statement: two processes sharing the state can never both cosign, one each, the two sides of a
 * fork. A trigger refuses any update that would take a log back.
 */
public final class WitnessStore implements Witness.State {
    private final Database db;
    private final String witness;
    private Connection conn;

    /** {@code witness}: the witness's key as {@code NAME+KEYID}. Checks the schema now. */
    public WitnessStore(Database db, String witness) throws SQLException {
        this.db = db.forEngine();
        this.witness = witness;
        conn = this.db.connect();
        String schema = Migrations.problem(conn, db.display());
        if (schema != null) {
            SharedState.close(conn);
            throw new SQLException(schema);
        }
    }

    private Connection connection() throws SQLException {
        if (conn == null || !conn.isValid(2)) {
            SharedState.close(conn);
            conn = db.connect();
        }
        return conn;
    }

    @Override
    public synchronized Witness.Held held(String origin) throws IOException {
        try (PreparedStatement p = connection().prepareStatement("SELECT size, root, note FROM agt_witness_state WHERE witness = ? AND origin = ?")) {
            p.setString(1, witness);
            p.setString(2, origin);
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? new Witness.Held(r.getLong(1), r.getBytes(2), r.getString(3)) : null;
            }
        } catch (SQLException e) {
            throw failed(e);
        }
    }

    @Override
    public synchronized boolean advance(String origin, Witness.Held expected, Witness.Held next) throws IOException {
        try {
            PreparedStatement p;
            if (expected == null) {
                p = connection().prepareStatement("INSERT INTO agt_witness_state (witness, origin, size, root, note) VALUES (?, ?, ?, ?, ?) "
                        + "ON CONFLICT DO NOTHING");
                p.setString(1, witness);
                p.setString(2, origin);
                p.setLong(3, next.size());
                p.setBytes(4, next.root());
                p.setString(5, next.note());
            } else {
                p = connection().prepareStatement("UPDATE agt_witness_state SET size = ?, root = ?, note = ?, updated_at = now() "
                        + "WHERE witness = ? AND origin = ? AND size = ? AND root = ?");
                p.setLong(1, next.size());
                p.setBytes(2, next.root());
                p.setString(3, next.note());
                p.setString(4, witness);
                p.setString(5, origin);
                p.setLong(6, expected.size());
                p.setBytes(7, expected.root());
            }
            try (p) {
                return p.executeUpdate() == 1; // autocommit: durable on the server when it returns
            }
        } catch (SQLException e) {
            throw failed(e);
        }
    }

    @Override
    public synchronized void evidence(String origin, String cosigned, String offered) throws IOException {
        try (PreparedStatement p = connection().prepareStatement("INSERT INTO agt_witness_forks (witness, origin, cosigned, offered) VALUES (?, ?, ?, ?)")) {
            p.setString(1, witness);
            p.setString(2, origin);
            p.setString(3, cosigned);
            p.setString(4, offered);
            p.executeUpdate();
        } catch (SQLException e) {
            throw failed(e);
        }
    }

    private IOException failed(SQLException e) {
        SharedState.close(conn);
        conn = null;
        return new IOException(db.display() + ": " + Database.describe(e));
    }

    @Override
    public synchronized void close() {
        SharedState.close(conn);
        conn = null;
    }
}
