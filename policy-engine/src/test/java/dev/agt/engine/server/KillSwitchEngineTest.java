package dev.agt.engine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agt.audit.FsyncPolicy;
import dev.agt.engine.session.AuthMode;
import dev.agt.engine.session.KillSwitch;
import dev.agt.identity.AgentKey;
import dev.agt.identity.Registry;
import dev.agt.identity.Scope;
import dev.agt.protocol.Authenticator;
import dev.agt.protocol.Decision;
import dev.agt.protocol.EngineAddress;
import dev.agt.protocol.EngineClient;
import dev.agt.protocol.Frame;
import dev.agt.protocol.FrameType;
import dev.agt.protocol.Reasons;
import dev.agt.protocol.Request;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The kill switch through a real engine: immediate, across threads and agents, persisted, and logged. */
class KillSwitchEngineTest {
    static final String POLICY = "version: 1\nrules:\n  - {id: work, effect: allow, family: file, paths: [\"/work/**\"]}\n";

    @TempDir
    Path dir;
    Engine engine;
    final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
    final List<EngineClient> clients = new ArrayList<>();
    final AgentKey research = AgentKey.generate("research");

    Engine start() throws Exception {
        if (!Files.exists(dir.resolve("policy.yaml"))) {
            Files.writeString(dir.resolve("policy.yaml"), POLICY);
            Registry.update(dir.resolve("agents.json"), r -> r.with(Registry.Entry.create(research.did(), "research", Map.of(), Instant.now())));
        }
        engine = new Engine(new EngineConfig(dir.resolve("policy.yaml"), Map.of(), dir.resolve("engine.sock"), null, null,
                dir.resolve("audit"), FsyncPolicy.INTERVAL, 0, false).withIdentity(AuthMode.LOCAL, dir.resolve("agents.json")),
                new PrintStream(logBytes, true));
        engine.start();
        return engine;
    }

    EngineAddress address() {
        return EngineAddress.parse(dir.resolve("engine.sock").toString());
    }

    EngineClient as(AgentKey key) throws IOException {
        EngineClient c = EngineClient.connect(address(), key.name(), Map.of(), 5000, Authenticator.of(key.did(), key.chain(), key::sign));
        clients.add(c);
        return c;
    }

    EngineClient declared(String name) throws IOException {
        EngineClient c = EngineClient.connect(address(), name, Map.of(), 5000);
        clients.add(c);
        return c;
    }

    Map<String, Object> admin(FrameType type, Map<String, Object> body) throws Exception {
        try (EngineClient c = EngineClient.connect(address(), "agt-cli", Map.of("admin", true), 5000)) {
            Frame reply = c.call(type, body).get(10, TimeUnit.SECONDS);
            assertEquals(type == FrameType.KILL ? FrameType.KILL_REPLY : FrameType.REVIVE_REPLY, reply.type(), reply.body().toString());
            return reply.body();
        }
    }

    static Request read(String path) {
        return Request.of("file", "read", Map.of("path", path));
    }

    List<JsonNode> events(String kind) throws IOException {
        return EngineTest.auditLines(dir).stream().filter(n -> kind.equals(n.path("event").asText())).toList();
    }

    @AfterEach
    void stop() {
        clients.forEach(EngineClient::close);
        if (engine != null) {
            engine.close();
        }
    }

    /** One call as a thread saw it: when it was sent (nanoTime) and the answer. */
    record Call(String agent, long sentNanos, Decision decision) {
    }

