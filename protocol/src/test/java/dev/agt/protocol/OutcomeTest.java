package dev.agt.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** The OUTCOME frame's body: every kind through the codec, and every malformed shape refused with its code. */
class OutcomeTest {
    static final long T = 1_790_000_000_000L;
    static final Request LAUNCH = new Request("process", "exec", Map.of("executable", "/usr/bin/python3", "argv", List.of("python3", "x.py")),
            "worker-1", List.of("com.example.Tools.run(Tools.java:12)"));

    static OutcomeDelivery roundTrip(OutcomeDelivery d) throws IOException {
        ByteBuffer b = FrameCodec.encode(new Frame(FrameType.OUTCOME, 7, d.toBody()), Limits.DEFAULT);
        Frame back = FrameCodec.read(FrameCodecTest.channel(b.array(), b.limit()), Limits.DEFAULT);
        assertEquals(FrameType.OUTCOME, back.type());
        return OutcomeDelivery.fromBody(back.body());
    }

    /** A valid body to break one field of. */
    static Map<String, Object> body(Consumer<Map<String, Object>> change) {
        Map<String, Object> m = new LinkedHashMap<>(OutcomeDelivery.live(Outcome.deniedLocally(Reasons.UNBUILDABLE_REQUEST, "no tool name",
                LAUNCH)).toBody());
        change.accept(m);
        return m;
    }

    static ProtocolException refused(Map<String, Object> body) {
        return assertThrows(ProtocolException.class, () -> OutcomeDelivery.fromBody(body));
    }

    @Test
    void frameCodesAreNewAndNeverReused() {
        assertEquals(16, FrameType.OUTCOME.code());
        assertEquals(17, FrameType.OUTCOME_ACK.code());
        Set<Integer> codes = new HashSet<>();
        for (FrameType t : FrameType.values()) {
            assertTrue(codes.add(t.code()), "code " + t.code() + " used twice");
            assertEquals(t, FrameType.ofCode(t.code()));
        }
    }

    @Test
    void everyKindSurvivesTheCodec() throws IOException {
        List<Outcome> all = List.of(
                new Outcome(Outcome.Kind.DENIED_LOCALLY, Reasons.UNBUILDABLE_REQUEST, "no tool name", Outcome.NONE, Optional.of(LAUNCH), T),
                new Outcome(Outcome.Kind.OVERRIDDEN, Reasons.SANDBOX_UNAVAILABLE, "bwrap missing", 41, Optional.empty(), T),
                new Outcome(Outcome.Kind.OVERRIDDEN, Reasons.LAUNCH_CHANGED, "argv changed", 41, Optional.of(LAUNCH), T),
                new Outcome(Outcome.Kind.PASSED_FAIL_OPEN, Reasons.ENGINE_UNREACHABLE, "connect refused", Outcome.NONE, Optional.of(LAUNCH), T),
                new Outcome(Outcome.Kind.PASSED_MONITOR, Reasons.DEFAULT_DENY, "no rule allows this call", 0, Optional.empty(), T),
                new Outcome(Outcome.Kind.PASSED_MONITOR, Reasons.TIMEOUT, "engine slow", Outcome.NONE, Optional.of(LAUNCH), T),
                new Outcome(Outcome.Kind.MODIFIED, Reasons.UNSAFE_JVM_OPTION, "-XX:+EnableDynamicAgentLoading removed", 9,
                        Optional.of(LAUNCH), T));
        for (Outcome o : all) {
            assertEquals(OutcomeDelivery.live(o), roundTrip(OutcomeDelivery.live(o)));
        }
        OutcomeDelivery late = new OutcomeDelivery(all.get(3), true, Optional.of(new OutcomeDelivery.Gap(12, 3, T - 5000,
                Map.of("passed-fail-open", 2L, "denied-locally", 1L))));
        assertEquals(late, roundTrip(late));
    }

