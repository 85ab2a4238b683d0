package dev.agt.engine.shared;

import dev.agt.engine.policy.RateLimiter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Rate-limit buckets in PostgreSQL, so that a limit of N per minute holds for an agent across
 * every engine of the fleet: each take is one statement ({@code agt_take_token}) that refills and
 * takes under the bucket's row lock, on the database's clock. Only calls under a rule with a
 * limit pay the round trip. A database out of reach denies those calls ({@code state-unavailable});
 * once the shared state is known to be stale they are denied at once, without waiting on a
 * connection.
 */
final class SharedBuckets implements RateLimiter.Shared {
    private final SharedState state;

    SharedBuckets(SharedState state) {
        this.state = state;
    }

    /** The bucket's row key: a digest, since the key holds NUL separators PostgreSQL text cannot, and agent names of any length. */
    static String bucket(String key) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(key.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public boolean take(String key, long capacity, long nanosPerToken) {
        if (state.down()) {
            throw new RateLimiter.Uncountable("the shared buckets in " + state.where() + " cannot be reached");
        }
        SQLException last = null;
        // a pooled connection may have died with a database restart: one more try, on a new one
        for (int attempt = 0; attempt < 2; attempt++) {
            Connection c = null;
            try {
                c = attempt == 0 ? state.borrow() : state.borrowFresh();
                boolean taken;
                try (PreparedStatement p = c.prepareStatement("SELECT agt_take_token(?, ?, ?)")) {
                    p.setString(1, bucket(key));
                    p.setDouble(2, capacity);
                    p.setDouble(3, nanosPerToken / 1e9);
                    try (ResultSet r = p.executeQuery()) {
                        r.next();
                        taken = r.getBoolean(1);
                    }
                }
                state.release(c, true);
                return taken;
            } catch (SQLException e) {
                state.release(c, false);
                last = e;
                if (c == null) {
                    break; // no connection to be had: trying again would only wait longer
                }
            }
        }
        throw new RateLimiter.Uncountable("the shared buckets in " + state.where() + " cannot be reached (" + Database.describe(last) + ")");
    }
}
