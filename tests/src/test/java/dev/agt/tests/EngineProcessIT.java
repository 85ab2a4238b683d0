package dev.agt.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agt.protocol.Decision;
import dev.agt.protocol.EngineAddress;
import dev.agt.protocol.EngineClient;
import dev.agt.protocol.Reasons;
import dev.agt.protocol.Request;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine as operators run it: `agt engine ...` in its own process. */
class EngineProcessIT {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String POLICY = """
            version: 1
            include: [jvm-runtime]
            vars:
              workspace: /srv/work
            rules:
              - id: workspace
                effect: allow
                family: file
                paths: ["${workspace}/**"]
              - id: no-env
                effect: deny
                family: file
                paths: ["**/.env"]
                reason: environment files hold secrets
            """;

    @TempDir
    Path dir;

    @BeforeAll
    static void jarIsBuilt() {
        assertTrue(Files.isRegularFile(Agt.JAR), "the cli jar must be built first: " + Agt.JAR);
        System.out.println("EngineProcessIT: processes under test run on " + Agt.JAVA_HOME);
    }

    Agt.EngineProcess engine(String policy) throws Exception {
        Files.writeString(dir.resolve("policy.yaml"), policy);
        return new Agt.EngineProcess(dir, "--policy", "policy.yaml", "--socket", dir.resolve("e.sock").toString(),
                "--audit-dir", dir.resolve("audit").toString());
    }

    EngineClient client(String name) throws Exception {
        return EngineClient.connect(EngineAddress.parse(dir.resolve("e.sock").toString()), name, Map.of(), 5000);
    }

    static Request read(String path) {
        return Request.of("file", "read", Map.of("path", path));
    }

    List<JsonNode> log() throws Exception {
        List<JsonNode> out = new ArrayList<>();
        try (var segs = Files.list(dir.resolve("audit/log"))) {
            for (Path seg : segs.sorted().toList()) {
                for (String l : Files.readAllLines(seg)) {
                    out.add(JSON.readTree(l));
                }
            }
        }
        return out;
    }

    @Test
    void servesDecisionsAndStopsCleanlyOnSigterm() throws Exception {
        try (Agt.EngineProcess e = engine(POLICY)) {
            String ready = e.awaitReady();
            assertTrue(ready.contains("socket=" + dir.resolve("e.sock")), ready);
            List<Decision> received = new ArrayList<>();
            try (EngineClient c = client("agent-a")) {
                received.add(c.decide(read("/srv/work/notes.md"), 5000));
                received.add(c.decide(read("/srv/work/.env"), 5000));
                received.add(c.decide(read("/etc/shadow"), 5000));
            }
            assertEquals(List.of(true, false, false), received.stream().map(Decision::allowed).toList());
            assertEquals("no-env", received.get(1).rule());
            assertEquals("environment files hold secrets", received.get(1).reason());

            Agt.Result status = Agt.run(dir, "engine", "status", "--socket", dir.resolve("e.sock").toString());
            assertEquals(0, status.exit(), status.toString());
            assertTrue(status.out().contains("1 allowed, 2 denied"), status.toString());

            e.terminate();
            assertEquals(0, e.awaitExit(), e.stderr.toString());
        }
        List<JsonNode> log = log();
        assertEquals("engine-start", log.get(0).get("event").asText());
        assertEquals("engine-stop", log.get(log.size() - 1).get("event").asText());
        assertEquals(3, log.stream().filter(n -> n.get("type").asText().equals("decision")).count());
        assertFalse(Files.exists(dir.resolve("e.sock")));
    }

    @Test
    void refusesToStartOnAnInvalidPolicyAndSaysWhere() throws Exception {
        try (Agt.EngineProcess e = engine(POLICY.replace("effect: deny", "effect: dney").replace("paths: [\"**/.env\"]", "pahts: [\"**/.env\"]"))) {
            assertEquals(1, e.awaitExit());
            String err = e.stderr.toString();
            assertTrue(err.contains("policy.yaml:11:13: effect must be 'allow', 'deny' or 'ask', not 'dney'"), err);
            assertTrue(err.contains("policy.yaml:13:5: unknown key 'pahts' (did you mean 'paths'?)"), err);
            assertFalse(Files.exists(dir.resolve("e.sock")), "no socket for a refused policy");
        }
    }

