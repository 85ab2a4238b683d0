package dev.agt.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The spool against a scripted engine on a real Unix socket: what it delivers, when, marked how,
 * and what it keeps, drops and counts. (The real engine's side is EngineOutcomeTest in policy-engine.)
 */
class OutcomeSpoolTest {
    static final Request CALL = Request.of("net", "connect", Map.of("host", "api.example.com", "port", 443L));

    @TempDir
    Path dir;
    Scripted engine;
    final List<EngineClient> clients = new ArrayList<>();
    final List<OutcomeSpool> spools = new ArrayList<>();

    /** Answers HELLO, and each OUTCOME as {@link #answer} says (default: logged under the next number). */
    static final class Scripted implements AutoCloseable {
        final List<Map<String, Object>> received = Collections.synchronizedList(new ArrayList<>());
        final AtomicLong seq = new AtomicLong(100);
        volatile Function<Map<String, Object>, Map<String, Object>> answer = body -> null; // null: ack
        private final ScriptedEngine engine;

        Scripted(Path socket) throws IOException {
            engine = new ScriptedEngine(socket, (ch, f) -> {
                received.add(f.body());
                Map<String, Object> error = answer.apply(f.body());
                return error == null ? new Frame(FrameType.OUTCOME_ACK, f.id(), Map.of("seq", seq.getAndIncrement()))
                        : new Frame(FrameType.ERROR, f.id(), error);
            });
        }

        /** Cuts every connection, as an engine that died would. */
        void cut() throws IOException {
            engine.cut();
        }

        List<String> reasons() {
            synchronized (received) {
                return received.stream().map(b -> (String) b.get("reason")).toList();
            }
        }

        @Override
        public void close() throws IOException {
            engine.close();
        }
    }

    Scripted start() throws IOException {
        engine = new Scripted(dir.resolve("e.sock"));
        return engine;
    }

    EngineClient client() throws IOException {
        EngineClient c = EngineClient.connect(EngineAddress.parse(dir.resolve("e.sock").toString()), "agent", Map.of(), 5000);
        clients.add(c);
        return c;
    }

    OutcomeSpool spool(int capacity) {
        OutcomeSpool s = new OutcomeSpool(capacity, r -> {
            Thread t = new Thread(r, "test-spool");
            t.setDaemon(true);
            return t;
        });
        spools.add(s);
        return s;
    }

    static Outcome failOpen(String reason) {
        return Outcome.passedFailOpen(Reasons.ENGINE_UNREACHABLE, reason, CALL);
    }

    @AfterEach
    void stop() throws IOException {
        spools.forEach(OutcomeSpool::close);
        clients.forEach(EngineClient::close);
        if (engine != null) {
            engine.close();
        }
    }

    @Test
    void outcomesAreDeliveredInOrderAsTheyHappen() throws Exception {
        start();
        OutcomeSpool s = spool(100);
        s.connected(client());
        for (int i = 0; i < 20; i++) {
            s.report(Outcome.overridden(i, Reasons.SANDBOX_UNAVAILABLE, "o" + i));
        }
        assertTrue(s.awaitEmpty(10_000));
        assertEquals(java.util.stream.IntStream.range(0, 20).mapToObj(i -> "o" + i).toList(), engine.reasons());
        engine.received.forEach(b -> {
            assertNull(b.get("spooled"), "delivered as it happened: " + b);
            assertNull(b.get("gap"));
        });
        assertEquals(20, s.delivered());
        assertEquals(0, s.dropped());
    }

    @Test
    void withoutAnEngineTheSpoolHoldsWhatFitsCountsWhatDoesNotAndReportsTheGapFirst() throws Exception {
        OutcomeSpool s = spool(3);
        long before = System.currentTimeMillis();
        s.report(failOpen("a"));
        s.report(failOpen("b"));
        s.report(Outcome.deniedLocally(Reasons.UNBUILDABLE_REQUEST, "c", CALL));
        s.report(failOpen("lost-1"));
        s.report(Outcome.deniedLocally(Reasons.REFUSED, "lost-2", CALL));
        s.report(failOpen("lost-3"));
        assertEquals(3, s.held());
        assertEquals(3, s.dropped());

        start();
        s.connected(client());
        assertTrue(s.awaitEmpty(10_000));
        assertEquals(List.of("a", "b", "c"), engine.reasons(), "held in order; the dropped ones never arrive");
        List<Map<String, Object>> got = List.copyOf(engine.received);
        got.forEach(b -> assertEquals(true, b.get("spooled"), "late, and says so: " + b));
        @SuppressWarnings("unchecked")
        Map<String, Object> gap = (Map<String, Object>) got.get(0).get("gap");
        assertEquals(3L, gap.get("held"));
        assertEquals(3L, gap.get("dropped"));
        assertTrue((Long) gap.get("since") >= before && (Long) gap.get("since") <= (Long) got.get(0).get("time"), gap.toString());
        assertEquals(Map.of("passed-fail-open", 2L, "denied-locally", 1L), gap.get("dropped_kinds"));
        assertNull(got.get(1).get("gap"), "the gap is reported once");
        assertNull(got.get(2).get("gap"));
        for (Map<String, Object> b : got) {
            assertTrue((Long) b.get("time") >= before, "each carries when it happened");
        }

        // the gap is over: the next outcome is delivered as it happens
        s.report(failOpen("d"));
        assertTrue(s.awaitEmpty(10_000));
        assertNull(engine.received.get(3).get("spooled"));
        assertEquals(3, s.dropped(), "dropped() counts since the spool was made");
    }

    @Test
    void aConnectionThatBreaksLeavesItsOutcomesToTheNextOne() throws Exception {
        start();
        OutcomeSpool s = spool(100);
        EngineClient first = client();
        s.connected(first);
        s.report(failOpen("before"));
        assertTrue(s.awaitEmpty(10_000));
        engine.cut(); // the engine died
        s.report(Outcome.overridden(7, Reasons.SANDBOX_REQUIRED, "during-1"));
        s.report(failOpen("during-2"));
        // nobody reads an idle connection: the spool finds it broken when it tries to deliver over it
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!first.isBroken() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(first.isBroken(), "within 10 s the spool's delivery found the engine gone");
        assertEquals(2, s.held(), "nothing to deliver over");
        // (that none went out over the broken connection meanwhile is witnessed below: the gap
        // delivered on the next connection says it held both)

        s.connected(client()); // the agent reconnected
        assertTrue(s.awaitEmpty(10_000));
        assertEquals(List.of("before", "during-1", "during-2"), engine.reasons());
        Map<String, Object> firstLate = engine.received.get(1);
        assertEquals(true, firstLate.get("spooled"));
        @SuppressWarnings("unchecked")
        Map<String, Object> gap = (Map<String, Object>) firstLate.get("gap");
        assertEquals(2L, gap.get("held"));
        assertEquals(0L, gap.get("dropped"));
    }

    @Test
    void anUnwritableLogIsRetriedAndARefusalIsNot() throws Exception {
        start();
        AtomicInteger calls = new AtomicInteger();
        engine.answer = body -> {
            if (body.get("reason").equals("disk full once") && calls.getAndIncrement() == 0) {
                return Map.of("code", Reasons.AUDIT_UNAVAILABLE, "message", "No space left on device");
            }
            if (body.get("reason").equals("not mine")) {
                return Map.of("code", Outcome.NOT_OWN_DECISION, "message", "#3 is a decision of another agent");
            }
            return null;
        };
        OutcomeSpool s = spool(100);
        s.connected(client());
        s.report(Outcome.overridden(1, Reasons.SANDBOX_UNAVAILABLE, "disk full once"));
        s.report(Outcome.overridden(3, Reasons.SANDBOX_UNAVAILABLE, "not mine"));
        s.report(Outcome.overridden(4, Reasons.SANDBOX_UNAVAILABLE, "after"));
        assertTrue(s.awaitEmpty(10_000));
        assertEquals(List.of("disk full once", "disk full once", "not mine", "after"), engine.reasons(),
                "the unlogged one again (after a pause), in its place; the refused one once");
        assertFalse(engine.received.get(0).containsKey("spooled"));
        assertEquals(true, engine.received.get(1).get("spooled"), "the retry says it is late");
        assertEquals(2, s.delivered());
        assertEquals(1, s.rejected());
    }

    @Test
    void aClosedSpoolDropsAndCounts() {
        OutcomeSpool s = spool(10);
        s.close();
        s.report(failOpen("x"));
        assertEquals(0, s.held());
        assertEquals(1, s.dropped());
        s.report(null); // never throws
    }
}