    @Test
    void aKillTakesEffectOnTheVeryNextCallOfEveryThreadOfThatAgentAndItsDelegates() throws Exception {
        start();
        AgentKey child = research.delegate(AgentKey.generate("research/child"), Scope.UNRESTRICTED, Duration.ofHours(1));
        Map<String, EngineClient> agents = Map.of("research", as(research), "child", as(child), "ops", declared("ops"),
                "ops2", declared("ops2"));
        List<Call> calls = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong made = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(12);
        List<Future<?>> fs = new ArrayList<>();
        CountDownLatch warm = new CountDownLatch(12);
        for (Map.Entry<String, EngineClient> a : agents.entrySet()) {
            for (int t = 0; t < 3; t++) {
                int thread = t;
                fs.add(pool.submit(() -> {
                    int i = 0;
                    while (running.get()) {
                        long sent = System.nanoTime();
                        Decision d = a.getValue().decide(read("/work/" + a.getKey() + "/" + thread + "/" + i++), 10_000);
                        calls.add(new Call(a.getKey(), sent, d));
                        made.incrementAndGet();
                        if (i == 20) {
                            warm.countDown();
                        }
                    }
                    return null;
                }));
            }
        }
        assertTrue(warm.await(60, TimeUnit.SECONDS));
        Map<String, Object> reply = admin(FrameType.KILL, Map.of("agent", "research"));
        long killed = System.nanoTime(); // every call sent after this instant must be denied
        assertEquals("killed", reply.get("result"));
        assertEquals(2L, reply.get("sessions_stopped"), "research and the child acting for it");
        long seen = made.get();
        while (made.get() < seen + 400) {
            Thread.sleep(5);
        }
        running.set(false);
        for (Future<?> f : fs) {
            f.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();

        int after = 0;
        int before = 0;
        for (Call c : new ArrayList<>(calls)) {
            boolean stopped = c.agent().equals("research") || c.agent().equals("child");
            if (c.sentNanos() > killed && stopped) {
                after++;
                assertFalse(c.decision().allowed(), c.toString());
                assertEquals(Reasons.KILLED, c.decision().code(), c.toString());
            } else if (!stopped) {
                assertTrue(c.decision().allowed(), "other agents are untouched: " + c);
            } else if (c.decision().allowed()) {
                before++;
            }
        }
        assertTrue(after > 20 && before > 20, after + " killed calls after, " + before + " allowed before");
        Decision d = agents.get("child").decide(read("/work/x"), 5000);
        assertTrue(d.reason().contains("agent research was stopped") && d.reason().contains("acts for it"), d.reason());
        JsonNode ev = events("kill").get(0);
        assertEquals("research", ev.path("agent").asText());
        assertEquals(System.getProperty("user.name"), ev.path("by").asText());
        assertEquals("research", ev.at("/state/agents/0").asText());
        long logged = EngineTest.auditLines(dir).stream().filter(n -> Reasons.KILLED.equals(n.at("/decision/code").asText())).count();
        assertTrue(logged >= after, "every killed call is logged: " + logged + " < " + after);
    }

    @Test
    void killAllStopsAgentsThatConnectLaterAndEveryKillSurvivesARestart() throws Exception {
        start();
        EngineClient ops = declared("ops");
        assertTrue(ops.decide(read("/work/a"), 5000).allowed());
        assertEquals("killed", admin(FrameType.KILL, Map.of("agent", research.did())).get("result"));
        assertEquals(false, admin(FrameType.KILL, Map.of("agent", "nobody-yet")).get("known"));
        assertEquals("killed", admin(FrameType.KILL, Map.of("all", true)).get("result"));
        assertEquals(Reasons.KILLED, ops.decide(read("/work/a"), 5000).code());
        assertEquals(Reasons.KILLED, declared("newcomer").decide(read("/work/a"), 5000).code(), "--all holds for agents that connect later");
        assertTrue(declared("newcomer2").decide(read("/work/a"), 5000).reason().contains("kill --all"));

        clients.forEach(EngineClient::close);
        clients.clear();
        engine.close();
        start();
        assertEquals(Reasons.KILLED, declared("ops").decide(read("/work/a"), 5000).code(), "--all survives a restart");
        assertEquals("revived", admin(FrameType.REVIVE, Map.of("all", true)).get("result"));
        assertTrue(declared("ops").decide(read("/work/a"), 5000).allowed());

        assertEquals("killed", admin(FrameType.KILL, Map.of("agent", "research")).get("result"));
        clients.forEach(EngineClient::close);
        clients.clear();
        engine.close();
        start();
        Decision d = as(research).decide(read("/work/a"), 5000);
        assertEquals(Reasons.KILLED, d.code(), "a kill by name survives a restart");
        assertTrue(declared("ops").decide(read("/work/a"), 5000).allowed());
        Map<String, Object> revived = admin(FrameType.REVIVE, Map.of("agent", "research"));
        assertEquals("revived", revived.get("result"));
        assertTrue(as(research).decide(read("/work/a"), 5000).allowed());
        assertEquals("unchanged", admin(FrameType.REVIVE, Map.of("agent", "research")).get("result"));
        assertEquals(4, events("kill").size());
        assertEquals(2, events("revive").size());
        assertEquals("{\"all\":false,\"agents\":[]}", jsonMin(Files.readString(dir.resolve("audit.state").resolve(KillSwitch.FILE_NAME))));
    }

    @Test
    void aDamagedKillSwitchDeniesEveryCallUntilItIsRepaired() throws Exception {
        Files.createDirectories(dir.resolve("audit.state"));
        Files.writeString(dir.resolve("audit.state").resolve(KillSwitch.FILE_NAME), "{\"version\": 1, \"all\": fals");
        start();
        EngineClient c = declared("ops");
        Decision d = c.decide(read("/work/a"), 5000);
        assertFalse(d.allowed());
        assertEquals(Reasons.STATE_UNAVAILABLE, d.code());
        assertTrue(d.reason().contains("kill-switch.json is not valid"), d.reason());
        try (EngineClient a = EngineClient.connect(address(), "agt-cli", Map.of("admin", true), 5000)) {
            Frame f = a.call(FrameType.KILL, Map.of("agent", "x")).get(5, TimeUnit.SECONDS);
            assertEquals(FrameType.ERROR, f.type(), "a damaged file is never overwritten");
            assertEquals(Reasons.STATE_UNAVAILABLE, f.body().get("code"));
        }
        assertTrue(engine.status().get("kill_problem").toString().contains("not valid"));
        Files.delete(dir.resolve("audit.state").resolve(KillSwitch.FILE_NAME));
        assertTrue(c.decide(read("/work/a"), 5000).allowed(), "repaired (removed): service resumes without a restart");
        assertEquals(1, events("state-unavailable").size());
    }

    static String jsonMin(String s) throws IOException {
        JsonNode n = EngineTest.JSON.readTree(s);
        return "{\"all\":" + n.get("all") + ",\"agents\":" + n.get("agents") + "}";
    }
}
