package dev.agt.tests;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.function.Predicate;

/**
 * Bounded waits for a witness, never a fixed sleep: the test names what it waits for, polls it
 * until it holds or the limit passes, and then fails saying what it waited for and what it saw
 * last. A slow machine makes the test slower, not wrong; a fast one does not wait at all.
 */
final class Await {
    private Await() {
    }

    /** Polls {@code probe} until {@code done} holds, and returns that value. */
    static <T> T until(String what, Duration limit, Callable<T> probe, Predicate<? super T> done) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        T v = probe.call();
        while (!done.test(v)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("waited " + limit.toSeconds() + " s for " + what + "; last seen: " + v);
            }
            Thread.sleep(20);
            v = probe.call();
        }
        return v;
    }
}
