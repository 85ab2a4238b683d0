package dev.agt.engine.shared;

import dev.agt.engine.session.KillSwitch;
import dev.agt.engine.session.Kills;
import dev.agt.engine.state.StateFile;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.function.UnaryOperator;
import org.postgresql.PGConnection;

/**
 * The kill switch and fleet-wide revocations of many engines, kept in PostgreSQL.
 *
 * <p>Every engine holds the state as one immutable snapshot that each decision reads, as with
 * the file on one host. A listener thread keeps it current: it {@code LISTEN}s on
 * {@code agt_state} (the schema's triggers notify on every change, whoever makes it) and reads
 * the state again on each notification and at least every {@code periodMs}, so a kill made
 * through any engine, or straight in the database, stops agents everywhere within one
 * notification, or one period when notifications are lost.
 *
 * <p>Losing the database fails closed. For {@code graceMs} after the last good read the cached
 * snapshot stays in force (a kill already seen keeps stopping its agents; nothing can be revived);
 * after that every decision is denied {@code state-unavailable}, because a kill made meanwhile
 * through another engine cannot be seen. The listener keeps trying, and the first good read
 * puts the engine back in service by itself. A change made through this engine is committed
 * in the database before it takes effect here, and is refused while the database is gone.
 */
public final class SharedState implements Kills, AutoCloseable {
    /** What every decision reads. {@code agents} maps each stopped agent to who stopped it. */
    record Snapshot(boolean all, String allBy, Map<String, String> agents, Set<String> revoked, long readNanos) {
        KillSwitch.State kills() {
            return new KillSwitch.State(all, agents.keySet());
        }
    }

    /** A change seen in the database that this engine did not make: what changed and who made it. */
    public record RemoteChange(boolean kill, String agent, String by, KillSwitch.State after) {
    }

    private final Database db;
    private final long periodMs;
    private final long graceNanos;
    private final java.util.function.Consumer<RemoteChange> remote;
    private final BlockingQueue<Connection> idle = new ArrayBlockingQueue<>(4);
    private final Thread listener;
    private volatile Snapshot snapshot;
    private volatile String problem;
    private volatile boolean closed;

    /**
     * Connects, checks the schema and reads the state; throws when any of that fails, so that an
     * engine does not start on a database it cannot use.
     *
     * @param remote   told of each change made elsewhere, once it is in force here
     */
    public SharedState(Database db, long periodMs, long graceMs, java.util.function.Consumer<RemoteChange> remote) throws SQLException {
        this.db = db;
        this.periodMs = periodMs;
        this.graceNanos = graceMs * 1_000_000L;
        this.remote = remote;
        try (Connection c = db.connect()) {
            String schema = Migrations.problem(c, db.display());
            if (schema != null) {
                throw new SQLException(schema);
            }
            snapshot = read(c);
        }
        listener = new Thread(this::listen, "agt-shared-state");
        listener.setDaemon(true);
        listener.start();
    }

    public Database database() {
        return db;
    }

    /** Rate-limit buckets shared through the same database. */
    public dev.agt.engine.policy.RateLimiter.Shared buckets() {
        return new SharedBuckets(this);
    }

    @Override
    public String where() {
        return db.display();
    }

    /** Why the state cannot be trusted now, or null. */
    public String problem() {
        return stale() ? message() : null;
    }

    @Override
    public KillSwitch.State state() throws StateFile.Unavailable {
        Snapshot s = snapshot;
        if (System.nanoTime() - s.readNanos() > graceNanos) {
            throw new StateFile.Unavailable(message());
        }
        return s.kills();
    }

    @Override
    public String revoked(Collection<String> handles) {
        Set<String> revoked = snapshot.revoked();
        if (revoked.isEmpty()) {
            return null;
        }
        for (String h : handles) {
            if (revoked.contains(h)) {
                return h;
            }
        }
        return null;
    }

    private boolean stale() {
        return System.nanoTime() - snapshot.readNanos() > graceNanos;
    }

    private String message() {
        String p = problem;
        return "the shared state " + db.display() + " cannot be read" + (p == null ? "" : " (" + p + ")")
                + "; every call is denied until it can, since a kill made through another engine would not be seen";
    }

