package dev.agt.engine.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.agt.protocol.Decision;
import dev.agt.protocol.Reasons;
import dev.agt.protocol.Request;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RateLimiterTest {
    static final String POLICY = "version: 1\nrules:\n"
            + "  - {id: limited, effect: allow, family: net, hosts: [api.x.com], limit: 3/minute}\n"
            + "  - {id: open, effect: allow, family: net, hosts: [free.x.com]}\n"
            + "  - {id: also-limited, effect: allow, family: net, hosts: [free.x.com], actions: [resolve], limit: 1/hour}\n";
    static final Request API = Request.of("net", "resolve", Map.of("host", "api.x.com"));

    @Test
    void limitIsPerAgentAndRefillsOverTime() throws Exception {
        AtomicLong now = new AtomicLong(0);
        Evaluator ev = new Evaluator(new RateLimiter(100, now::get));
        Policy p = PolicyLoader.loadText("p", POLICY, null, Map.of());
        for (int i = 0; i < 3; i++) {
            assertTrue(ev.decide(p, API, Agent.named("a")).allowed());
        }
        Decision over = ev.decide(p, API, Agent.named("a"));
        assertFalse(over.allowed());
        assertEquals(Reasons.RATE_LIMITED, over.code());
        assertEquals("limited", over.rule());
        assertTrue(ev.decide(p, API, Agent.named("b")).allowed(), "another agent has its own bucket");
        now.addAndGet(TimeUnit.SECONDS.toNanos(20)); // one token per 20 s
        assertTrue(ev.decide(p, API, Agent.named("a")).allowed());
        assertFalse(ev.decide(p, API, Agent.named("a")).allowed());
    }

    @Test
    void anUnlimitedAllowWinsOverALimitedOne() throws Exception {
        Evaluator ev = new Evaluator(new RateLimiter(100, () -> 0));
        Policy p = PolicyLoader.loadText("p", POLICY, null, Map.of());
        Request free = Request.of("net", "resolve", Map.of("host", "free.x.com"));
        for (int i = 0; i < 10; i++) {
            Decision d = ev.decide(p, free, Agent.named("a"));
            assertTrue(d.allowed());
            assertEquals("open", d.rule());
        }
    }

    @Test
    void concurrentCallersNeverGetMoreThanTheLimit() throws Exception {
        Evaluator ev = new Evaluator(new RateLimiter(100, () -> 0));
        Policy p = PolicyLoader.loadText("p", POLICY.replace("3/minute", "500/minute"), null, Map.of());
        ExecutorService pool = Executors.newFixedThreadPool(8);
        AtomicInteger allowed = new AtomicInteger();
        CountDownLatch go = new CountDownLatch(1);
        for (int t = 0; t < 8; t++) {
            pool.submit(() -> {
                go.await();
                for (int i = 0; i < 1000; i++) {
                    if (ev.decide(p, API, Agent.named("a")).allowed()) {
                        allowed.incrementAndGet();
                    }
                }
                return null;
            });
        }
        go.countDown();
        pool.shutdown();
        assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS));
        assertEquals(500, allowed.get());
    }

    @Test
    void aFullTableRefusesNewBucketsInsteadOfGrowing() throws Exception {
        RateLimiter limiter = new RateLimiter(10, () -> 0);
        Evaluator ev = new Evaluator(limiter);
        Policy p = PolicyLoader.loadText("p", POLICY, null, Map.of());
        for (int i = 0; i < 10; i++) {
            ev.decide(p, API, Agent.named("a" + i));
        }
        // each of those buckets has used a token, so none is idle and none can be evicted
        Decision d = ev.decide(p, API, Agent.named("newcomer"));
        assertFalse(d.allowed());
        assertEquals(Reasons.RATE_LIMITED, d.code());
        assertEquals(10, limiter.size());
    }
}
