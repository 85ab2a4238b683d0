package dev.agt.engine.shared;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The schema agt keeps in PostgreSQL, as numbered migrations applied in order by
 * {@code agt state migrate}, each in its own transaction, each recorded with its SHA-256 in
 * {@code agt_schema_version}. A migration already applied whose text has since changed is
 * refused: the database would no longer be what the code expects. Engines never migrate; they
 * check that the database is at exactly their version and refuse to start otherwise.
 */
public final class Migrations {
    /** One migration: its version, name and SQL. */
    public record Migration(int version, String name, String sql, String sha256) {
    }

    /**
     * Grants {@code role} what a witness needs: read and move forward its own state, add evidence.
     * Give witnesses a role of their own: the engines whose logs they check must not be able to
     * rewrite what the witness cosigned.
     */
    public static void grantWitness(Connection c, String role) throws SQLException {
        if (!ROLE.matcher(role).matches()) {
            throw new IllegalArgumentException("'" + role + "' is not a role name agt will grant to (lower-case letters, digits, _ and $)");
        }
        try (Statement s = c.createStatement()) {
            s.execute("GRANT SELECT ON agt_schema_version TO " + role);
            s.execute("GRANT SELECT, INSERT, UPDATE ON agt_witness_state TO " + role);
            s.execute("GRANT INSERT ON agt_witness_forks TO " + role);
            s.execute("GRANT USAGE ON SEQUENCE agt_witness_forks_id_seq TO " + role);
        }
    }

    /** What {@link #migrate} did. */
    public record Applied(int from, int to, List<String> names) {
    }

    /** The migrations this build carries, in order. */
    public static final List<Migration> ALL = List.of(load(1, "state"), load(2, "log_store"), load(3, "witness"), load(4, "tool_pins"), load(5, "registry"), load(6, "spend"));
    /** The schema version this build needs. */
    public static final int LATEST = ALL.get(ALL.size() - 1).version();

    private static final Pattern ROLE = Pattern.compile("[a-z_][a-z0-9_$]{0,62}");
    /** Any number will do as long as every agt process uses the same one: migrations never run at once. */
    private static final long LOCK = 0x6167745f73746174L;

    private Migrations() {
    }

