package dev.agt.cli;

import dev.agt.engine.shared.Database;
import dev.agt.engine.shared.Migrations;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The fleet's shared state in PostgreSQL: its schema, what it holds, and revocations for every engine. */
@Command(name = "state", mixinStandardHelpOptions = true,
        description = "The shared state of many engines in PostgreSQL (agt engine --state URL): migrate its schema, show it, revoke agents fleet-wide.",
        subcommands = {StateCommand.Migrate.class, StateCommand.Show.class, StateCommand.Revoke.class})
final class StateCommand {
    private StateCommand() {
    }

    static Database database(String url) {
        try {
            return Database.of(url);
        } catch (Database.BadUrl e) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(new StateCommand()), e.getMessage());
        }
    }

    @Command(name = "migrate", mixinStandardHelpOptions = true,
            description = {"Bring the database to this agt's schema: apply each versioned migration it lacks, in order, each in one transaction.",
                    "Run it as the database's owner; engines only check the version. With --grant ROLE, give the engines' role what they need and"
                            + " nothing more: read and change the shared state, read and insert (never change or delete) the log store."})
    static final class Migrate implements Callable<Integer> {
        @Parameters(paramLabel = "URL", description = "postgresql://USER@HOST:PORT/DB (password from PGPASSWORD)")
        String url;

        @Option(names = "--grant", paramLabel = "ROLE", description = "The role the engines connect as.")
        String grant;

        @Option(names = "--grant-witness", paramLabel = "ROLE", description = "The role a witness connects as ('agt witness --state URL'): its own, not the engines'.")
        String grantWitness;

        @Override
        public Integer call() {
            Database db = database(url);
            try (Connection c = db.connect()) {
                if (grantWitness != null && grantWitness.equals(grant)) {
                    System.err.println("agt: a witness needs a role of its own: the engines it checks must not be able to change what it cosigned");
                    return 2;
                }
                Migrations.Applied a = Migrations.migrate(c, grant);
                if (grantWitness != null) {
                    Migrations.grantWitness(c, grantWitness);
                }
                if (a.names().isEmpty()) {
                    System.out.println(db.display() + " is at schema version " + a.to() + ", this agt's; nothing to apply"
                            + (grant != null ? "; granted " + grant + " the engine's privileges" : ""));
                } else {
                    System.out.println("migrated " + db.display() + " from schema version " + a.from() + " to " + a.to() + ": " + String.join(", ", a.names())
                            + (grant != null ? "; granted " + grant + " the engine's privileges" : ""));
                }
                return 0;
            } catch (SQLException e) {
                System.err.println("agt: cannot migrate " + db.display() + ": " + Database.describe(e));
                return 1;
            } catch (IllegalArgumentException e) {
                System.err.println("agt: " + e.getMessage());
                return 2;
            }
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Print the schema version, the kill switch, fleet-wide revocations and the engines in the log store.")
    static final class Show implements Callable<Integer> {
        @Parameters(paramLabel = "URL")
        String url;

        @Override
        public Integer call() {
            Database db = database(url);
            try (Connection c = db.connect()) {
                String problem = Migrations.problem(c, db.display());
                System.out.println("schema version " + Migrations.version(c) + (problem != null ? " (" + problem + ")" : ""));
                if (problem != null) {
                    return 1;
                }
                try (Statement s = c.createStatement()) {
                    try (ResultSet r = s.executeQuery("SELECT all_agents, changed_at, changed_by FROM agt_kill_switch")) {
                        r.next();
                        System.out.println("kill --all: " + (r.getBoolean(1) ? "ON since " + r.getTimestamp(2).toInstant() + " by " + r.getString(3) : "off"));
                    }
                    try (ResultSet r = s.executeQuery("SELECT agent, killed_at, killed_by FROM agt_killed_agents ORDER BY agent")) {
                        while (r.next()) {
                            System.out.println("killed " + r.getString(1) + " at " + r.getTimestamp(2).toInstant() + " by " + r.getString(3));
                        }
                    }
                    try (ResultSet r = s.executeQuery("SELECT agent, revoked_at, revoked_by, reason FROM agt_revocations ORDER BY agent")) {
                        while (r.next()) {
                            System.out.println("revoked " + r.getString(1) + " at " + r.getTimestamp(2).toInstant() + " by " + r.getString(3)
                                    + (r.getString(4).isEmpty() ? "" : ": " + r.getString(4)));
                        }
                    }
                    try (ResultSet r = s.executeQuery("SELECT e.engine, max(e.seq) + 1, (SELECT max(size) FROM agt_log_checkpoints k WHERE k.engine = e.engine),"
                            + " max(e.shipped_at) FROM agt_log_entries e GROUP BY e.engine ORDER BY e.engine")) {
                        while (r.next()) {
                            System.out.println("log store: engine " + r.getString(1) + ": " + r.getLong(2) + " entries, checkpoint at " + r.getLong(3)
                                    + ", last shipped " + r.getTimestamp(4).toInstant());
                        }
                    }
                }
                return 0;
            } catch (SQLException e) {
                System.err.println("agt: cannot read " + db.display() + ": " + Database.describe(e));
                return 1;
            }
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true,
            description = {"Revoke an agent (a DID, or a registry name) on every engine that shares the state: its sessions and those that act for it"
                    + " are refused from their next call, within about a second. Unlike 'agt kill', it is meant to last: lift it only with --lift."})
    static final class Revoke implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "URL")
        String url;

        @Parameters(index = "1", paramLabel = "AGENT")
        String agent;

        @Option(names = "--reason", paramLabel = "TEXT", defaultValue = "")
        String reason;

        @Option(names = "--lift", description = "Lift the revocation instead.")
        boolean lift;

        @Override
        public Integer call() {
            Database db = database(url);
            if (agent.isBlank()) {
                System.err.println("agt: AGENT must not be empty");
                return 2;
            }
            try (Connection c = db.connect()) {
                String problem = Migrations.problem(c, db.display());
                if (problem != null) {
                    System.err.println("agt: " + problem);
                    return 1;
                }
                int n;
                if (lift) {
                    try (PreparedStatement p = c.prepareStatement("DELETE FROM agt_revocations WHERE agent = ?")) {
                        p.setString(1, agent);
                        n = p.executeUpdate();
                    }
                    System.out.println(n == 0 ? agent + " was not revoked" : "lifted the revocation of " + agent);
                } else {
                    try (PreparedStatement p = c.prepareStatement(
                            "INSERT INTO agt_revocations (agent, revoked_by, reason) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")) {
                        p.setString(1, agent);
                        p.setString(2, System.getProperty("user.name", "?"));
                        p.setString(3, reason);
                        n = p.executeUpdate();
                    }
                    System.out.println(n == 0 ? agent + " was already revoked" : "revoked " + agent + " on every engine of " + db.display());
                }
                return 0;
            } catch (SQLException e) {
                System.err.println("agt: cannot change " + db.display() + ": " + Database.describe(e));
                return 1;
            }
        }
    }
}