    @Test
    void eachKindSaysWhatFinallyHappenedAndWhetherItFollowsADecision() {
        assertEquals(Decision.Effect.DENY, Outcome.Kind.DENIED_LOCALLY.effect());
        assertEquals(Decision.Effect.DENY, Outcome.Kind.OVERRIDDEN.effect());
        assertEquals(Decision.Effect.ALLOW, Outcome.Kind.PASSED_FAIL_OPEN.effect());
        assertEquals(Decision.Effect.ALLOW, Outcome.Kind.PASSED_MONITOR.effect());
        assertEquals(Decision.Effect.ALLOW, Outcome.Kind.MODIFIED.effect());
        assertEquals(Outcome.Follows.ALWAYS, Outcome.Kind.OVERRIDDEN.follows());
        assertEquals(Outcome.Follows.NEVER, Outcome.Kind.DENIED_LOCALLY.follows());
        assertEquals(Outcome.Follows.NEVER, Outcome.Kind.PASSED_FAIL_OPEN.follows());
        for (Outcome.Kind k : Outcome.Kind.values()) {
            assertEquals(Optional.of(k), Outcome.Kind.of(k.key()));
        }
        assertEquals(Optional.empty(), Outcome.Kind.of("allowed"));
    }

    @Test
    void theRecordRefusesContradictions() {
        // no decision and no request: the log would hold nothing about the call
        assertThrows(IllegalArgumentException.class, () -> new Outcome(Outcome.Kind.PASSED_MONITOR, "denied", "", Outcome.NONE, Optional.empty(), T));
        assertThrows(IllegalArgumentException.class, () -> new Outcome(Outcome.Kind.OVERRIDDEN, "sandbox-required", "", Outcome.NONE,
                Optional.of(LAUNCH), T));
        assertThrows(IllegalArgumentException.class, () -> new Outcome(Outcome.Kind.DENIED_LOCALLY, "refused", "", 3, Optional.of(LAUNCH), T));
        assertThrows(IllegalArgumentException.class, () -> new Outcome(Outcome.Kind.PASSED_FAIL_OPEN, "timeout", "", 3, Optional.of(LAUNCH), T));
        assertThrows(IllegalArgumentException.class, () -> new Outcome(Outcome.Kind.OVERRIDDEN, "Sandbox Unavailable", "", 3, Optional.empty(), T));
        assertThrows(IllegalArgumentException.class, () -> new Outcome(Outcome.Kind.OVERRIDDEN, "", "", 3, Optional.empty(), T));
        assertThrows(IllegalArgumentException.class, () -> new Outcome(Outcome.Kind.OVERRIDDEN, null, "", 3, Optional.empty(), T));
        assertThrows(IllegalArgumentException.class, () -> new Outcome(Outcome.Kind.OVERRIDDEN, "x", "", -2, Optional.empty(), T));
        assertThrows(IllegalArgumentException.class, () -> new Outcome(Outcome.Kind.OVERRIDDEN, "x", "", 3, Optional.empty(), 0));
        assertThrows(NullPointerException.class, () -> new Outcome(null, "x", "", 3, Optional.empty(), T));
        assertThrows(IllegalArgumentException.class, () -> new OutcomeDelivery(Outcome.overridden(3, "x", ""), false,
                Optional.of(new OutcomeDelivery.Gap(1, 0, T, Map.of()))));
        // a long exception message is clipped, not refused: the outcome must still reach the log
        Outcome long_ = Outcome.overridden(3, Reasons.SANDBOX_UNAVAILABLE, "x".repeat(10_000));
        assertEquals(Outcome.MAX_REASON, long_.reason().length());
        assertTrue(long_.reason().endsWith("..."));
        assertEquals("", Outcome.overridden(3, "x", null).reason());
    }

