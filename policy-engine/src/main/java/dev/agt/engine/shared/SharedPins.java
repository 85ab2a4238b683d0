package dev.agt.engine.shared;

import dev.agt.engine.mcp.PinStore;
import dev.agt.engine.mcp.ToolPins;
import dev.agt.engine.state.StateFile;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * MCP tool pins in PostgreSQL: a tool pinned by any engine is pinned for every engine, so a
 * server that changes a tool after one host saw it shows as changed on all of them. Unlike the
 * file on one host, a change or finding stays once any engine saw it (until an operator deletes
 * the row), since a server can show different hosts different tools. A call reads
 * its tool's row (MCP calls are few beside file and network calls); a listing changes the store
 * in one transaction under a fleet-wide advisory lock, so two engines seeing the same new tool
 * at once pin it once. The database out of reach fails MCP requests ({@code state-unavailable}),
 * as a broken pin file does.
 */
final class SharedPins implements PinStore {
    /** Any number will do as long as every engine uses the same one. */
    private static final long LOCK = 0x6167745f70696e73L;
    private final SharedState state;
    private volatile String problem;

    SharedPins(SharedState state) {
        this.state = state;
    }

    @Override
    public ToolPins.Pin get(String server, String tool) throws StateFile.Unavailable {
        Connection c = null;
        try {
            c = borrow();
            ToolPins.Pin pin = null;
            try (PreparedStatement p = c.prepareStatement("SELECT pin, pinned_at, seen, seen_at, findings FROM agt_tool_pins WHERE server = ? AND tool = ?")) {
                p.setString(1, server);
                p.setString(2, tool);
                try (ResultSet r = p.executeQuery()) {
                    if (r.next()) {
                        pin = pin(r);
                    }
                }
            }
            state.release(c, true);
            problem = null;
            return pin;
        } catch (SQLException e) {
            state.release(c, false);
            throw unavailable(e);
        }
    }

    @Override
    public <T> T change(Function<Map<ToolPins.Key, ToolPins.Pin>, T> change) throws StateFile.Unavailable {
        Connection c = null;
        try {
            c = borrow();
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.execute("SELECT pg_advisory_xact_lock(" + LOCK + ")");
            }
            Map<ToolPins.Key, ToolPins.Pin> before = new HashMap<>();
            try (Statement s = c.createStatement();
                 ResultSet r = s.executeQuery("SELECT server, tool, pin, pinned_at, seen, seen_at, findings FROM agt_tool_pins")) {
                while (r.next()) {
                    before.put(new ToolPins.Key(r.getString(1), r.getString(2)), new ToolPins.Pin(r.getString(3), r.getString(4), r.getString(5),
                            r.getString(6), Arrays.asList((String[]) r.getArray(7).getArray())));
                }
            }
            Map<ToolPins.Key, ToolPins.Pin> next = new HashMap<>(before);
            T result = change.apply(next);
            if (next.size() > ToolPins.MAX_TOOLS) {
                c.rollback();
                c.setAutoCommit(true);
                state.release(c, true);
                throw new StateFile.Unavailable("the tool pin store " + state.where() + " is full (" + ToolPins.MAX_TOOLS
                        + " tools); remove servers no longer used from it");
            }
            try (PreparedStatement up = c.prepareStatement("INSERT INTO agt_tool_pins (server, tool, pin, pinned_at, seen, seen_at, findings) "
                    + "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (server, tool) DO UPDATE SET "
                    // a change or a finding any engine saw stays until an operator re-pins (deletes the row): a server that shows
                    // the changed tool to one host and the original to another must not be cleared by the second
                    + "seen = CASE WHEN agt_tool_pins.seen <> agt_tool_pins.pin AND EXCLUDED.seen = agt_tool_pins.pin "
                    + "THEN agt_tool_pins.seen ELSE EXCLUDED.seen END, "
                    + "seen_at = CASE WHEN agt_tool_pins.seen <> agt_tool_pins.pin AND EXCLUDED.seen = agt_tool_pins.pin "
                    + "THEN agt_tool_pins.seen_at ELSE EXCLUDED.seen_at END, "
                    + "findings = ARRAY(SELECT DISTINCT f FROM unnest(agt_tool_pins.findings || EXCLUDED.findings) AS f ORDER BY f)");
                 PreparedStatement del = c.prepareStatement("DELETE FROM agt_tool_pins WHERE server = ? AND tool = ?")) {
                for (Map.Entry<ToolPins.Key, ToolPins.Pin> e : next.entrySet()) {
                    ToolPins.Pin p = e.getValue();
                    if (p.equals(before.get(e.getKey()))) {
                        continue;
                    }
                    up.setString(1, e.getKey().server());
                    up.setString(2, e.getKey().tool());
                    up.setString(3, p.pin());
                    up.setString(4, p.pinnedAt());
                    up.setString(5, p.seen());
                    up.setString(6, p.seenAt());
                    Array codes = c.createArrayOf("text", p.findings().toArray());
                    up.setArray(7, codes);
                    up.addBatch();
                }
                for (ToolPins.Key k : before.keySet()) {
                    if (!next.containsKey(k)) {
                        del.setString(1, k.server());
                        del.setString(2, k.tool());
                        del.addBatch();
                    }
                }
                up.executeBatch();
                del.executeBatch();
            }
            c.commit();
            c.setAutoCommit(true);
            state.release(c, true);
            problem = null;
            return result;
        } catch (SQLException e) {
            state.release(c, false);
            throw unavailable(e);
        }
    }

    private Connection borrow() throws SQLException {
        if (state.down()) {
            throw new SQLException("the database cannot be reached");
        }
        return state.borrow();
    }

    private static ToolPins.Pin pin(ResultSet r) throws SQLException {
        return new ToolPins.Pin(r.getString(1), r.getString(2), r.getString(3), r.getString(4), List.of((String[]) r.getArray(5).getArray()));
    }

    private StateFile.Unavailable unavailable(SQLException e) {
        String p = "the tool pin store in " + state.where() + " cannot be used (" + Database.describe(e) + "); every mcp request is denied until it can";
        problem = p;
        return new StateFile.Unavailable(p);
    }

    @Override
    public String problem() {
        return problem;
    }

    @Override
    public String where() {
        return state.where();
    }
}
