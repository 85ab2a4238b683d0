package dev.agt.engine.server;

import static dev.agt.engine.server.EngineFixture.read;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agt.audit.FsyncPolicy;
import dev.agt.protocol.Decision;
import dev.agt.protocol.EngineAddress;
import dev.agt.protocol.EngineClient;
import dev.agt.protocol.Frame;
import dev.agt.protocol.FrameCodec;
import dev.agt.protocol.FrameType;
import dev.agt.protocol.Limits;
import dev.agt.protocol.Reasons;
import dev.agt.protocol.Request;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The engine in this JVM, on real Unix sockets, with real clients. */
class EngineTest {
    static final String POLICY = "version: 1\nrules:\n"
            + "  - {id: work, effect: allow, family: file, paths: [\"/work/**\"]}\n"
            + "  - {id: secrets, effect: deny, family: file, paths: [\"**/.env\"]}\n";

    @RegisterExtension
    final EngineFixture f = new EngineFixture();

    Engine start(String policy, boolean watch, Engine.SinkFactory sinks) throws Exception {
        f.writePolicy(policy);
        EngineConfig cfg = new EngineConfig(f.policyFile(), Map.of(), f.socket(), null, null, f.audit(), FsyncPolicy.INTERVAL, 0, watch);
        return f.start(cfg, sinks);
    }

    @Test
    void everyDecisionIsInTheLogUnderTheSequenceNumberTheAgentGot() throws Exception {
        start(POLICY, false, null);
        EngineClient c = f.client("agent-1");
        Decision allow = c.decide(read("/work/a.txt"), 5000);
        Decision deny = c.decide(read("/work/.env"), 5000);
        Decision dflt = c.decide(read("/etc/shadow"), 5000);
        assertTrue(allow.allowed());
        assertEquals("work", allow.rule());
        assertEquals("secrets", deny.rule());
        assertEquals(Reasons.DEFAULT_DENY, dflt.rule());
        assertEquals(f.engine().policy().version(), allow.policyVersion());
        Map<Long, JsonNode> bySeq = new HashMap<>();
        for (JsonNode n : f.auditLines()) {
            bySeq.put(n.get("seq").asLong(), n);
        }
        for (Decision d : List.of(allow, deny, dflt)) {
            JsonNode e = bySeq.get(d.auditSeq());
            assertNotNull(e, "no audit entry #" + d.auditSeq());
            assertEquals("decision", e.get("type").asText());
            assertEquals(d.rule(), e.at("/decision/rule").asText());
            assertEquals(d.allowed() ? "allow" : "deny", e.at("/decision/effect").asText());
            assertEquals("agent-1", e.at("/agent/name").asText());
            assertEquals(System.getProperty("user.name"), e.at("/agent/uid").asText());
            assertEquals("local-peercred", e.at("/agent/auth").asText());
            assertEquals("enforce", e.at("/agent/mode").asText());
        }
        assertEquals("/work/a.txt", bySeq.get(allow.auditSeq()).at("/request/target/path").asText());
    }

    @Test
    void manyThreadsShareOneConnectionAndEachGetsItsOwnAnswer() throws Exception {
        start(POLICY, false, null);
        EngineClient c = f.client("pipelined");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<Integer>> results = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            int thread = t;
            results.add(pool.submit(() -> {
                int ok = 0;
                for (int i = 0; i < 400; i++) {
                    boolean allowed = (i + thread) % 3 != 0;
                    String path = allowed ? "/work/t" + thread + "/f" + i : "/other/t" + thread + "/f" + i;
                    Decision d = c.decide(read(path), 10_000);
                    assertEquals(allowed, d.allowed(), path + " -> " + d);
                    ok++;
                }
                return ok;
            }));
        }
        int total = 0;
        for (Future<Integer> result : results) {
            total += result.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertEquals(3200, total);
        assertEquals(3200, f.decisions().size());
    }

