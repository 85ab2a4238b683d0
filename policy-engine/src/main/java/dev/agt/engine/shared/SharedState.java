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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
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
 * in the database before it takes effect here. A kill that cannot be committed (the database is
 * gone) still takes effect on this engine at once, and is written by the listener as soon as
 * the database is back: a budget that runs out during an outage stops its agents all the same.
 */
public final class SharedState implements Kills, AutoCloseable {
    /** What every decision reads. {@code agents} maps each stopped agent to who stopped it; so does {@code revoked}. */
    record Snapshot(boolean all, String allBy, Map<String, String> agents, Map<String, String> revoked, Map<String, String> reasons,
                    long registryVersion, long readNanos) {
        KillSwitch.State kills() {
            return new KillSwitch.State(all, agents.keySet());
        }
    }

    /** A change seen in the database that this engine did not make: a kill or revive ({@code revocation} false) or a revocation or lift. */
    public record RemoteChange(boolean revocation, boolean on, String agent, String by, String reason, KillSwitch.State after) {
    }

    /** Connections an engine opens at most for decisions and changes, beside the listener's own. */
    static final int POOL = 8;

    private final Database db;
    private final long periodMs;
    private final long graceNanos;
    private final Consumer<RemoteChange> remote;
    private final BlockingQueue<Connection> idle = new ArrayBlockingQueue<>(POOL);
    private final Semaphore permits = new Semaphore(POOL);
    private final Thread listener;
    private volatile Snapshot snapshot;
    /** Kills in force on this engine that the database does not hold yet (it was gone when they were made), or null. */
    private volatile Pending pending;
    private volatile String problem;
    private volatile boolean closed;
    private volatile Runnable onRegistry;

