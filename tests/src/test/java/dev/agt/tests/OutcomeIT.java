package dev.agt.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agt.protocol.Decision;
import dev.agt.protocol.EngineAddress;
import dev.agt.protocol.EngineClient;
import dev.agt.protocol.Outcome;
import dev.agt.protocol.OutcomeRefused;
import dev.agt.protocol.OutcomeSpool;
import dev.agt.protocol.Reasons;
import dev.agt.protocol.Request;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Local outcomes end to end, as operators and reviewers meet them: `agt engine` in its own
 * process logs an agent's outcomes linked to its decisions and refuses another agent's claim; the
 * agent's spool holds outcomes while the engine is stopped and delivers them to the restarted
 * engine with the gap; `agt audit verify` accepts the log and rejects it once an outcome entry is
 * edited; `agt audit show` and `agt report` list what the agent did on its own.
 */
class OutcomeIT {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String POLICY = """
            version: 1
            rules:
              - {id: work, effect: allow, family: file, paths: ["/srv/work/**"]}
              - {id: python-sandboxed, effect: allow, family: process, executables: [/usr/bin/python3], sandbox: strict}
            """;
    static final Request PYTHON = Request.of("process", "exec", Map.of("executable", "/usr/bin/python3", "argv", List.of("python3", "job.py")));
    static final Request API = Request.of("net", "connect", Map.of("host", "api.example.com", "port", 443L));

    @TempDir
    Path dir;

    @BeforeAll
    static void jarIsBuilt() {
        assertTrue(Files.isRegularFile(Agt.JAR), "the cli jar must be built first: " + Agt.JAR);
    }

    Agt.EngineProcess engine() throws Exception {
        Agt.EngineProcess e = new Agt.EngineProcess(dir, "--policy", "policy.yaml", "--socket", dir.resolve("e.sock").toString(),
                "--audit-dir", dir.resolve("audit").toString());
        e.awaitReady();
        return e;
    }

    EngineClient client(String name) throws Exception {
        return EngineClient.connect(EngineAddress.parse(dir.resolve("e.sock").toString()), name, Map.of(), 5000);
    }

    static void stop(Agt.EngineProcess e) throws Exception {
        e.terminate();
        assertEquals(0, e.awaitExit(), e.stderr.toString());
    }

