package dev.agt.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client has no reader thread: callers read for each other (see {@link EngineClient}). These
 * run it against a scripted engine on a real Unix socket that answers late, out of order, never,
 * or dies, and check that every caller gets its own answer, a bounded timeout or a failure.
 */
class EngineClientTest {
    @TempDir
    Path dir;
    final List<AutoCloseable> open = Collections.synchronizedList(new ArrayList<>());

    /** Answers DECIDE with an allow whose reason is the request's path, after the delay {@link #delayMs} gives; never for "/silent". */
    final class Scripted {
        final ScheduledExecutorService later = Executors.newScheduledThreadPool(2);
        final AtomicInteger decided = new AtomicInteger();
        volatile java.util.function.ToLongFunction<String> delayMs = path -> 0;
        final ScriptedEngine engine;

        Scripted() throws IOException {
            engine = new ScriptedEngine(dir.resolve("e.sock"), (ch, f) -> {
                @SuppressWarnings("unchecked")
                String path = String.valueOf(((Map<String, Object>) f.body().get("target")).get("path"));
                if (path.equals("/silent")) {
                    return null;
                }
                Frame reply = new Frame(FrameType.DECISION, f.id(), new Decision(Decision.Effect.ALLOW, "r", "allowed", path, "p",
                        decided.incrementAndGet()).toBody());
                long delay = delayMs.applyAsLong(path);
                if (delay == 0) {
                    return reply;
                }
                later.schedule(() -> Scripted.this.engine.send(ch, reply), delay, TimeUnit.MILLISECONDS);
                return null;
            });
            open.add(() -> {
                later.shutdownNow();
                engine.close();
            });
        }

        boolean connected() {
            return !engine.accepted.isEmpty();
        }

        void cut() throws IOException {
            engine.cut();
        }
    }

    EngineClient client() throws IOException {
        EngineClient c = EngineClient.connect(EngineAddress.parse(dir.resolve("e.sock").toString()), "agent", Map.of(), 5000);
        open.add(c);
        return c;
    }

    static Request read(String path) {
        return Request.of("file", "read", Map.of("path", path));
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    @Test
    void callersThatShareOneConnectionEachGetTheirOwnAnswerWhateverTheOrder() throws Exception {
        Scripted engine = new Scripted();
        Random random = new Random(13);
        long[] delays = new long[64];
        for (int i = 0; i < delays.length; i++) {
            delays[i] = random.nextInt(4); // 0-3 ms: answers overtake each other
        }
        engine.delayMs = path -> delays[Math.floorMod(path.hashCode(), delays.length)];
        EngineClient c = client();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<List<String>>> threads = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int thread = t;
                threads.add(pool.submit(() -> {
                    List<String> wrong = new ArrayList<>();
                    for (int i = 0; i < 150; i++) {
                        String path = "/t" + thread + "/" + i;
                        Decision d = c.decide(read(path), 10_000);
                        if (!d.allowed() || !d.reason().equals(path)) {
                            wrong.add(path + " -> " + d.code() + " " + d.reason());
                        }
                    }
                    return wrong;
                }));
            }
            for (Future<List<String>> f : threads) {
                assertEquals(List.of(), f.get(60, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(8 * 150, engine.decided.get());
    }

    /**
     * A request too large for a frame is the request's fault, not the engine's: it is refused as
     * unbuildable (which fail-open never lets through), never as engine-unreachable, and the
     * connection goes on serving.
     */
    @Test
    void aRequestTooLargeForAFrameIsUnbuildableNotAnUnreachableEngine() throws Exception {
        new Scripted();
        EngineClient c = client();
        Decision big = c.decide(read("/" + "x".repeat(70_000)), 5000);
        assertEquals(Reasons.UNBUILDABLE_REQUEST, big.code(), big.reason());
        assertEquals(Decision.Effect.DENY, big.effect());
        Decision next = c.decide(read("/after"), 5000);
        assertTrue(next.allowed(), next.reason());
    }

    @Test
    void aSilentEngineIsATimeoutAndTheConnectionGoesOnServing() throws Exception {
        new Scripted();
        EngineClient c = client();
        Decision silent = c.decide(read("/silent"), 300);
        assertEquals(Reasons.TIMEOUT, silent.code());
        assertEquals(Decision.Effect.DENY, silent.effect());
        Decision next = c.decide(read("/after"), 5000);
        assertTrue(next.allowed(), next.reason());
        assertEquals("/after", next.reason());
    }

    @Test
    void aReaderThatTimesOutHandsTheSocketToTheCallersStillWaiting() throws Exception {
        Scripted engine = new Scripted();
        engine.delayMs = path -> path.equals("/slow") ? 1500 : 0;
        EngineClient c = client();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            // one caller gives up after 200 ms while it may be the one reading; the other's answer
            // comes at 1.5 s and must still be read by someone
            Future<Decision> impatient = pool.submit(() -> c.decide(read("/silent"), 200));
            Future<Decision> patient = pool.submit(() -> c.decide(read("/slow"), 10_000));
            assertEquals(Reasons.TIMEOUT, impatient.get(10, TimeUnit.SECONDS).code());
            Decision d = patient.get(10, TimeUnit.SECONDS);
            assertTrue(d.allowed(), d.code() + " " + d.reason());
            assertEquals("/slow", d.reason());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void anEngineThatDiesFailsEveryWaitingCallerAtOnce() throws Exception {
        Scripted engine = new Scripted();
        EngineClient c = client();
        assertTrue(c.decide(read("/first"), 5000).allowed());
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Decision>> waiting = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                waiting.add(pool.submit(() -> c.decide(read("/silent"), 60_000)));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!engine.connected() && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            engine.cut();
            for (Future<Decision> f : waiting) {
                Decision d = f.get(20, TimeUnit.SECONDS); // far below the callers' own 60 s
                assertEquals(Reasons.ENGINE_UNREACHABLE, d.code(), d.reason());
            }
        } finally {
            pool.shutdownNow();
        }
        assertTrue(c.isBroken());
        assertEquals(Reasons.ENGINE_UNREACHABLE, c.decide(read("/later"), 5000).code());
    }
}