    /**
     * Connects, checks the schema and reads the state; throws when any of that fails, so that an
     * engine does not start on a database it cannot use.
     *
     * @param remote told of each change made elsewhere, once it is in force here
     */
    public SharedState(Database db, long periodMs, long graceMs, Consumer<RemoteChange> remote) throws SQLException {
        this.db = db.forEngine();
        this.periodMs = periodMs;
        this.graceNanos = graceMs * 1_000_000L;
        this.remote = remote;
        try (Connection c = this.db.connect()) {
            // what the role may do first: without SELECT on the schema's version even the schema check fails
            String schema = Migrations.privilegeProblem(c, db.display());
            if (schema == null) {
                schema = Migrations.problem(c, db.display());
            }
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

    /** Runs {@code r} (on the listener's thread) whenever the shared agent registry changes. */
    public void onRegistryChange(Runnable r) {
        onRegistry = r;
    }

    /** The shared agent registry as it is now. */
    public dev.agt.identity.Registry registry() throws SQLException, dev.agt.identity.IdentityException {
        Connection c = borrow();
        boolean ok = false;
        try {
            dev.agt.identity.Registry r = SharedRegistry.read(c, db.display()).registry();
            ok = true;
            return r;
        } finally {
            release(c, ok);
        }
    }

    /** Model spending shared through the same database, written under {@code engine}'s name. */
    public dev.agt.engine.spend.Ledger.Shared spending(String engine) {
        return new SharedSpend(this, engine);
    }

    /** MCP tool pins shared through the same database. */
    public dev.agt.engine.mcp.PinStore pins() {
        return new SharedPins(this);
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
    @Override
    public String problem() {
        return stale() ? message() : null;
    }

    @Override
    public KillSwitch.State state() throws StateFile.Unavailable {
        Snapshot s = snapshot;
        if (System.nanoTime() - s.readNanos() > graceNanos) {
            throw new StateFile.Unavailable(message());
        }
        Pending p = pending;
        return p == null ? s.kills() : p.onto(s.kills());
    }

    @Override
    public String revoked(Collection<String> handles) {
        Map<String, String> revoked = snapshot.revoked();
        if (revoked.isEmpty()) {
            return null;
        }
        for (String h : handles) {
            if (revoked.containsKey(h)) {
                return h;
            }
        }
        return null;
    }

    private boolean stale() {
        return System.nanoTime() - snapshot.readNanos() > graceNanos;
    }

    /** Whether the database is known to be out of reach: calls that need it are then refused at once, without waiting on a connection. */
    boolean down() {
        return problem != null || stale();
    }

    private String message() {
        String p = problem;
        return "the shared state " + db.display() + " cannot be read" + (p == null ? "" : " (" + p + ")")
                + "; every call is denied until it can, since a kill made through another engine would not be seen";
    }

    @Override
    public KillSwitch.State change(UnaryOperator<KillSwitch.State> change, String by) throws StateFile.Unavailable {
        String who = by == null ? "" : by;
        Snapshot seen = null;
        Snapshot before = null;
        KillSwitch.State result;
        // one change at a time here, and the listener does not install a snapshot between this commit and ours
        synchronized (this) {
            Connection c = null;
            boolean healthy = false;
            KillSwitch.State wanted = null;
            KillSwitch.State base = null;
            try {
                c = borrow();
                c.setAutoCommit(false);
                try (Statement s = c.createStatement()) {
                    // one change at a time across the fleet: the kill switch row is the lock
                    s.execute("SELECT 1 FROM agt_kill_switch FOR UPDATE");
                }
                before = read(c);
                KillSwitch.State from = before.kills();
                // kills made here while the database was gone go in with this change (and a revive here lifts them)
                Pending p = pending;
                base = p == null ? from : p.onto(from);
                wanted = change.apply(base);
                if (wanted.agents().size() > KillSwitch.MAX_AGENTS) {
                    c.rollback();
                    c.setAutoCommit(true);
                    healthy = true;
                    throw new StateFile.Unavailable("the kill switch holds " + KillSwitch.MAX_AGENTS + " agents already; use 'agt kill --all'");
                }
                write(c, from, wanted, who, p == null ? "" : p.by());
                c.commit();
                long committed = System.nanoTime(); // a read begun after this sees the change
                c.setAutoCommit(true);
                pending = null;
                Snapshot after;
                try {
                    after = read(c);
                    healthy = true;
                } catch (SQLException e) {
                    // committed all the same: put in force what was written; the listener catches up
                    Map<String, String> agents = new TreeMap<>();
                    for (String a : wanted.agents()) {
                        agents.put(a, before.agents().getOrDefault(a, who));
                    }
                    after = new Snapshot(wanted.all(), wanted.all() == from.all() ? before.allBy() : who, Map.copyOf(agents), before.revoked(),
                            before.reasons(), before.registryVersion(), committed);
                }
                seen = snapshot;
                if (after.readNanos() > snapshot.readNanos()) {
                    snapshot = after;
                }
                result = after.kills();
            } catch (SQLException e) {
                KillSwitch.State from = base != null ? base : state(snapshot);
                KillSwitch.State next = wanted != null ? wanted : change.apply(from);
                if (next.all() && !from.all() || !from.agents().containsAll(next.agents())) {
                    // fail closed: the kill holds here now, and is written when the database is back
                    Pending p = pending;
                    Set<String> added = new TreeSet<>(p == null ? Set.of() : p.agents());
                    for (String a : next.agents()) {
                        if (!from.agents().contains(a)) {
                            added.add(a);
                        }
                    }
                    pending = new Pending(p != null && p.all() || next.all() && !from.all(), Set.copyOf(added), who);
                    throw new StateFile.Unavailable(PENDING + " (" + db.display() + ": " + Database.describe(e) + ")");
                }
                throw new StateFile.Unavailable("the kill switch cannot be changed in " + db.display() + ": " + Database.describe(e));
            } finally {
                release(c, healthy);
            }
        }
        // what other engines changed since this engine last looked, found by the locked read: logged here too
        announce(seen, before);
        return result;
    }

    /** Says that a kill could not be written and holds on this engine until it can: callers log it as in force. */
    public static final String PENDING = "the kill is in force on this engine and will be written to the shared state when it is back";

    /** The snapshot's kills, or none when even that is unknown. */
    private static KillSwitch.State state(Snapshot s) {
        return s == null ? KillSwitch.State.NONE : s.kills();
    }

    /** Kills made here that the database does not hold yet: only what they added, never a copy of the whole switch. */
    record Pending(boolean all, Set<String> agents, String by) {
        KillSwitch.State onto(KillSwitch.State s) {
            Set<String> a = new TreeSet<>(s.agents());
            a.addAll(agents);
            return new KillSwitch.State(s.all() || all, a);
        }
    }

    private static void write(Connection c, KillSwitch.State from, KillSwitch.State next, String who, String pendingBy) throws SQLException {
        if (next.all() != from.all()) {
            try (PreparedStatement p = c.prepareStatement("UPDATE agt_kill_switch SET all_agents = ?, changed_at = now(), changed_by = ?")) {
                p.setBoolean(1, next.all());
                p.setString(2, who);
                if (p.executeUpdate() != 1) {
                    throw new SQLException("agt_kill_switch does not hold its one row");
                }
            }
        }
        try (PreparedStatement add = c.prepareStatement("INSERT INTO agt_killed_agents (agent, killed_by) VALUES (?, ?) ON CONFLICT DO NOTHING");
             PreparedStatement del = c.prepareStatement("DELETE FROM agt_killed_agents WHERE agent = ?")) {
            for (String a : next.agents()) {
                if (!from.agents().contains(a)) {
                    add.setString(1, a);
                    add.setString(2, pendingBy.isEmpty() ? who : pendingBy);
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
    }

    /**
     * A connection for a short statement on the decision path: an idle one, or a new one while
     * fewer than {@link #POOL} are open; never more, so a burst cannot exhaust the server's
     * connections and lock every engine out. Give it back with {@link #release}.
     */
    Connection borrow() throws SQLException {
        permit();
        Connection c = idle.poll();
        return c != null ? c : open();
    }

    /** A new connection (not an idle one, which may have died with the server), counted like {@link #borrow}. */
    Connection borrowFresh() throws SQLException {
        permit();
        return open();
    }

    private void permit() throws SQLException {
        try {
            if (!permits.tryAcquire(1, TimeUnit.SECONDS)) {
                throw new SQLException("all " + POOL + " connections to " + db.display() + " are busy");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("interrupted while waiting for a connection");
        }
    }

    /** Opens a connection under a permit already taken; gives the permit back when it cannot. */
    private Connection open() throws SQLException {
        try {
            return db.connect();
        } catch (SQLException | RuntimeException e) {
            permits.release();
            throw e;
        }
    }

    /** Gives back a borrowed connection: kept for the next caller when {@code healthy}, closed otherwise (and the idle ones with it). */
    void release(Connection c, boolean healthy) {
        if (c == null) {
            return;
        }
        if (!healthy) {
            // one broken connection usually means all of them are (the server restarted): do not hand the others out
            Connection x;
            while ((x = idle.poll()) != null) {
                close(x);
            }
        }
        if (!healthy || closed || !idle.offer(c)) {
            close(c);
        }
        permits.release();
    }

    static void close(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // already gone
            }
        }
    }

    private Snapshot read(Connection c) throws SQLException {
        long started = System.nanoTime(); // a read sees everything committed before it began
        int switches = 0;
        long registryVersion = -1;
        boolean all = false;
        String allBy = "";
        Map<String, String> agents = new TreeMap<>();
        Map<String, String> revoked = new HashMap<>();
        Map<String, String> reasons = new HashMap<>();
        // one statement, so one consistent view of all three tables
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(
                "SELECT 'all', all_agents::text, changed_by, '' FROM agt_kill_switch "
                        + "UNION ALL SELECT 'kill', agent, killed_by, '' FROM agt_killed_agents "
                        + "UNION ALL SELECT 'revoked', agent, revoked_by, reason FROM agt_revocations "
                        + "UNION ALL SELECT 'registry', version::text, changed_by, '' FROM agt_registry")) {
            while (r.next()) {
                switch (r.getString(1)) {
                    case "all" -> {
                        switches++;
                        all = "true".equals(r.getString(2));
                        allBy = r.getString(3);
                    }
                    case "kill" -> agents.put(r.getString(2), r.getString(3));
                    case "registry" -> registryVersion = Long.parseLong(r.getString(2));
                    default -> {
                        revoked.put(r.getString(2), r.getString(3));
                        reasons.put(r.getString(2), r.getString(4));
                    }
                }
            }
        }
        if (switches != 1) {
            // never read a missing switch as "nobody is stopped": the state is unusable until it is repaired
            throw new SQLException("agt_kill_switch holds " + switches + " rows instead of one; run 'agt state migrate' or restore the row");
        }
        if (registryVersion < 0) {
            throw new SQLException("agt_registry holds no row; run 'agt state migrate' or restore it");
        }
        return new Snapshot(all, allBy, Map.copyOf(agents), Map.copyOf(revoked), Map.copyOf(reasons), registryVersion, started);
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
                    writePending();
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

    /** Writes kills made while the database was gone; they stay in force here until written. */
    private void writePending() {
        Pending p = pending;
        if (p == null) {
            return;
        }
        try {
            change(UnaryOperator.identity(), p.by()); // change() folds the pending kills in
        } catch (StateFile.Unavailable e) {
            // still gone: kept, tried again after the next good read
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
        announce(before, next);
    }

    /** Tells of every difference between two snapshots: kills, revives, revocations, lifts, and a changed registry. */
    private void announce(Snapshot before, Snapshot next) {
        if (before == null || next == null) {
            return;
        }
        if (before.registryVersion() != next.registryVersion()) {
            Runnable r = onRegistry;
            if (r != null) {
                r.run();
            }
        }
        KillSwitch.State after = next.kills();
        if (before.all() != next.all()) {
            remote.accept(new RemoteChange(false, next.all(), null, next.all() ? next.allBy() : "", "", after));
        }
        for (Map.Entry<String, String> a : next.agents().entrySet()) {
            if (!before.agents().containsKey(a.getKey())) {
                remote.accept(new RemoteChange(false, true, a.getKey(), a.getValue(), "", after));
            }
        }
        for (String a : before.agents().keySet()) {
            if (!next.agents().containsKey(a)) {
                remote.accept(new RemoteChange(false, false, a, "", "", after));
            }
        }
        for (Map.Entry<String, String> a : next.revoked().entrySet()) {
            if (!before.revoked().containsKey(a.getKey())) {
                remote.accept(new RemoteChange(true, true, a.getKey(), a.getValue(), next.reasons().get(a.getKey()), after));
            }
        }
        for (String a : before.revoked().keySet()) {
            if (!next.revoked().containsKey(a)) {
                remote.accept(new RemoteChange(true, false, a, "", "", after));
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
        Pending p = pending;
        if (p != null) {
            m.put("kills_not_written", p.onto(KillSwitch.State.NONE).toMap());
        }
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
            close(c);
        }
    }
}