    @Test
    void outcomesAreLoggedAcrossAnEngineRestartAndReviewersSeeThem() throws Exception {
        Files.writeString(dir.resolve("policy.yaml"), POLICY);
        OutcomeSpool spool = new OutcomeSpool(3, r -> {
            Thread t = new Thread(r, "it-outcome-spool");
            t.setDaemon(true);
            return t;
        });
        long launchSeq;
        try (Agt.EngineProcess e = engine(); EngineClient worker = client("worker"); EngineClient other = client("other")) {
            spool.connected(worker);
            Decision launch = worker.decide(PYTHON, 5000);
            assertTrue(launch.allowed());
            assertEquals("strict", launch.sandbox());
            launchSeq = launch.auditSeq();
            spool.report(Outcome.overridden(launchSeq, Reasons.SANDBOX_UNAVAILABLE, "sandbox strict cannot be set up: bwrap not found"));
            assertTrue(spool.awaitEmpty(10_000));
            assertEquals(1, spool.delivered());

            // another agent may not annotate the worker's decision
            OutcomeRefused x = assertThrows(OutcomeRefused.class, () -> other.outcome(Outcome.passedMonitor(launchSeq, "denied", "mine now"), 5000));
            assertEquals(Outcome.NOT_OWN_DECISION, x.code());
            assertTrue(other.decide(Request.of("file", "read", Map.of("path", "/srv/work/a")), 5000).allowed(), "its session goes on");

            stop(e); // the engine goes away with the worker still running
            // nobody reads an idle connection: the worker's next call finds it gone, and is denied
            assertEquals(Reasons.ENGINE_UNREACHABLE, worker.decide(Request.of("file", "read", Map.of("path", "/srv/work/a")), 5000).code());
            assertTrue(worker.isBroken());
        }
        spool.report(Outcome.overridden(launchSeq, Reasons.SANDBOX_REQUIRED, "retried the launch around ProcessBuilder"));
        spool.report(Outcome.passedFailOpen(Reasons.ENGINE_UNREACHABLE, "fail-open while the engine was down", API));
        spool.report(Outcome.deniedLocally(Reasons.ENGINE_UNREACHABLE, "fail-closed while the engine was down", API));
        spool.report(Outcome.passedFailOpen(Reasons.ENGINE_UNREACHABLE, "dropped 1", API));
        spool.report(Outcome.passedFailOpen(Reasons.ENGINE_UNREACHABLE, "dropped 2", API));
        assertEquals(3, spool.held());
        assertEquals(2, spool.dropped());

        try (Agt.EngineProcess e = engine(); EngineClient worker = client("worker")) {
            spool.connected(worker); // the agent reconnected: the spool delivers over the new connection
            assertTrue(spool.awaitEmpty(10_000));
            assertEquals(4, spool.delivered());
            assertEquals(0, spool.rejected(), "nothing the restarted engine refused");
            stop(e);
        } finally {
            spool.close();
        }

        // the reviewer's side
        Agt.Result verify = Agt.run(dir, "audit", "verify", "audit");
        assertEquals(0, verify.exit(), verify.toString());
        assertFalse(verify.out().contains("warning"), "signed up to the end at the clean stop: " + verify);

        Agt.Result show = Agt.run(dir, "audit", "show", "audit");
        assertEquals(0, show.exit(), show.toString());
        List<String> lines = show.out().lines().toList();
        assertTrue(lines.stream().anyMatch(l -> l.contains("worker  process/exec  /usr/bin/python3  DENY  outcome overridden (sandbox-unavailable)"
                + "  follows #" + launchSeq + "  -- ")), show.out());
        assertTrue(lines.stream().anyMatch(l -> l.contains("outcome overridden (sandbox-required)  follows #" + launchSeq + " (session 1)  spooled")),
                "the pre-restart decision, found in the log, made in session 1 of the first run: " + show.out());
        assertTrue(lines.stream().anyMatch(l -> l.contains("event outcomes-lost  worker: 2 outcome(s) lost while the engine was unreachable")),
                show.out());
        assertTrue(lines.stream().anyMatch(l -> l.contains("event outcome-refused  other: not-own-decision: #" + launchSeq)), show.out());

        Agt.Result report = Agt.run(dir, "report", "audit", "--out", "report.json");
        assertEquals(0, report.exit(), report.toString());
        JsonNode local = JSON.readTree(Files.readString(dir.resolve("report.json"))).path("local_outcomes");
        assertEquals("{\"denied-locally\":1,\"overridden\":2,\"passed-fail-open\":1}", local.path("by_kind").toString());
        assertEquals(2, local.path("lost_total").asLong());
        assertEquals(1, local.path("refused").size());
        assertEquals(3, java.util.stream.StreamSupport.stream(local.path("outcomes").spliterator(), false)
                .filter(o -> o.path("spooled").asBoolean()).count());

        // an outcome entry edited afterwards: the override turned into a pass
        Path seg;
        try (var s = Files.list(dir.resolve("audit/log"))) {
            seg = s.sorted().toList().get(0);
        }
        List<String> stored = Files.readAllLines(seg, StandardCharsets.UTF_8);
        int i = -1;
        for (int k = 0; k < stored.size(); k++) {
            if (stored.get(k).contains("\"type\":\"outcome\"") && stored.get(k).contains("sandbox-unavailable")) {
                i = k;
            }
        }
        assertTrue(i >= 0);
        long editedSeq = JSON.readTree(stored.get(i)).path("seq").asLong();
        stored.set(i, stored.get(i).replace("\"effect\":\"deny\"", "\"effect\":\"allow\""));
        Files.write(seg, stored, StandardCharsets.UTF_8);
        Agt.Result tampered = Agt.run(dir, "audit", "verify", "audit");
        assertEquals(1, tampered.exit(), tampered.toString());
        assertTrue(tampered.out().contains("TAMPERED at #" + editedSeq + ": modified"), tampered.toString());
    }
}