    private static Migration load(int version, String name) {
        String file = "V" + version + "__" + name + ".sql";
        try (InputStream in = Migrations.class.getResourceAsStream(file)) {
            if (in == null) {
                throw new IllegalStateException("migration " + file + " is missing from the build");
            }
            byte[] bytes = in.readAllBytes();
            return new Migration(version, name, new String(bytes, StandardCharsets.UTF_8),
                    HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)));
        } catch (IOException | NoSuchAlgorithmException e) {
            throw new IllegalStateException("cannot read migration " + file, e);
        }
    }

    /** The schema version of the database: 0 when agt has never migrated it. */
    public static int version(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT to_regclass('agt_schema_version') IS NOT NULL")) {
            r.next();
            if (!r.getBoolean(1)) {
                return 0;
            }
        }
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT coalesce(max(version), 0) FROM agt_schema_version")) {
            r.next();
            return r.getInt(1);
        }
    }

    /**
     * Null when the database is at this build's version; otherwise what is wrong, in words that
     * say what to run.
     */
    public static String problem(Connection c, String display) throws SQLException {
        int v = version(c);
        if (v == LATEST) {
            try {
                checkApplied(c);
            } catch (SQLException e) {
                return "the shared state " + display + ": " + e.getMessage();
            }
            return null;
        }
        if (v < LATEST) {
            return "the shared state " + display + " has schema version " + v + " and this engine needs " + LATEST
                    + ": run 'agt state migrate " + display + "' first";
        }
        return "the shared state " + display + " has schema version " + v + ", newer than this engine's " + LATEST
                + ": upgrade this engine";
    }

    /** What an engine must be able to do, table by table: checked at start, so a missing grant is a refusal, not denials later. */
    private static final String[][] ENGINE_NEEDS = {
            {"agt_schema_version", "SELECT"}, {"agt_kill_switch", "SELECT"}, {"agt_kill_switch", "UPDATE"}, {"agt_killed_agents", "INSERT"}, {"agt_killed_agents", "DELETE"},
            {"agt_revocations", "SELECT"}, {"agt_rate_buckets", "INSERT"}, {"agt_rate_buckets", "UPDATE"}, {"agt_tool_pins", "INSERT"},
            {"agt_tool_pins", "UPDATE"}, {"agt_registry", "SELECT"}, {"agt_log_entries", "INSERT"}, {"agt_log_entries", "SELECT"},
            {"agt_log_checkpoints", "INSERT"}, {"agt_spend", "SELECT"}, {"agt_spend", "INSERT"}};

    /** Null when the connected role may do all an engine does; otherwise what is missing and what to run. */
    public static String privilegeProblem(Connection c, String display) throws SQLException {
        java.util.List<String> missing = new ArrayList<>();
        // a table that is not there yet is the schema check's to report
        try (PreparedStatement p = c.prepareStatement(
                "SELECT CASE WHEN to_regclass(?) IS NULL THEN true ELSE has_table_privilege(current_user, to_regclass(?)::oid, ?) END")) {
            for (String[] need : ENGINE_NEEDS) {
                p.setString(1, need[0]);
                p.setString(2, need[0]);
                p.setString(3, need[1]);
                try (ResultSet r = p.executeQuery()) {
                    r.next();
                    if (!r.getBoolean(1)) {
                        missing.add(need[1] + " on " + need[0]);
                    }
                }
            }
        }
        if (missing.isEmpty()) {
            return null;
        }
        return "the role this engine connects to " + display + " as lacks " + String.join(", ", missing)
                + ": run 'agt state migrate URL --grant ROLE' as the database's owner";
    }

    /**
     * Applies every migration the database lacks; grants {@code role} (when not null) what an
     * engine needs and nothing more: read and change the shared state, read and insert (never
     * change or delete) the log store.
     */
    public static Applied migrate(Connection c, String role) throws SQLException {
        if (role != null && !ROLE.matcher(role).matches()) {
            throw new IllegalArgumentException("'" + role + "' is not a role name agt will grant to (lower-case letters, digits, _ and $)");
        }
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
            try (Statement s = c.createStatement()) {
                s.execute("SELECT pg_advisory_xact_lock(" + LOCK + ")");
                s.execute("CREATE TABLE IF NOT EXISTS agt_schema_version (version int PRIMARY KEY, name text NOT NULL, "
                        + "sha256 text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
            }
            c.commit();
            List<String> done = new ArrayList<>();
            int from = version(c);
            if (from > LATEST) {
                throw new SQLException("the database has schema version " + from + ", newer than this agt's " + LATEST + ": upgrade agt");
            }
            checkApplied(c);
            for (Migration m : ALL) {
                if (m.version() <= from) {
                    continue;
                }
                try (Statement s = c.createStatement()) {
                    s.execute("SELECT pg_advisory_xact_lock(" + LOCK + ")");
                    if (version(c) >= m.version()) {
                        c.rollback();
                        continue; // another migrate got there first
                    }
                    s.execute(m.sql());
                }
                try (PreparedStatement p = c.prepareStatement("INSERT INTO agt_schema_version (version, name, sha256) VALUES (?, ?, ?)")) {
                    p.setInt(1, m.version());
                    p.setString(2, m.name());
                    p.setString(3, m.sha256());
                    p.executeUpdate();
                }
                c.commit();
                done.add("V" + m.version() + "__" + m.name());
            }
            if (role != null) {
                grant(c, role);
                c.commit();
            }
            return new Applied(from, version(c), done);
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(auto);
        }
    }

    private static void checkApplied(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT version, name, sha256 FROM agt_schema_version ORDER BY version")) {
            while (r.next()) {
                int v = r.getInt(1);
                Migration m = v >= 1 && v <= ALL.size() ? ALL.get(v - 1) : null;
                if (m != null && !m.sha256().equals(r.getString(3))) {
                    throw new SQLException("migration V" + v + "__" + r.getString(2) + " was applied with SHA-256 " + r.getString(3)
                            + " but this agt carries " + m.sha256() + ": the database is not what this agt expects");
                }
            }
        }
    }

    private static void grant(Connection c, String role) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("GRANT SELECT ON agt_schema_version TO " + role);
            // kill and revive through any engine; revocations are made by people ('agt state revoke'), read by engines
            s.execute("GRANT SELECT, UPDATE ON agt_kill_switch TO " + role);
            s.execute("GRANT SELECT, INSERT, DELETE ON agt_killed_agents TO " + role);
            s.execute("GRANT SELECT ON agt_revocations TO " + role);
            s.execute("GRANT SELECT, INSERT, UPDATE ON agt_rate_buckets TO " + role);
            s.execute("GRANT SELECT, INSERT, UPDATE ON agt_tool_pins TO " + role);
            s.execute("GRANT SELECT ON agt_registry TO " + role); // agents are registered by people, with the owner's role
            s.execute("GRANT SELECT, INSERT ON agt_spend TO " + role);
            s.execute("GRANT USAGE ON SEQUENCE agt_spend_id_seq TO " + role);
            s.execute("GRANT EXECUTE ON FUNCTION agt_take_token(text, double precision, double precision) TO " + role);
            s.execute("GRANT SELECT, INSERT ON agt_log_entries, agt_log_checkpoints TO " + role);
            s.execute("REVOKE UPDATE, DELETE, TRUNCATE ON agt_log_entries, agt_log_checkpoints FROM " + role);
            // a witness runs under a role of its own, never the engines': see the README
            s.execute("REVOKE ALL ON agt_witness_state, agt_witness_forks FROM " + role);
        }
    }
}