    @Test
    void killedAtRandomMomentsUnderLoadLosesNoDecisionAnAgentReceived() throws Exception {
        ConcurrentLinkedQueue<Decision> got = new ConcurrentLinkedQueue<>();
        Random rnd = new Random(0xdead);
        Files.writeString(dir.resolve("policy.yaml"), POLICY);
        for (int round = 0; round < 3; round++) {
            try (Agt.EngineProcess e = engine(POLICY)) {
                e.awaitReady();
                EngineClient c = client("load-" + round);
                ExecutorService pool = Executors.newFixedThreadPool(4);
                AtomicBoolean stop = new AtomicBoolean();
                for (int t = 0; t < 4; t++) {
                    pool.submit(() -> {
                        int i = 0;
                        while (!stop.get()) {
                            Decision d = c.decide(read("/srv/work/f" + i++), 5000);
                            got.add(d);
                            if (!d.allowed()) {
                                return; // the engine is gone: fail-closed from here on
                            }
                        }
                    });
                }
                // killed after a random number of answers (not a random time): certain to be under load, whatever the machine's speed
                int killAt = got.size() + 100 + rnd.nextInt(3000);
                Await.until("the engine to answer " + killAt + " calls in all", Duration.ofSeconds(60), got::size, n -> n >= killAt);
                e.process.destroyForcibly(); // SIGKILL: no shutdown hook, no flush, no final checkpoint
                e.process.waitFor(30, TimeUnit.SECONDS);
                stop.set(true);
                pool.shutdown();
                assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS));
                c.close();
            }
        }
        // a last clean run recovers, then stops properly and signs everything
        try (Agt.EngineProcess e = engine(POLICY)) {
            e.awaitReady();
            try (EngineClient c2 = client("after")) {
                assertTrue(c2.decide(read("/srv/work/x"), 5000).allowed());
            }
            e.terminate();
            assertEquals(0, e.awaitExit(), e.stderr.toString());
        }
        Set<Long> logged = new HashSet<>();
        Map<Long, String> effects = new java.util.HashMap<>();
        for (JsonNode n : log()) {
            logged.add(n.get("seq").asLong());
            effects.put(n.get("seq").asLong(), n.at("/decision/effect").asText());
        }
        int allowed = 0;
        for (Decision d : got) {
            if (d.allowed()) {
                allowed++;
                assertTrue(logged.contains(d.auditSeq()), "decision #" + d.auditSeq() + " reached the agent but is not in the log");
                assertEquals("allow", effects.get(d.auditSeq()));
            } else {
                assertTrue(d.auditSeq() < 0 || logged.contains(d.auditSeq()), "denial " + d);
            }
        }
        assertTrue(allowed > 100, "the load ran: " + allowed + " decisions");
        assertTrue(log().stream().anyMatch(n -> "log-recovered".equals(n.path("event").asText())), "recovery is logged");
        Agt.Result verify = Agt.run(dir, "audit", "verify", "audit");
        assertEquals(0, verify.exit(), verify.toString());
        assertTrue(verify.out().startsWith("verified: "), verify.toString());
    }

    @Test
    void garbageOnTheSocketNeverStopsTheEngineProcess() throws Exception {
        try (Agt.EngineProcess e = engine(POLICY)) {
            e.awaitReady();
            Random rnd = new Random(7);
            try (EngineClient c = client("good")) {
                for (int i = 0; i < 200; i++) {
                    try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(dir.resolve("e.sock")))) {
                        byte[] b = new byte[1 + rnd.nextInt(300)];
                        rnd.nextBytes(b);
                        if (i % 3 == 0 && b.length >= 4) {
                            ByteBuffer.wrap(b).putInt(1 << 20); // claims a whole megabyte, sends a few bytes
                        }
                        ch.write(ByteBuffer.wrap(b));
                    }
                    if (i % 20 == 0) {
                        assertTrue(c.decide(read("/srv/work/ok"), 5000).allowed());
                    }
                }
                assertTrue(c.decide(read("/srv/work/ok"), 5000).allowed());
            }
            assertTrue(e.process.isAlive());
            e.terminate();
            assertEquals(0, e.awaitExit());
            assertTrue(e.stderr.toString().contains("closed: bad-length"), e.stderr.toString());
        }
    }

    @Test
    void policyCommandsAnswerWithExitCodesAndPositions() throws Exception {
        Files.writeString(dir.resolve("policy.yaml"), POLICY);
        Files.writeString(dir.resolve("tests.yaml"), """
                - request: {family: file, action: read, path: /srv/work/a}
                  expect: {effect: allow, rule: workspace}
                - name: wrong on purpose
                  request: {family: file, action: read, path: /srv/work/.env}
                  expect: {effect: allow}
                """);
        Agt.Result ok = Agt.run(dir, "policy", "check", "policy.yaml");
        assertEquals(0, ok.exit(), ok.toString());
        Agt.Result tests = Agt.run(dir, "policy", "test", "policy.yaml", "tests.yaml");
        assertEquals(1, tests.exit(), tests.toString());
        assertTrue(tests.out().contains("PASS case 1"), tests.toString());
        assertTrue(tests.out().contains("FAIL wrong on purpose: expected allow, got deny by no-env"), tests.toString());
        assertTrue(tests.out().contains("1 passed, 1 failed"), tests.toString());
        Files.writeString(dir.resolve("bad.yaml"), "version: 1\nrules:\n  - {id: x, effect: allow, family: file, paths: [relative]}\n");
        Agt.Result bad = Agt.run(dir, "policy", "check", "bad.yaml");
        assertEquals(1, bad.exit(), bad.toString());
        assertTrue(bad.err().contains("agt: bad.yaml:3:50: path pattern 'relative' must be absolute"), bad.toString());
        Agt.Result missing = Agt.run(dir, "policy", "check", "nope.yaml");
        assertEquals(1, missing.exit());
        assertTrue(missing.err().contains("nope.yaml:1:1: policy file does not exist"), missing.toString());
    }

    @Test
    void reloadCommandSwapsAValidPolicyAndKeepsTheOldOneOnErrors() throws Exception {
        try (Agt.EngineProcess e = engine(POLICY)) {
            e.awaitReady();
            String sock = dir.resolve("e.sock").toString();
            Files.writeString(dir.resolve("policy.yaml"), POLICY.replace("/srv/work", "/srv/other"));
            Agt.Result r = Agt.run(dir, "policy", "reload", "--socket", sock);
            assertEquals(0, r.exit(), r.toString());
            try (EngineClient c = client("after-reload")) {
                assertTrue(c.decide(read("/srv/other/x"), 5000).allowed());
                Files.writeString(dir.resolve("policy.yaml"), "version: 1\nrules:\n  - {id: x, effect: allow, family: nope}\n");
                Agt.Result rejected = Agt.run(dir, "policy", "reload", "--socket", sock);
                assertEquals(1, rejected.exit(), rejected.toString());
                assertTrue(rejected.err().contains("policy.yaml:3:36: unknown family 'nope'"), rejected.toString());
                assertTrue(c.decide(read("/srv/other/x"), 5000).allowed(), "the last good policy stays in force");
            }
            e.terminate();
            e.awaitExit();
        }
    }
}
