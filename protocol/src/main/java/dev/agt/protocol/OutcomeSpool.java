package dev.agt.protocol;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Delivers an agent's {@link Outcome}s to the engine, in the order they happened, and keeps those
 * that cannot be delivered yet. One spool lives as long as the agent; connections come and go:
 * the agent hands every new {@link EngineClient} to {@link #connected}, and the spool delivers
 * what it holds over it.
 *
 * <p>{@link #report} never blocks and never throws: the outcome joins an in-memory queue and
 * one spool thread sends the queue head, waits for its acknowledgement, and goes on. While no
 * connection works, or the engine cannot write its log ({@code audit-unavailable}), outcomes
 * stay queued, at most {@code capacity}; beyond that they are dropped and counted (by kind).
 * Outcomes delivered after such a gap say so ({@code spooled: true}), and the first of them
 * carries the {@link OutcomeDelivery.Gap}: how many were held, how many dropped, since when. The
 * engine logs a lost-outcomes entry for the dropped ones, so the log records the gap even when
 * it cannot record what was in it.
 *
 * <p>Delivery is at least once: an outcome whose acknowledgement was lost with its connection
 * (or came later than {@link #ACK_TIMEOUT_MS}) is sent again, and may be logged twice. An
 * outcome the engine refuses for good ({@code not-own-decision}: the engine logged the refusal;
 * {@code bad-outcome}) is not retried; {@link #rejected()} counts them. What is still held when
 * the JVM exits is lost; {@link #awaitEmpty} gives it a moment.
 *
 * <p>The spool thread comes from the {@link ThreadFactory} given: an in-JVM agent wraps it so
 * that the thread's own work is never governed.
 */
public final class OutcomeSpool implements AutoCloseable {
    public static final int DEFAULT_CAPACITY = 10_000;
    /** How long the spool waits for the engine to acknowledge one outcome before sending it again. */
    public static final long ACK_TIMEOUT_MS = 10_000;
    /** How long the spool waits before delivering again after the engine could not log an outcome. */
    public static final long RETRY_MS = 1_000;

    private final int capacity;
    private final ThreadFactory threads;
    // all guarded by this
    private final ArrayDeque<Outcome> queue = new ArrayDeque<>();
    private final Map<String, Long> droppedKinds = new TreeMap<>();
    private EngineClient client;
    /** When the current gap began (epoch ms), or 0 while outcomes are delivered as they happen. */
    private long gapSince;
    /** Whether the engine has been told of the current gap (it may drop more after). */
    private boolean gapAnnounced;
    /** Dropped and not yet reported to the engine. */
    private long dropped;
    private long droppedTotal;
    private long delivered;
    private long rejected;
    /** No delivery before this (System.nanoTime) on the same client, after an audit-unavailable. */
    private long retryAt;
    private Thread drainer;
    private boolean closed;

    /** A spool of {@link #DEFAULT_CAPACITY} on a daemon thread. */
    public OutcomeSpool() {
        this(DEFAULT_CAPACITY, OutcomeSpool::daemon);
    }

    /**
     * @param capacity outcomes held at most while they cannot be delivered; more are dropped and counted
     * @param threads  makes the one spool thread (started at the first report or connection)
     */
    public OutcomeSpool(int capacity, ThreadFactory threads) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1");
        }
        this.capacity = capacity;
        this.threads = threads;
    }

    private static Thread daemon(Runnable r) {
        Thread t = new Thread(r, "agt-outcome-spool");
        t.setDaemon(true);
        return t;
    }

    /** The agent has a (new) connection to the engine: deliver over it from now on. */
    public synchronized void connected(EngineClient c) {
        client = c;
        retryAt = 0;
        start();
        notifyAll();
    }

    /** Queues an outcome for delivery. Never blocks and never throws; when the spool is full, the outcome is dropped and counted. */
    public void report(Outcome o) {
        if (o == null) {
            return;
        }
        synchronized (this) {
            if (!usable(client) && gapSince == 0) {
                gapSince = Math.min(o.time(), System.currentTimeMillis());
            }
            if (closed || queue.size() >= capacity) {
                if (gapSince == 0) {
                    gapSince = Math.min(o.time(), System.currentTimeMillis());
                }
                dropped++;
                droppedTotal++;
                droppedKinds.merge(o.kind().key(), 1L, Long::sum);
                return;
            }
            queue.addLast(o);
            start();
            notifyAll();
        }
    }

    /** Outcomes waiting for delivery. */
    public synchronized int held() {
        return queue.size();
    }

    /** Outcomes dropped because the spool was full, since it was made. */
    public synchronized long dropped() {
        return droppedTotal;
    }

    /** Outcomes the engine acknowledged. */
    public synchronized long delivered() {
        return delivered;
    }

    /** Outcomes the engine refused for good (not retried). */
    public synchronized long rejected() {
        return rejected;
    }

    /** Waits until nothing is held, at most {@code timeoutMs}; true when nothing is. */
    public synchronized boolean awaitEmpty(long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!queue.isEmpty()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }

    /** Stops delivering; what is held stays unsent, and later reports are dropped. */
    @Override
    public synchronized void close() {
        closed = true;
        notifyAll();
    }

    private static boolean usable(EngineClient c) {
        return c != null && !c.isBroken();
    }

    private void start() {
        if (drainer == null && !closed) {
            drainer = threads.newThread(this::drain);
            drainer.start();
        }
    }

    private enum Result { DELIVERED, REFUSED, REFUSED_GAP_LOGGED, RETRY }

    private void drain() {
        try {
            while (true) {
                Outcome head;
                EngineClient c;
                OutcomeDelivery d;
                synchronized (this) {
                    while (!closed && (queue.isEmpty() || !usable(client) || System.nanoTime() < retryAt)) {
                        long wait = retryAt == 0 ? 0 : TimeUnit.NANOSECONDS.toMillis(retryAt - System.nanoTime());
                        if (retryAt != 0 && wait <= 0) {
                            retryAt = 0;
                            continue;
                        }
                        wait(wait);
                    }
                    if (closed) {
                        return;
                    }
                    head = queue.peekFirst();
                    c = client;
                    boolean spooled = gapSince != 0;
                    Optional<OutcomeDelivery.Gap> gap = spooled && (!gapAnnounced || dropped > 0)
                            ? Optional.of(new OutcomeDelivery.Gap(queue.size(), dropped, gapSince, droppedKinds)) : Optional.empty();
                    d = new OutcomeDelivery(head, spooled, gap);
                }
                Result r = send(c, d);
                synchronized (this) {
                    if (r == Result.RETRY) {
                        if (gapSince == 0) {
                            gapSince = Math.min(head.time(), System.currentTimeMillis());
                        }
                        if (client == c && usable(c)) {
                            retryAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RETRY_MS); // the engine is there but cannot log
                        }
                        continue;
                    }
                    queue.pollFirst(); // only this thread removes, so the head is still ours
                    if (r == Result.DELIVERED) {
                        delivered++;
                    } else {
                        rejected++;
                    }
                    if (d.gap().isPresent() && r != Result.REFUSED) {
                        OutcomeDelivery.Gap g = d.gap().get();
                        gapAnnounced = true;
                        dropped -= g.dropped();
                        g.droppedKinds().forEach((k, n) -> droppedKinds.computeIfPresent(k, (x, v) -> v - n <= 0 ? null : v - n));
                    }
                    if (queue.isEmpty() && dropped == 0) {
                        gapSince = 0;
                        gapAnnounced = false;
                    }
                    notifyAll();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            synchronized (this) {
                drainer = null;
            }
        }
    }

    private static Result send(EngineClient c, OutcomeDelivery d) throws InterruptedException {
        try {
            c.deliver(d, ACK_TIMEOUT_MS);
            return Result.DELIVERED;
        } catch (IOException | RuntimeException cause) {
            if (cause instanceof OutcomeRefused r) {
                if (r.retryable()) {
                    return Result.RETRY;
                }
                // the engine logs a refusal it could read, gap included
                return Outcome.NOT_OWN_DECISION.equals(r.code()) ? Result.REFUSED_GAP_LOGGED : Result.REFUSED;
            }
            // the connection broke (retry on the next one); anything else (a frame too large to
            // encode) would fail again and is not retried
            return cause instanceof IOException ? Result.RETRY : Result.REFUSED;
        } catch (TimeoutException e) {
            return Result.RETRY;
        }
    }
}