    @Test
    void malformedBodiesAreRefusedWithTheirCode() {
        Map<String, String> expected = new LinkedHashMap<>();
        Map<String, Map<String, Object>> cases = new LinkedHashMap<>();
        cases.put("no outcome", body(m -> m.remove("outcome")));
        cases.put("unknown outcome", body(m -> m.put("outcome", "allowed")));
        cases.put("outcome not a string", body(m -> m.put("outcome", 3L)));
        cases.put("no code", body(m -> m.remove("code")));
        cases.put("code not a reason code", body(m -> m.put("code", "rm -rf /")));
        cases.put("reason not a string", body(m -> m.put("reason", List.of())));
        cases.put("no time", body(m -> m.remove("time")));
        cases.put("time a string", body(m -> m.put("time", "now")));
        cases.put("time negative", body(m -> m.put("time", -5L)));
        cases.put("follows a string", body(m -> m.put("follows", "41")));
        cases.put("follows a double", body(m -> m.put("follows", 41.0)));
        cases.put("follows below -1", body(m -> m.put("follows", -7L)));
        cases.put("denied-locally following a decision", body(m -> m.put("follows", 41L)));
        cases.put("overridden without a decision", body(m -> m.put("outcome", "overridden")));
        cases.put("no decision and no request", body(m -> m.remove("request")));
        cases.put("unknown field", body(m -> m.put("verdict", "allow")));
        cases.put("spooled not a boolean", body(m -> m.put("spooled", "yes")));
        cases.put("gap without spooled", body(m -> m.put("gap", Map.of("held", 1L, "dropped", 0L, "since", T))));
        cases.put("gap not a map", body(m -> {
            m.put("spooled", true);
            m.put("gap", 3L);
        }));
        cases.put("gap missing dropped", body(m -> {
            m.put("spooled", true);
            m.put("gap", Map.of("held", 1L, "since", T));
        }));
        cases.put("gap negative dropped", body(m -> {
            m.put("spooled", true);
            m.put("gap", Map.of("held", 1L, "dropped", -1L, "since", T));
        }));
        cases.put("gap unknown field", body(m -> {
            m.put("spooled", true);
            m.put("gap", Map.of("held", 1L, "dropped", 0L, "since", T, "lost", 3L));
        }));
        cases.put("gap unknown kind", body(m -> {
            m.put("spooled", true);
            m.put("gap", Map.of("held", 1L, "dropped", 1L, "since", T, "dropped_kinds", Map.of("allowed", 1L)));
        }));
        cases.forEach((name, b) -> expected.put(name, Outcome.BAD_OUTCOME));
        cases.put("request not a map", body(m -> m.put("request", "process/exec")));
        expected.put("request not a map", "bad-request");
        cases.put("request without family", body(m -> m.put("request", Map.of("action", "exec"))));
        expected.put("request without family", "bad-request");
        cases.put("request with frames not strings", body(m -> m.put("request", Map.of("family", "process", "action", "exec",
                "frames", List.of(1L)))));
        expected.put("request with frames not strings", "bad-request");
        cases.forEach((name, b) -> {
            ProtocolException e = refused(b);
            assertEquals(expected.get(name), e.code(), name + ": " + e.getMessage());
        });
    }

    /** Random damage to valid bodies: whatever arrives, the reader answers with a ProtocolException or a valid outcome, nothing else. */
    @Test
    void randomlyDamagedBodiesNeverEscapeAsAnythingButProtocolErrors() {
        Random rnd = new Random(0x07c0e5L);
        List<Object> junk = new ArrayList<>(List.of("", "x", -1L, 0L, Long.MAX_VALUE, Long.MIN_VALUE, 1.5, true, List.of(), Map.of(),
                Map.of("family", "f", "action", "a"), List.of("a", 1L)));
        junk.add(null);
        List<String> keys = List.of("outcome", "code", "reason", "time", "follows", "request", "spooled", "gap", "extra");
        int ok = 0;
        for (int i = 0; i < 5000; i++) {
            Map<String, Object> b = new LinkedHashMap<>(OutcomeDelivery.live(new Outcome(rnd.nextBoolean() ? Outcome.Kind.OVERRIDDEN : Outcome.Kind.PASSED_MONITOR, "denied", "r", 1 + rnd.nextInt(100), Optional.of(LAUNCH), T)).toBody());
            for (int k = 1 + rnd.nextInt(3); k > 0; k--) {
                String key = keys.get(rnd.nextInt(keys.size()));
                if (rnd.nextInt(4) == 0) {
                    b.remove(key);
                } else {
                    b.put(key, junk.get(rnd.nextInt(junk.size())));
                }
            }
            try {
                OutcomeDelivery.fromBody(b);
                ok++;
            } catch (ProtocolException e) {
                assertTrue(e.code().equals(Outcome.BAD_OUTCOME) || e.code().equals("bad-request"), e.getMessage());
            }
        }
        assertTrue(ok < 5000, "some damage must be refused");
    }
}
