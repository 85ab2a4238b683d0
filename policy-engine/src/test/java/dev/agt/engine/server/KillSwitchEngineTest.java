package dev.agt.engine.server;

import static dev.agt.engine.server.EngineFixture.read;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agt.engine.session.AuthMode;
import dev.agt.engine.session.KillSwitch;
import dev.agt.identity.AgentKey;
import dev.agt.identity.Registry;
import dev.agt.identity.Scope;
import dev.agt.protocol.Decision;
import dev.agt.protocol.EngineClient;
import dev.agt.protocol.Frame;
import dev.agt.protocol.FrameType;
import dev.agt.protocol.Reasons;
import java.io.IOException;
import java.nio.file.Files;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The kill switch through a real engine: immediate, across threads and agents, persisted, and logged. */
class KillSwitchEngineTest {
    static final String POLICY = "version: 1\nrules:\n  - {id: work, effect: allow, family: file, paths: [\"/work/**\"]}\n";

    @RegisterExtension
    final EngineFixture f = new EngineFixture();
    final AgentKey research = AgentKey.generate("research");

    /** Starts the engine; the first time, with the policy and a registry that knows research. */
    Engine start() throws Exception {
        if (!Files.exists(f.policyFile())) {
            f.writePolicy(POLICY);
            Registry.update(f.file("agents.json"), r -> r.with(Registry.Entry.create(research.did(), "research", Map.of(), Instant.now())));
        }
        return f.start(f.config().withIdentity(AuthMode.LOCAL, f.file("agents.json")));
    }

    /** Closes every client and the engine, and starts it again on the same directory. */
    void restart() throws Exception {
        f.closeClients();
        f.stopEngine();
        start();
    }

    Map<String, Object> admin(FrameType type, Map<String, Object> body) throws Exception {
        try (EngineClient c = EngineClient.connect(f.address(), "agt-cli", Map.of("admin", true), 5000)) {
            Frame reply = c.call(type, body).get(10, TimeUnit.SECONDS);
            assertEquals(type == FrameType.KILL ? FrameType.KILL_REPLY : FrameType.REVIVE_REPLY, reply.type(), reply.body().toString());
            return reply.body();
        }
    }

    /** One call as a thread saw it: when it was sent (nanoTime) and the answer. */
    record Call(String agent, long sentNanos, Decision decision) {
    }

    @Test
    void aKillTakesEffectOnTheVeryNextCallOfEveryThreadOfThatAgentAndItsDelegates() throws Exception {
        start();
        AgentKey child = research.delegate(AgentKey.generate("research/child"), Scope.UNRESTRICTED, Duration.ofHours(1));
        Map<String, EngineClient> agents = Map.of("research", f.as(research), "child", f.as(child), "ops", f.client("ops"),
                "ops2", f.client("ops2"));
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
        EngineFixture.waitFor("400 more calls made after the kill", made::get, n -> n >= seen + 400);
        running.set(false);
        for (Future<?> thread : fs) {
            thread.get(60, TimeUnit.SECONDS);
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
        JsonNode ev = f.events("kill").get(0);
        assertEquals("research", ev.path("agent").asText());
        assertEquals(System.getProperty("user.name"), ev.path("by").asText());
        assertEquals("research", ev.at("/state/agents/0").asText());
        long logged = f.auditLines().stream().filter(n -> Reasons.KILLED.equals(n.at("/decision/code").asText())).count();
        assertTrue(logged >= after, "every killed call is logged: " + logged + " < " + after);
    }

    @Test
    void killAllStopsAgentsThatConnectLaterAndEveryKillSurvivesARestart() throws Exception {
        start();
        EngineClient ops = f.client("ops");
        assertTrue(ops.decide(read("/work/a"), 5000).allowed());
        assertEquals("killed", admin(FrameType.KILL, Map.of("agent", research.did())).get("result"));
        assertEquals(false, admin(FrameType.KILL, Map.of("agent", "nobody-yet")).get("known"));
        assertEquals("killed", admin(FrameType.KILL, Map.of("all", true)).get("result"));
        assertEquals(Reasons.KILLED, ops.decide(read("/work/a"), 5000).code());
        assertEquals(Reasons.KILLED, f.client("newcomer").decide(read("/work/a"), 5000).code(), "--all holds for agents that connect later");
        assertTrue(f.client("newcomer2").decide(read("/work/a"), 5000).reason().contains("kill --all"));

        restart();
        assertEquals(Reasons.KILLED, f.client("ops").decide(read("/work/a"), 5000).code(), "--all survives a restart");
        assertEquals("revived", admin(FrameType.REVIVE, Map.of("all", true)).get("result"));
        assertTrue(f.client("ops").decide(read("/work/a"), 5000).allowed());

        assertEquals("killed", admin(FrameType.KILL, Map.of("agent", "research")).get("result"));
        restart();
        Decision d = f.as(research).decide(read("/work/a"), 5000);
        assertEquals(Reasons.KILLED, d.code(), "a kill by name survives a restart");
        assertTrue(f.client("ops").decide(read("/work/a"), 5000).allowed());
        Map<String, Object> revived = admin(FrameType.REVIVE, Map.of("agent", "research"));
        assertEquals("revived", revived.get("result"));
        assertTrue(f.as(research).decide(read("/work/a"), 5000).allowed());
        assertEquals("unchanged", admin(FrameType.REVIVE, Map.of("agent", "research")).get("result"));
        assertEquals(4, f.events("kill").size());
        assertEquals(2, f.events("revive").size());
        assertEquals("{\"all\":false,\"agents\":[]}", jsonMin(Files.readString(f.file("audit.state").resolve(KillSwitch.FILE_NAME))));
    }

    @Test
    void aDamagedKillSwitchDeniesEveryCallUntilItIsRepaired() throws Exception {
        Files.createDirectories(f.file("audit.state"));
        Files.writeString(f.file("audit.state").resolve(KillSwitch.FILE_NAME), "{\"version\": 1, \"all\": fals");
        start();
        EngineClient c = f.client("ops");
        Decision d = c.decide(read("/work/a"), 5000);
        assertFalse(d.allowed());
        assertEquals(Reasons.STATE_UNAVAILABLE, d.code());
        assertTrue(d.reason().contains("kill-switch.json is not valid"), d.reason());
        try (EngineClient a = EngineClient.connect(f.address(), "agt-cli", Map.of("admin", true), 5000)) {
            Frame reply = a.call(FrameType.KILL, Map.of("agent", "x")).get(5, TimeUnit.SECONDS);
            assertEquals(FrameType.ERROR, reply.type(), "a damaged file is never overwritten");
            assertEquals(Reasons.STATE_UNAVAILABLE, reply.body().get("code"));
        }
        assertTrue(f.engine().status().get("kill_problem").toString().contains("not valid"));
        Files.delete(f.file("audit.state").resolve(KillSwitch.FILE_NAME));
        assertTrue(c.decide(read("/work/a"), 5000).allowed(), "repaired (removed): service resumes without a restart");
        assertEquals(1, f.events("state-unavailable").size());
    }

    static String jsonMin(String s) throws IOException {
        JsonNode n = EngineFixture.JSON.readTree(s);
        return "{\"all\":" + n.get("all") + ",\"agents\":" + n.get("agents") + "}";
    }
}
