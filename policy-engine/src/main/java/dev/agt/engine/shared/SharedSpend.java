package dev.agt.engine.shared;

import dev.agt.engine.spend.Ledger;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Model spending shared through PostgreSQL: each engine writes what its calls cost and, before
 * admitting a call, adds what the other engines spent in the budget's window to its own ledger.
 * A database out of reach refuses calls under budgets ({@code state-unavailable}); costs that
 * could not be written are kept by the ledger and written with the next call.
 */
final class SharedSpend implements Ledger.Shared {
    private final SharedState state;
    private final String engine;

    SharedSpend(SharedState state, String engine) {
        this.state = state;
        this.engine = engine;
    }

    /** An account key is the budget's id, NUL, the subject (PostgreSQL text holds no NUL: two columns). */
    private static String budget(String key) {
        return key.substring(0, key.indexOf('\0'));
    }

    private static String subject(String key) {
        return key.substring(key.indexOf('\0') + 1);
    }

    @Override
    public long othersSpent(String key, long since) throws IOException {
        if (state.down()) {
            throw new IOException("the shared state " + state.where() + " cannot be reached");
        }
        Connection c = null;
        boolean ok = false;
        try {
            c = state.borrow();
            long sum;
            try (PreparedStatement p = c.prepareStatement(
                    "SELECT coalesce(sum(amount), 0) FROM agt_spend WHERE budget = ? AND subject = ? AND engine <> ? AND at >= ?")) {
                p.setString(1, budget(key));
                p.setString(2, subject(key));
                p.setString(3, engine);
                p.setLong(4, since);
                try (ResultSet r = p.executeQuery()) {
                    r.next();
                    sum = r.getLong(1);
                }
            }
            ok = true;
            return sum;
        } catch (SQLException e) {
            throw new IOException(state.where() + ": " + Database.describe(e), e);
        } finally {
            state.release(c, ok);
        }
    }

    @Override
    public void spent(String key, long at, long amount) throws IOException {
        Connection c = null;
        boolean ok = false;
        try {
            c = state.borrow();
            try (PreparedStatement p = c.prepareStatement("INSERT INTO agt_spend (budget, subject, engine, at, amount) VALUES (?, ?, ?, ?, ?)")) {
                p.setString(1, budget(key));
                p.setString(2, subject(key));
                p.setString(3, engine);
                p.setLong(4, at);
                p.setLong(5, amount);
                p.executeUpdate();
            }
            ok = true;
        } catch (SQLException e) {
            throw new IOException(state.where() + ": " + Database.describe(e), e);
        } finally {
            state.release(c, ok);
        }
    }
}
