package dev.agt.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** HELLO and the admin bodies: one reading each, through the codec, and a clear code and message for every bad shape. */
class HelloTest {
    static final String DID = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";

    static Map<String, Object> body(Consumer<Map<String, Object>> change) {
        Map<String, Object> m = new LinkedHashMap<>(Map.of("protocol", 1L, "name", "research", "pid", 42L));
        change.accept(m);
        return m;
    }

    static Map<String, Object> viaCodec(FrameType type, Map<String, Object> body) throws IOException {
        ByteBuffer b = FrameCodec.encode(new Frame(type, 1, body), Limits.DEFAULT);
        return FrameCodec.read(FrameCodecTest.channel(b.array(), b.limit()), Limits.DEFAULT).body();
    }

    @Test
    void everyShapeOfAGoodHelloReadsBackAsItself() throws IOException {
        List<Hello> all = List.of(
                new Hello("research", 42, Hello.Mode.ENFORCE, false, "", Optional.empty(), List.of()),
                new Hello("agt-cli", Hello.NO_PID, Hello.Mode.ENFORCE, true, "", Optional.empty(), List.of()),
                new Hello("watcher", 7, Hello.Mode.MONITOR, false, "17.0.15", Optional.of(DID), List.of("t1", "t2")),
                new Hello("watcher/child", 8, Hello.Mode.ENFORCE, false, "", Optional.empty(), List.of(), Optional.of("AbCdEfGhIjKlMnOpQrStUv")));
        for (Hello h : all) {
            assertEquals(h, Hello.parse(viaCodec(FrameType.HELLO, h.toBody())));
        }
        Hello minimal = Hello.parse(Map.of("protocol", 1L, "name", "a"));
        assertEquals(Hello.Mode.ENFORCE, minimal.mode());
        assertEquals(Hello.NO_PID, minimal.pid());
    }

    @Test
    void aBadHelloIsRefusedWithItsCodeAndWhatToFix() {
        Map<String, Map<String, Object>> cases = new LinkedHashMap<>();
        cases.put("unsupported-version: this side speaks protocol 1, the HELLO said 2", body(m -> m.put("protocol", 2L)));
        cases.put("unsupported-version: this side speaks protocol 1, the HELLO said none", body(m -> m.remove("protocol")));
        cases.put("bad-hello: agent name must be 1-128 letters, digits or _.:@/- (got bad name)", body(m -> m.put("name", "bad name")));
        cases.put("bad-hello: agent name must be 1-128 letters, digits or _.:@/- (got none)", body(m -> m.remove("name")));
        cases.put("bad-hello: pid must be a process id (a non-negative integer)", body(m -> m.put("pid", "42")));
        cases.put("bad-hello: mode must be 'enforce' or 'monitor'", body(m -> m.put("mode", "watch")));
        cases.put("bad-hello: admin must be a boolean", body(m -> m.put("admin", "yes")));
        cases.put("bad-hello: unknown HELLO field 'nmae' (fields: protocol, name, pid, mode, admin, java, did, chain, lineage)", body(m -> m.put("nmae", "x")));
        cases.put("bad-hello: lineage must be the 22-character id the engine gave the parent session", body(m -> m.put("lineage", "short")));
        cases.put("bad-hello: an admin session joins no lineage", body(m -> {
            m.put("admin", true);
            m.put("lineage", "AAAAAAAAAAAAAAAAAAAAAA");
        }));
        cases.put("bad-hello: chain must be a list of at most 16 token strings", body(m -> {
            m.put("did", DID);
            m.put("chain", List.of(1L));
        }));
        cases.put("bad-hello: a HELLO with a chain must name the presenting did", body(m -> m.put("chain", List.of("t"))));
        cases.put("bad-hello: did must be a non-empty string", body(m -> m.put("did", 5L)));
        cases.put("bad-hello: an admin session names no did (admin requests are taken from the engine's own user, not from an identity)",
                body(m -> {
                    m.put("did", DID);
                    m.put("admin", true);
                }));
        cases.forEach((message, body) -> {
            ProtocolException e = assertThrows(ProtocolException.class, () -> Hello.parse(body), message);
            assertEquals(message, e.getMessage());
            assertEquals(message, e.code() + ": " + e.detail());
        });
    }

    @Test
    void adminBodiesHaveOneReadingEach() throws IOException {
        List<AdminRequest> all = List.of(new AdminRequest.Status(), new AdminRequest.Reload(false), new AdminRequest.Reload(true),
                new AdminRequest.Switch(true, Optional.of("research")), new AdminRequest.Switch(true, Optional.empty()),
                new AdminRequest.Switch(false, Optional.of(DID)), new AdminRequest.Switch(false, Optional.empty()));
        for (AdminRequest r : all) {
            assertEquals(r, AdminRequest.parse(r.type(), viaCodec(r.type(), r.toBody())));
        }
        Map<String, ProtocolException> bad = new LinkedHashMap<>();
        bad.put("bad-request: KILL takes {agent: NAME or DID} or {all: true}, got {}", refused(FrameType.KILL, Map.of()));
        bad.put("bad-request: REVIVE takes {agent: NAME or DID} or {all: true}, got {agent=x, all=true}",
                refused(FrameType.REVIVE, body(m -> {
                    m.clear();
                    m.put("agent", "x");
                    m.put("all", true);
                })));
        bad.put("bad-request: KILL takes {agent: NAME or DID} or {all: true}, got {all=false}", refused(FrameType.KILL, Map.of("all", false)));
        bad.put("bad-request: KILL takes {agent: NAME or DID} or {all: true}, got {agent=a b}", refused(FrameType.KILL, Map.of("agent", "a b")));
        bad.put("bad-request: RELOAD registry must be a boolean", refused(FrameType.RELOAD, Map.of("registry", "yes")));
        bad.put("bad-request: RELOAD has no field 'policy' (fields: registry)", refused(FrameType.RELOAD, Map.of("policy", "x")));
        bad.put("bad-request: STATUS has no field 'verbose' (its body is {})", refused(FrameType.STATUS, Map.of("verbose", true)));
        bad.put("unexpected-frame: DECIDE is not an admin request", refused(FrameType.DECIDE, Map.of()));
        bad.forEach((message, e) -> assertEquals(message, e.getMessage()));
        assertTrue(bad.values().stream().limit(7).allMatch(e -> e.code().equals(Reasons.BAD_REQUEST)));
    }

    private static ProtocolException refused(FrameType type, Map<String, Object> body) {
        return assertThrows(ProtocolException.class, () -> AdminRequest.parse(type, body));
    }
}
