package dev.agt.engine.policy;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Token buckets per (rule, agent): a bucket holds up to {@code count} tokens and refills
 * {@code count} per period, so {@code 60/minute} allows a burst of 60 and then one a second.
 * Each bucket has its own lock; there is no global one. Memory is bounded: when the table is
 * full, idle buckets (those refilled to the brim) are dropped, and if it is still full the
 * request is refused rather than tracked nowhere (fail closed).
 */
public final class RateLimiter {
    public static final int DEFAULT_MAX_BUCKETS = 100_000;

    /** Buckets kept elsewhere, shared by many engines (PostgreSQL): the same semantics, counted on one clock. */
    public interface Shared {
        /** Takes one token from bucket {@code key}; throws {@link Uncountable} when the buckets cannot be reached. */
        boolean take(String key, long capacity, long nanosPerToken);
    }

    /** The bucket cannot be counted (shared buckets out of reach): the call is denied as state-unavailable, not rate-limited. */
    public static final class Uncountable extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public Uncountable(String message) {
            super(message, null, false, false);
        }
    }

    private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();
    private final int maxBuckets;
    private final LongSupplier clock;
    private volatile Shared shared;

    public RateLimiter(int maxBuckets, LongSupplier nanoClock) {
        this.maxBuckets = maxBuckets;
        this.clock = nanoClock;
    }

    /** Counts in {@code s} from now on (null: in this process). */
    public void share(Shared s) {
        this.shared = s;
    }

    /** Takes a token for {@code agentId} under {@code rule}'s limit; throws {@link Uncountable} when shared buckets are out of reach. */
    public boolean tryAcquire(Rule rule, String agentId) {
        Rule.RateLimit limit = rule.limit();
        // the limit text is part of the key, so a reload that changes a limit starts afresh
        String key = rule.id() + '\0' + limit.text() + '\0' + agentId;
        Shared s = shared;
        if (s != null) {
            return s.take(key, limit.count(), Math.max(1, limit.periodNanos() / limit.count()));
        }
        Bucket b = buckets.get(key);
        if (b == null) {
            if (buckets.size() >= maxBuckets) {
                evictIdle();
                if (buckets.size() >= maxBuckets) {
                    return false;
                }
            }
            b = buckets.computeIfAbsent(key, k -> new Bucket(limit, clock.getAsLong()));
        }
        return b.take(clock.getAsLong());
    }

    public int size() {
        return buckets.size();
    }

    private void evictIdle() {
        long now = clock.getAsLong();
        buckets.entrySet().removeIf(e -> e.getValue().isFull(now));
    }

    private static final class Bucket {
        private final long capacity;
        private final long nanosPerToken;
        private double tokens;
        private long last;

        Bucket(Rule.RateLimit limit, long now) {
            this.capacity = limit.count();
            this.nanosPerToken = Math.max(1, limit.periodNanos() / limit.count());
            this.tokens = capacity;
            this.last = now;
        }

        synchronized boolean take(long now) {
            refill(now);
            if (tokens >= 1) {
                tokens -= 1;
                return true;
            }
            return false;
        }

        synchronized boolean isFull(long now) {
            refill(now);
            return tokens >= capacity;
        }

        private void refill(long now) {
            long elapsed = now - last;
            if (elapsed > 0) {
                tokens = Math.min(capacity, tokens + (double) elapsed / nanosPerToken);
                last = now;
            }
        }
    }
}