    @Test
    void socketIsOwnerOnly() throws Exception {
        start(POLICY, false, null);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f.socket())));
        // no staging directory is left behind
        try (var s = Files.list(f.dir())) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".agt-bind-")));
        }
    }

    @Test
    void aSecondEngineOnTheSameSocketIsRefusedAndAStaleSocketIsReplaced() throws Exception {
        start(POLICY, false, null);
        EngineConfig cfg = new EngineConfig(f.policyFile(), Map.of(), f.socket(), null, null,
                f.file("audit2"), FsyncPolicy.INTERVAL, 0, false);
        Engine second = new Engine(cfg, new PrintStream(new ByteArrayOutputStream()));
        IOException e = assertThrows(IOException.class, second::start);
        assertTrue(e.getMessage().contains("already listening"), e.getMessage());
        second.close();
        assertFalse(Files.exists(f.file("audit2")) || Files.exists(f.file("audit2.key")),
                "a refused engine creates no log and no key");
        assertTrue(f.client("still-served").decide(read("/work/x"), 5000).allowed(), "the first engine keeps serving");

        // a second engine on the same audit directory (another socket) is refused before it writes
        long before = Files.size(Files.list(f.audit().resolve("log")).findFirst().orElseThrow());
        Engine sameLog = new Engine(new EngineConfig(f.policyFile(), Map.of(), f.file("other.sock"), null, null,
                f.audit(), FsyncPolicy.INTERVAL, 0, false), new PrintStream(new ByteArrayOutputStream()));
        IOException locked = assertThrows(IOException.class, sameLog::start);
        assertTrue(locked.getMessage().contains("another engine is using the audit directory"), locked.getMessage());
        sameLog.close();
        assertEquals(before, Files.size(Files.list(f.audit().resolve("log")).findFirst().orElseThrow()), "the refused engine wrote nothing");
        assertTrue(f.client("still-served-2").decide(read("/work/x"), 5000).allowed(), "the first engine keeps serving");

        // a regular file in the way is never deleted
        Path file = f.file("not-a-socket");
        Files.writeString(file, "keep me");
        Engine third = new Engine(new EngineConfig(f.policyFile(), Map.of(), file, null, null,
                f.file("audit3"), FsyncPolicy.INTERVAL, 0, false), new PrintStream(new ByteArrayOutputStream()));
        assertThrows(IOException.class, third::start);
        third.close();
        assertEquals("keep me", Files.readString(file));
    }

    @Test
    void aBadHelloIsRefusedAndLoggedAndABadAdminBodyRefusedWhileTheSessionGoesOn() throws Exception {
        start(POLICY, false, null);
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(f.socket()))) {
            Frame reply = IdentityEngineTest.exchange(ch, new Frame(FrameType.HELLO, 1, Map.of("protocol", 1L, "name", "sloppy", "mode", "watch")));
            assertEquals(FrameType.ERROR, reply.type());
            assertEquals(Reasons.BAD_HELLO, reply.body().get("code"));
            assertEquals("mode must be 'enforce' or 'monitor'", reply.body().get("message"));
            assertEquals(null, FrameCodec.read(ch, Limits.DEFAULT), "the engine closes a refused session");
        }
        JsonNode refused = f.auditLines().stream().filter(n -> "session-refused".equals(n.path("event").asText())).findFirst().orElseThrow();
        assertEquals(Reasons.BAD_HELLO, refused.path("code").asText());
        assertEquals("sloppy", refused.path("name").asText(), "the declared name, for whoever reads the log");

        {
            EngineClient admin = f.admin();
            Frame bad = admin.call(FrameType.KILL, Map.of("agent", "research", "all", true)).get(5, TimeUnit.SECONDS);
            assertEquals(FrameType.ERROR, bad.type());
            assertEquals(Reasons.BAD_REQUEST, bad.body().get("code"));
            assertTrue(String.valueOf(bad.body().get("message")).startsWith("KILL takes {agent: NAME or DID} or {all: true}"), bad.body().toString());
            assertTrue(f.auditLines().stream().noneMatch(n -> "kill".equals(n.path("event").asText())), "nothing was killed");
            assertEquals(FrameType.STATUS_REPLY, admin.call(FrameType.STATUS, Map.of()).get(5, TimeUnit.SECONDS).type(), "the session goes on");
        }
        assertTrue(f.client("good").decide(read("/work/a"), 5000).allowed());
    }

    @Test
    void garbageFromSomeConnectionsNeverDisturbsOthers() throws Exception {
        start(POLICY, false, null);
        EngineClient good = f.client("good");
        assertTrue(good.decide(read("/work/1"), 5000).allowed());
        Random rnd = new Random(42);
        Path sock = f.socket();
        byte[] hello = FrameCodec.encode(new Frame(FrameType.HELLO, 1, Map.of("protocol", 1L, "name", "fuzz", "pid", 1L)), Limits.DEFAULT).array();
        byte[] decide = FrameCodec.encode(new Frame(FrameType.DECIDE, 2, read("/work/x").toBody()), Limits.DEFAULT).array();
        for (int i = 0; i < 300; i++) {
            try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                ch.connect(UnixDomainSocketAddress.of(sock));
                byte[] payload;
                switch (i % 5) {
                    case 0 -> { // random bytes
                        payload = new byte[rnd.nextInt(200)];
                        rnd.nextBytes(payload);
                    }
                    case 1 -> { // a valid hello, then a mutated decide
                        byte[] d = decide.clone();
                        d[4 + rnd.nextInt(d.length - 4)] ^= (byte) (1 + rnd.nextInt(255));
                        payload = concat(hello, d);
                    }
                    case 2 -> // a huge claimed length, few bytes
                            payload = ByteBuffer.allocate(8).putInt(Integer.MAX_VALUE).putInt(7).array();
                    case 3 -> // truncated valid frame
                            payload = java.util.Arrays.copyOf(hello, rnd.nextInt(hello.length));
                    default -> // a decide without hello
                            payload = decide;
                }
                ch.write(ByteBuffer.wrap(payload));
                if (i % 10 == 0) {
                    // every so often the good client must still be served, mid-fuzz
                    assertTrue(good.decide(read("/work/" + i), 5000).allowed(), "good client starved at " + i);
                }
            }
        }
        assertTrue(good.decide(read("/work/after"), 5000).allowed());
        assertFalse(good.decide(read("/etc/passwd"), 5000).allowed());
        EngineFixture.waitFor("at least 100 protocol errors counted", () -> (Long) f.engine().status().get("protocol_errors"), n -> n >= 100);
    }

    @Test
    void illTypedTargetFieldsAreRefusedNotDecided() throws Exception {
        start(POLICY + "  - {id: ssh, effect: deny, family: net, ports: [22]}\n  - {id: net, effect: allow, family: net}\n", false, null);
        EngineClient c = f.client("typed");
        assertFalse(c.decide(Request.of("net", "connect", Map.of("host", "h", "port", 22L)), 5000).allowed());
        // "22" as a string would slip past the deny on port 22 and be allowed by 'net'
        Decision d = c.decide(Request.of("net", "connect", Map.of("host", "h", "port", "22")), 5000);
        assertFalse(d.allowed());
        assertEquals(Reasons.REFUSED, d.code(), "the engine refuses the frame and closes: " + d);
        assertTrue(d.reason().contains("target field 'port' must be an integer"), d.reason());
        assertTrue(f.output().contains("target field 'port' must be an integer"), f.output());
    }

    @Test
    void monitorModeFromAPolicyRuleOrFromTheAgentIsRecordedTheSameWay() throws Exception {
        start(POLICY + "  - {id: scratch, effect: deny, family: file, paths: [\"/work/tmp/**\"], mode: monitor, reason: scratch is going away}\n",
                false, null);
        EngineClient c = f.client("enforcing");
        Decision watched = c.decide(read("/work/tmp/x"), 5000);
        assertTrue(watched.allowed(), watched.toString());
        assertEquals("scratch", watched.rule());
        assertEquals(Reasons.MONITORED, watched.code());
        JsonNode e = f.entry(watched);
        assertEquals("allow", e.at("/decision/effect").asText());
        assertEquals(Reasons.MONITORED, e.at("/decision/code").asText());
        assertEquals("rule", e.at("/decision/monitor/by").asText());
        assertEquals("scratch", e.at("/decision/monitor/rule").asText());
        assertEquals(Reasons.DENIED, e.at("/decision/monitor/code").asText());
        assertEquals("scratch is going away", e.at("/decision/monitor/reason").asText());
        assertEquals("enforce", e.at("/policy_mode").asText());
        assertEquals("enforce", e.at("/agent/mode").asText());

        Decision both = c.decide(read("/work/tmp/.env"), 5000);
        assertFalse(both.allowed(), "the monitor rule matches too, but never hides an enforced deny");
        assertEquals("secrets", both.rule());
        assertTrue(f.entry(both).at("/decision/monitor").isMissingNode());
        assertTrue(f.entry(c.decide(read("/work/a"), 5000)).at("/decision/monitor").isMissingNode());

        // an agent that declared monitor mode gets the denial and lets the call through itself
        EngineClient m = f.client("observer", Map.of("mode", "monitor"));
        Decision d = m.decide(read("/etc/shadow"), 5000);
        assertFalse(d.allowed());
        JsonNode a = f.entry(d);
        assertEquals("deny", a.at("/decision/effect").asText());
        assertEquals("agent", a.at("/decision/monitor/by").asText());
        assertEquals(Reasons.DEFAULT_DENY, a.at("/decision/monitor/rule").asText());
        assertEquals(Reasons.DEFAULT_DENY, a.at("/decision/monitor/code").asText());
        assertEquals("monitor", a.at("/agent/mode").asText());
        assertTrue(f.entry(m.decide(read("/work/a"), 5000)).at("/decision/monitor").isMissingNode(), "an allow has nothing to monitor");
    }

    @Test
    void aMonitorPolicyNeverExcusesAMalformedRequestOrAnUnwritableLog() throws Exception {
        AtomicBoolean failing = new AtomicBoolean(false);
        start("version: 1\nmode: monitor\nrules:\n  - {id: work, effect: allow, family: file, paths: [\"/work/**\"]}\n"
                + "  - {id: secrets, effect: deny, family: file, paths: [\"**/.env\"], mode: enforce}\n", false,
                EngineFixture.failingWhile(failing));
        assertTrue(f.engine().readyLine().endsWith(" mode=monitor"), f.engine().readyLine());
        assertEquals("monitor", f.auditLines().stream().filter(n -> "engine-start".equals(n.path("event").asText())).findFirst()
                .orElseThrow().at("/policy_mode").asText());
        EngineClient c = f.client("rolling-out");
        Decision dflt = c.decide(read("/etc/shadow"), 5000);
        assertTrue(dflt.allowed());
        assertEquals(Reasons.DEFAULT_DENY, dflt.rule());
        JsonNode e = f.entry(dflt);
        assertEquals("policy", e.at("/decision/monitor/by").asText());
        assertEquals(Reasons.DEFAULT_DENY, e.at("/decision/monitor/code").asText());
        assertEquals("monitor", e.at("/policy_mode").asText());
        assertEquals("secrets", c.decide(read("/work/.env"), 5000).rule());
        assertFalse(c.decide(read("/work/.env"), 5000).allowed(), "mode: enforce on the rule holds");

        failing.set(true);
        Decision unlogged = c.decide(read("/etc/shadow"), 5000);
        assertFalse(unlogged.allowed());
        assertEquals(Reasons.AUDIT_UNAVAILABLE, unlogged.code());
        failing.set(false);

        Decision malformed = c.decide(Request.of("file", "read", Map.of("path", 7L)), 5000);
        assertFalse(malformed.allowed());
        assertEquals(Reasons.REFUSED, malformed.code());
    }

    @Test
    void decideBeforeHelloIsRefusedAndTheConnectionClosed() throws Exception {
        start(POLICY, false, null);
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(f.socket()))) {
            ch.write(FrameCodec.encode(new Frame(FrameType.DECIDE, 9, read("/work/x").toBody()), Limits.DEFAULT));
            Frame reply = FrameCodec.read(ch, Limits.DEFAULT);
            assertEquals(FrameType.ERROR, reply.type());
            assertEquals("hello-required", reply.body().get("code"));
            assertEquals(null, FrameCodec.read(ch, Limits.DEFAULT), "the engine closes the connection");
        }
        assertTrue(f.decisions().isEmpty(), "nothing was decided");
    }

    @Test
    void anInvalidReloadKeepsTheLastGoodPolicyAndIsLogged() throws Exception {
        start(POLICY, true, null);
        EngineClient c = f.client("reloads");
        String v1 = f.engine().policy().version();
        assertFalse(c.decide(read("/data/x"), 5000).allowed());

        f.writePolicy(POLICY + "  - {id: data, effect: allow, family: file, paths: [\"/data/**\"]}\n");
        Decision after = EngineFixture.waitFor("the watched policy file reloaded: /data/x allowed", () -> c.decide(read("/data/x"), 5000),
                Decision::allowed);
        assertEquals("data", after.rule());
        String v2 = f.engine().policy().version();
        assertFalse(v1.equals(v2));

        f.writePolicy("version: 1\nrules:\n  - {id: broken, effect: alow, family: file}\n");
        EngineFixture.waitFor("the broken policy file rejected", () -> f.engine().status().get("reloads_rejected"), n -> (Long) n >= 1);
        assertEquals(v2, f.engine().policy().version(), "the last good policy stays in force");
        assertTrue(c.decide(read("/data/x"), 5000).allowed());
        Map<String, Object> r = f.engine().reload("admin");
        assertEquals("rejected", r.get("result"));
        assertTrue(r.get("problems").toString().contains("policy.yaml:3:26: effect must be 'allow', 'deny' or 'ask'"), r.toString());

        List<String> events = f.auditLines().stream().filter(n -> n.has("event")).map(n -> n.get("event").asText()).toList();
        assertTrue(events.contains("policy-loaded"), events.toString());
        assertTrue(events.contains("policy-rejected"), events.toString());
    }

    @Test
    void whenTheLogCannotBeWrittenEveryCallIsDeniedAndServiceResumesAfterwards() throws Exception {
        AtomicBoolean failing = new AtomicBoolean(false);
        start(POLICY, false, EngineFixture.failingWhile(failing));
        EngineClient c = f.client("disk-full");
        assertTrue(c.decide(read("/work/a"), 5000).allowed());
        failing.set(true);
        Decision d = c.decide(read("/work/a"), 5000);
        assertFalse(d.allowed());
        assertEquals(Reasons.AUDIT_UNAVAILABLE, d.code());
        assertEquals(-1, d.auditSeq());
        failing.set(false);
        Decision again = c.decide(read("/work/a"), 5000);
        assertTrue(again.allowed());
        assertEquals(2, f.decisions().size(), "the unlogged decision was not granted, the two logged ones were");
    }

    @Test
    void shutdownAnswersAndLogsEveryRequestInFlight() throws Exception {
        start(POLICY, false, null);
        EngineClient c = f.client("drain");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<List<Decision>>> fs = new ArrayList<>();
        AtomicInteger answered = new AtomicInteger();
        for (int t = 0; t < 4; t++) {
            fs.add(pool.submit(() -> {
                List<Decision> got = new ArrayList<>();
                for (int i = 0; i < 2000; i++) {
                    Decision d = c.decide(read("/work/" + i), 5000);
                    got.add(d);
                    answered.incrementAndGet();
                    if (d.code().equals(Reasons.ENGINE_UNREACHABLE)) {
                        break;
                    }
                }
                return got;
            }));
        }
        // stop while the threads are busy: they have had answers, and have thousands more to ask
        EngineFixture.waitFor("the four threads answered 100 times", answered::get, n -> n >= 100);
        f.stopEngine();
        List<Decision> all = new ArrayList<>();
        for (Future<List<Decision>> thread : fs) {
            all.addAll(thread.get(60, TimeUnit.SECONDS));
        }
        pool.shutdown();
        List<JsonNode> log = f.auditLines();
        java.util.Set<Long> logged = new java.util.HashSet<>();
        log.forEach(n -> logged.add(n.get("seq").asLong()));
        for (Decision d : all) {
            if (d.auditSeq() >= 0) {
                assertTrue(logged.contains(d.auditSeq()), "decision #" + d.auditSeq() + " was returned but is not in the log");
            } else {
                assertFalse(d.allowed(), "an unlogged decision must be a denial: " + d);
            }
        }
        assertEquals("engine-stop", log.get(log.size() - 1).get("event").asText());
        assertFalse(Files.exists(f.socket()), "socket removed on stop");
    }

    @Test
    void groupAccessIsOptInAndMetricsAreServedOnLoopback() throws Exception {
        f.writePolicy(POLICY);
        String group = Files.getAttribute(f.dir(), "posix:group").toString();
        int port = freePort();
        f.start(new EngineConfig(f.policyFile(), Map.of(), f.socket(), null, group, f.audit(), FsyncPolicy.INTERVAL, port, false));
        assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(f.socket())));
        assertEquals(group, Files.getAttribute(f.socket(), "posix:group").toString());
        EngineClient c = f.client("metrics");
        c.decide(read("/work/a"), 5000);
        c.decide(read("/etc/passwd"), 5000);
        var http = java.net.http.HttpClient.newHttpClient();
        String body = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(body.contains("agt_decisions_total{effect=\"allow\"} 1\n"), body);
        assertTrue(body.contains("agt_decisions_total{effect=\"deny\"} 1\n"), body);
        assertTrue(body.contains("agt_connections_total 1\n"), body);
        assertTrue(body.contains("agt_policy_info{version=\"" + f.engine().policy().version() + "\"} 1"), body);
    }

    @Test
    void tcpIsLoopbackOnlyAndTakesNoAdminRequests() throws Exception {
        f.writePolicy(POLICY);
        Engine wide = new Engine(new EngineConfig(f.policyFile(), Map.of(), null, "0.0.0.0:0", null,
                f.file("audit-wide"), FsyncPolicy.INTERVAL, 0, false), new PrintStream(new ByteArrayOutputStream()));
        IOException e = assertThrows(IOException.class, wide::start);
        assertTrue(e.getMessage().contains("must be a loopback address"), e.getMessage());
        wide.close();

        int port = freePort();
        f.start(new EngineConfig(f.policyFile(), Map.of(), null, "127.0.0.1:" + port, null, f.audit(), FsyncPolicy.INTERVAL, 0, false));
        try (EngineClient c = EngineClient.connect(EngineAddress.parse("tcp:127.0.0.1:" + port), "sidecar", Map.of(), 5000)) {
            Decision d = c.decide(read("/work/a"), 5000);
            assertTrue(d.allowed());
            Frame reply = c.call(FrameType.RELOAD, Map.of()).get(5, TimeUnit.SECONDS);
            assertEquals(FrameType.ERROR, reply.type());
            assertEquals("not-permitted", reply.body().get("code"));
            assertTrue(c.decide(read("/work/b"), 5000).allowed(), "a refused admin request does not end the session");
        }
        JsonNode entry = f.decisions().get(0);
        assertEquals("tcp-declared", entry.at("/agent/auth").asText());
    }

    static int freePort() throws IOException {
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        }
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
