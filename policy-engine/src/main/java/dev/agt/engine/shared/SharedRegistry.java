package dev.agt.engine.shared;

import dev.agt.identity.IdentityException;
import dev.agt.identity.Registry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The agent registry kept in PostgreSQL as one document in the registry file's format, so that
 * every engine sharing the state knows the same agents, and {@code agt identity create/revoke}
 * reach them all. A change reads, applies and writes under the row's lock, so two changes
 * never lose one another; a document that does not parse is refused as a file would be.
 */
public final class SharedRegistry {
    /** The registry and the version of its row. */
    public record Read(Registry registry, long version) {
    }

    private SharedRegistry() {
    }

    /** The registry in force; {@link IdentityException} when its document is invalid (the engine keeps its last good one). */
    public static Read read(Connection c, String display) throws SQLException, IdentityException {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT document, version FROM agt_registry")) {
            if (!r.next()) {
                throw new SQLException("agt_registry holds no row; run 'agt state migrate' or restore it");
            }
            return new Read(Registry.parse(display + " (agt_registry)", r.getString(1)), r.getLong(2));
        }
    }

    /** Applies {@code change} under the row's lock; writes when the registry differs. Returns the registry as it now is. */
    public static Registry update(Database db, Registry.Change change, String by) throws SQLException, IdentityException {
        try (Connection c = db.connect()) {
            c.setAutoCommit(false);
            try {
                Registry current;
                try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT document FROM agt_registry FOR UPDATE")) {
                    if (!r.next()) {
                        throw new SQLException("agt_registry holds no row; run 'agt state migrate' or restore it");
                    }
                    current = Registry.parse(db.display() + " (agt_registry)", r.getString(1));
                }
                Registry next = change.apply(current);
                if (!next.entries().equals(current.entries())) {
                    try (PreparedStatement p = c.prepareStatement(
                            "UPDATE agt_registry SET document = ?, version = version + 1, changed_at = now(), changed_by = ?")) {
                        p.setString(1, next.format());
                        p.setString(2, by);
                        p.executeUpdate();
                    }
                }
                c.commit();
                return next;
            } catch (SQLException | IdentityException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }
}