    @Override
    public KillSwitch.State change(UnaryOperator<KillSwitch.State> change, String by) throws StateFile.Unavailable {
        Connection c = null;
        try {
            c = borrow();
            c.setAutoCommit(false);
            Snapshot before;
            try (Statement s = c.createStatement()) {
                // one change at a time across the fleet: the kill switch row is the lock
                s.execute("SELECT 1 FROM agt_kill_switch FOR UPDATE");
            }
            before = read(c);
            KillSwitch.State from = before.kills();
            KillSwitch.State next = change.apply(from);
            if (next.agents().size() > KillSwitch.MAX_AGENTS) {
                c.rollback();
                throw new StateFile.Unavailable("the kill switch holds " + KillSwitch.MAX_AGENTS + " agents already; use 'agt kill --all'");
            }
            String who = by == null ? "" : by;
            if (next.all() != from.all()) {
                try (PreparedStatement p = c.prepareStatement("UPDATE agt_kill_switch SET all_agents = ?, changed_at = now(), changed_by = ?")) {
                    p.setBoolean(1, next.all());
                    p.setString(2, who);
                    p.executeUpdate();
                }
            }
            try (PreparedStatement add = c.prepareStatement("INSERT INTO agt_killed_agents (agent, killed_by) VALUES (?, ?) ON CONFLICT DO NOTHING");
                 PreparedStatement del = c.prepareStatement("DELETE FROM agt_killed_agents WHERE agent = ?")) {
                for (String a : next.agents()) {
                    if (!from.agents().contains(a)) {
                        add.setString(1, a);
                        add.setString(2, who);
                        add.addBatch();
                    }
                }
                for (String a : from.agents()) {
                    if (!next.agents().contains(a)) {
                        del.setString(1, a);
                        del.addBatch();
                    }
                }
                add.executeBatch();
                del.executeBatch();
            }
            c.commit();
            c.setAutoCommit(true);
            Snapshot after = read(c);
            synchronized (this) {
                if (after.readNanos() > snapshot.readNanos()) {
                    snapshot = after;
                }
            }
            give(c);
            c = null;
            return after.kills();
        } catch (SQLException e) {
            throw new StateFile.Unavailable("the kill switch cannot be changed in " + db.display() + ": " + Database.describe(e));
        } finally {
            discard(c);
        }
    }

    /** A pooled connection for short statements on the decision path; broken ones are dropped, not returned. */
    Connection borrow() throws SQLException {
        Connection c = idle.poll();
        return c != null ? c : db.connect();
    }

    void give(Connection c) {
        if (closed || !idle.offer(c)) {
            discard(c);
        }
    }

    static void discard(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // already gone
            }
        }
    }

    /** Whether the snapshot is too old to trust: callers on the decision path then fail fast without waiting for the database. */
    boolean down() {
        return stale();
    }

    private Snapshot read(Connection c) throws SQLException {
        long started = System.nanoTime(); // a read sees everything committed before it began
        boolean all = false;
        String allBy = "";
        Map<String, String> agents = new TreeMap<>();
        Set<String> revoked = new HashSet<>();
        // one statement, so one consistent view of all three tables
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(
                "SELECT 'all', all_agents::text, changed_by FROM agt_kill_switch "
                        + "UNION ALL SELECT 'kill', agent, killed_by FROM agt_killed_agents "
                        + "UNION ALL SELECT 'revoked', agent, revoked_by FROM agt_revocations")) {
            while (r.next()) {
                switch (r.getString(1)) {
                    case "all" -> {
                        all = "true".equals(r.getString(2));
                        allBy = r.getString(3);
                    }
                    case "kill" -> agents.put(r.getString(2), r.getString(3));
                    default -> revoked.add(r.getString(2));
                }
            }
        }
        return new Snapshot(all, allBy, Map.copyOf(agents), Set.copyOf(revoked), started);
    }

    private void listen() {
        long backoff = 200;
        while (!closed) {
            try (Connection c = db.connect(); Statement s = c.createStatement()) {
                s.execute("LISTEN agt_state");
                PGConnection pg = c.unwrap(PGConnection.class);
                while (!closed) {
                    refreshed(read(c));
                    backoff = 200;
                    pg.getNotifications((int) periodMs);
                }
            } catch (SQLException | RuntimeException e) {
                if (closed) {
                    return;
                }
                // decisions report it (once) when the snapshot goes stale; until then the cache serves
                problem = e instanceof SQLException q ? Database.describe(q) : e.toString();
                sleep(backoff);
                backoff = Math.min(2000, backoff * 2);
            }
        }
    }

    private void refreshed(Snapshot next) {
        Snapshot before;
        synchronized (this) {
            before = snapshot;
            if (next.readNanos() < before.readNanos()) {
                return; // a read that began before this engine's own change: it may not show it
            }
            snapshot = next;
        }
        problem = null;
        if (before.all() != next.all()) {
            remote.accept(new RemoteChange(next.all(), null, next.all() ? next.allBy() : "", next.kills()));
        }
        for (Map.Entry<String, String> a : next.agents().entrySet()) {
            if (!before.agents().containsKey(a.getKey())) {
                remote.accept(new RemoteChange(true, a.getKey(), a.getValue(), next.kills()));
            }
        }
        for (String a : before.agents().keySet()) {
            if (!next.agents().containsKey(a)) {
                remote.accept(new RemoteChange(false, a, "", next.kills()));
            }
        }
    }

    private void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closed = true;
        }
    }

    /** For status: where the state is, when it was last read, and whether it is trusted. */
    public Map<String, Object> status() {
        Map<String, Object> m = new LinkedHashMap<>();
        Snapshot s = snapshot;
        m.put("database", db.display());
        m.put("read_ms_ago", (System.nanoTime() - s.readNanos()) / 1_000_000);
        m.put("trusted", !stale());
        m.put("revoked", s.revoked().size());
        if (problem != null) {
            m.put("problem", problem);
        }
        return m;
    }

    @Override
    public void close() {
        closed = true;
        listener.interrupt();
        Connection c;
        while ((c = idle.poll()) != null) {
            discard(c);
        }
    }
}
