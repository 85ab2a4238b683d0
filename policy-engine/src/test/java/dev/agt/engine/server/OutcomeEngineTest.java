package dev.agt.engine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agt.audit.FsyncPolicy;
import dev.agt.audit.entry.EntryCodec;
import dev.agt.audit.entry.LogEntry;
import dev.agt.audit.entry.MalformedEntryException;
import dev.agt.audit.entry.OutcomeEntry;
import dev.agt.audit.entry.OutcomeEvent;
import dev.agt.audit.log.LogFiles;
import dev.agt.audit.note.NoteKeys;
import dev.agt.audit.verify.Verifier;
import dev.agt.protocol.Decision;
import dev.agt.protocol.EngineClient;
import dev.agt.protocol.Frame;
import dev.agt.protocol.FrameCodec;
import dev.agt.protocol.FrameType;
import dev.agt.protocol.Limits;
import dev.agt.protocol.Outcome;
import dev.agt.protocol.OutcomeRefused;
import dev.agt.protocol.OutcomeSpool;
import dev.agt.protocol.Reasons;
import dev.agt.protocol.Request;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Local outcomes through a real engine on a real Unix socket: logged and linked before they are
 * acknowledged, refused (and the refusal logged) when they name another agent's decision or are
 * malformed, held by the agent's spool across an engine restart and delivered with the gap, and
 * covered by the signed log like every other entry.
 */
class OutcomeEngineTest {
    static final String POLICY = "version: 1\nrules:\n"
            + "  - {id: work, effect: allow, family: file, paths: [\"/work/**\"]}\n"
            + "  - {id: python-sandboxed, effect: allow, family: process, executables: [/usr/bin/python3], sandbox: strict}\n";
    static final Request PYTHON = Request.of("process", "exec", Map.of("executable", "/usr/bin/python3", "argv", List.of("python3", "job.py")));
    static final Request API = Request.of("net", "connect", Map.of("host", "api.example.com", "port", 443L));

    @RegisterExtension
    final EngineFixture f = new EngineFixture();
    final List<OutcomeSpool> spools = new ArrayList<>();

    Engine start(Engine.SinkFactory sinks) throws Exception {
        f.writePolicy(POLICY);
        return f.start(f.config(), sinks);
    }

    OutcomeSpool spool(int capacity) {
        OutcomeSpool s = new OutcomeSpool(capacity, r -> {
            Thread t = new Thread(r, "test-outcome-spool");
            t.setDaemon(true);
            return t;
        });
        spools.add(s);
        return s;
    }

    static long ack(EngineClient c, Outcome o) throws Exception {
        return c.outcome(o, 5000);
    }

    static OutcomeRefused refusal(EngineClient c, Outcome o) {
        return assertThrows(OutcomeRefused.class, () -> c.outcome(o, 5000));
    }

    List<OutcomeEntry> outcomes() throws IOException, MalformedEntryException {
        List<OutcomeEntry> out = new java.util.ArrayList<>();
        for (JsonNode line : f.auditLines()) {
            if (EntryCodec.read(line) instanceof OutcomeEntry o) {
                out.add(o);
            }
        }
        return out;
    }

    @AfterEach
    void closeSpools() {
        spools.forEach(OutcomeSpool::close); // before the fixture closes the clients and the engine they use
    }

    @Test
    void anOutcomeIsLoggedLinkedToItsDecisionBeforeItIsAcknowledged() throws Exception {
        start(null);
        EngineClient c = f.client("launcher");
        Decision d = c.decide(PYTHON, 5000);
        assertTrue(d.allowed());
        assertEquals("strict", d.sandbox());

        long seq = ack(c, Outcome.overridden(d.auditSeq(), Reasons.SANDBOX_UNAVAILABLE, "sandbox strict cannot be set up: bwrap not found"));
        assertTrue(seq > d.auditSeq());
        OutcomeEntry o = as(OutcomeEntry.class, f.entry(seq));
        assertEquals("overridden", o.kind());
        assertEquals("deny", o.effect(), "the call did not happen, whatever the decision said");
        assertEquals(Reasons.SANDBOX_UNAVAILABLE, o.code());
        assertEquals(d.auditSeq(), o.follows());
        assertEquals(OutcomeEntry.NONE, o.followsSession(), "same session: no need to say which");
        assertFalse(o.spooled());
        JsonNode decision = f.entry(d.auditSeq());
        assertEquals(decision.path("agent"), f.entry(seq).path("agent"), "the session's agent, as on its decisions");

        // no decision at all: the request itself is the record
        long unseen = ack(c, Outcome.deniedLocally(Reasons.UNBUILDABLE_REQUEST, "interception rule mcp-sdk.tools-call: no tool name",
                Request.of("mcp", "call", Map.of("server", "npx notes"))));
        OutcomeEntry u = as(OutcomeEntry.class, f.entry(unseen));
        assertFalse(u.followsDecision());
        assertEquals("mcp", u.request().orElseThrow().get("family"));
        assertTrue(f.entry(unseen).path("follows").isMissingNode());

        // a monitor-mode pass follows the denial it did not enforce
        Decision denied = c.decide(Request.of("file", "read", Map.of("path", "/etc/shadow")), 5000);
        assertFalse(denied.allowed());
        long passed = ack(c, Outcome.passedMonitor(denied.auditSeq(), denied.code(), denied.reason()));
        assertEquals("allow", as(OutcomeEntry.class, f.entry(passed)).effect());

        Map<String, Object> status = f.engine().status();
        assertEquals(3L, status.get("outcomes"));
        assertEquals(0L, status.get("outcomes_refused"));
    }

    @Test
    void anOutcomeNamingAnotherAgentsDecisionIsRefusedAndTheRefusalLogged() throws Exception {
        start(null);
        EngineClient a = f.client("agent-a");
        EngineClient b = f.client("agent-b");
        Decision mine = a.decide(PYTHON, 5000);

        OutcomeRefused r = refusal(b, Outcome.overridden(mine.auditSeq(), Reasons.SANDBOX_UNAVAILABLE, "not mine to annotate"));
        assertEquals(Outcome.NOT_OWN_DECISION, r.code());
        assertFalse(r.retryable());
        assertTrue(r.getMessage().contains("is a decision of another agent (agent-a, session "), r.getMessage());
        assertTrue(outcomes().isEmpty(), "nothing was logged as an outcome");
        OutcomeEvent refused = as(OutcomeEvent.class, f.events(OutcomeEvent.REFUSED).get(0));
        assertEquals("agent-b", refused.agentName());
        assertEquals(Outcome.NOT_OWN_DECISION, refused.code());
        assertEquals(mine.auditSeq(), ((Number) refused.claimed().orElseThrow().get("follows")).longValue(), "what it claimed is kept");

        // an event is not a decision, before this engine's start or after; nor is what is not written yet
        long sessionStart = f.events("session-start").get(0).get("seq").asLong();
        assertEquals(Outcome.NOT_OWN_DECISION, refusal(b, Outcome.passedMonitor(sessionStart, "denied", "x")).code());
        assertTrue(refusal(b, Outcome.passedMonitor(0, "denied", "x")).getMessage().contains("#0 is not a decision"));
        assertTrue(refusal(b, Outcome.passedMonitor(1_000_000, "denied", "x")).getMessage().contains("is not in the log"));
        assertEquals(4, f.events(OutcomeEvent.REFUSED).size());

        // the refused agent's session goes on, and its own decisions are its to annotate
        Decision its = b.decide(PYTHON, 5000);
        assertTrue(its.allowed());
        assertTrue(ack(b, Outcome.overridden(its.auditSeq(), Reasons.SANDBOX_REQUIRED, "launched around ProcessBuilder")) > 0);

        // the same agent on a new connection (the spool outlives connections): still its own, and the entry says which session decided
        EngineClient a2 = f.client("agent-a");
        long late = ack(a2, Outcome.overridden(mine.auditSeq(), Reasons.SANDBOX_UNAVAILABLE, "reported after a reconnect"));
        assertEquals(f.entry(mine.auditSeq()).at("/agent/session").asLong(), as(OutcomeEntry.class, f.entry(late)).followsSession());
        assertEquals(4L, f.engine().status().get("outcomes_refused"));
    }

    @Test
    void aMalformedOutcomeGetsAClearErrorAndTheSessionGoesOn() throws Exception {
        start(null);
        EngineClient c = f.client("sloppy");
        Map<String, Object> body = new LinkedHashMap<>(Outcome.passedFailOpen(Reasons.TIMEOUT, "slow", API).toBody());
        body.put("outcome", "allowed-anyway");
        Frame reply = c.call(FrameType.OUTCOME, body).get(5, TimeUnit.SECONDS);
        assertEquals(FrameType.ERROR, reply.type());
        assertEquals(Outcome.BAD_OUTCOME, reply.body().get("code"));
        assertTrue(String.valueOf(reply.body().get("message")).contains("unknown outcome 'allowed-anyway'"), reply.body().toString());

        body = new LinkedHashMap<>(Outcome.passedFailOpen(Reasons.TIMEOUT, "slow", API).toBody());
        body.put("request", Map.of("family", "net", "action", "connect", "target", Map.of("port", "443")));
        reply = c.call(FrameType.OUTCOME, body).get(5, TimeUnit.SECONDS);
        assertEquals("bad-request", reply.body().get("code"), "a request inside is held to the DECIDE rules: " + reply.body());

        assertTrue(c.decide(Request.of("file", "read", Map.of("path", "/work/a")), 5000).allowed(), "the connection keeps serving");
        assertFalse(c.isBroken());
        assertEquals(List.of(Outcome.BAD_OUTCOME, "bad-request"), f.events(OutcomeEvent.REFUSED).stream().map(n -> n.path("code").asText()).toList());
        assertTrue(f.output().contains("OUTCOME refused, the session goes on: bad-outcome: unknown outcome"), f.output());

        // out of turn is another matter: before HELLO the connection is refused and closed, as for DECIDE
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(f.socket()))) {
            ch.write(FrameCodec.encode(new Frame(FrameType.OUTCOME, 5, Outcome.overridden(1, "x", "").toBody()), Limits.DEFAULT));
            Frame refused = FrameCodec.read(ch, Limits.DEFAULT);
            assertEquals("hello-required", refused.body().get("code"));
            assertNull(FrameCodec.read(ch, Limits.DEFAULT));
        }
    }

    @Test
    void anUnwritableLogIsAnErrorAndTheSpoolDeliversOnceItIsWritable() throws Exception {
        AtomicBoolean failing = new AtomicBoolean();
        start(EngineFixture.failingWhile(failing));
        EngineClient c = f.client("patient");
        failing.set(true);
        OutcomeRefused r = refusal(c, Outcome.passedFailOpen(Reasons.TIMEOUT, "slow", API));
        assertEquals(Reasons.AUDIT_UNAVAILABLE, r.code());
        assertTrue(r.retryable());

        OutcomeSpool s = spool(100);
        s.connected(c);
        s.report(Outcome.passedFailOpen(Reasons.TIMEOUT, "held while the disk is full", API));
        // the refusal above, the spool's first try and at least one retry, each refused for want of the log
        EngineFixture.waitFor("the spool's retry refused", () -> (Long) f.engine().status().get("audit_failures"), n -> n >= 3);
        assertEquals(1, s.held());
        failing.set(false);
        assertTrue(s.awaitEmpty(10_000));
        OutcomeEntry o = outcomes().get(0);
        assertEquals("held while the disk is full", o.reason());
        assertTrue(o.spooled(), "late, and the log says so");
        assertEquals(0, o.gap().orElseThrow().dropped());
    }

    @Test
    void spooledOutcomesReachTheRestartedEngineWithTheGapAndTheLogStillVerifies() throws Exception {
        start(null);
        OutcomeSpool s = spool(3);
        EngineClient first = f.client("worker");
        s.connected(first);
        Decision launch = first.decide(PYTHON, 5000);
        assertTrue(launch.allowed());

        f.stopEngine(); // the engine goes away
        // nobody reads an idle connection: the agent's next call finds it gone, and is denied
        assertEquals(Reasons.ENGINE_UNREACHABLE, first.decide(PYTHON, 5000).code());
        assertTrue(first.isBroken());
        long gapStart = System.currentTimeMillis();
        s.report(Outcome.overridden(launch.auditSeq(), Reasons.SANDBOX_UNAVAILABLE, "bwrap failed while the engine was down"));
        s.report(Outcome.passedFailOpen(Reasons.ENGINE_UNREACHABLE, "fail-open 1", API));
        s.report(Outcome.passedFailOpen(Reasons.ENGINE_UNREACHABLE, "fail-open 2", API));
        s.report(Outcome.passedFailOpen(Reasons.ENGINE_UNREACHABLE, "fail-open 3 (dropped)", API));
        s.report(Outcome.deniedLocally(Reasons.ENGINE_UNREACHABLE, "fail-closed (dropped)", API));
        assertEquals(3, s.held());
        assertEquals(2, s.dropped());

        start(null); // the same engine again, on the same log
        s.connected(f.client("worker")); // the agent reconnects and hands the spool its new connection
        assertTrue(s.awaitEmpty(10_000));
        assertEquals(3, s.delivered());

        List<OutcomeEntry> got = outcomes();
        assertEquals(List.of("bwrap failed while the engine was down", "fail-open 1", "fail-open 2"), got.stream().map(OutcomeEntry::reason).toList());
        got.forEach(o -> assertTrue(o.spooled(), "each says it is late: " + o));
        OutcomeEntry.Gap gap = got.get(0).gap().orElseThrow();
        assertEquals(3, gap.held());
        assertEquals(2, gap.dropped());
        assertEquals(Map.of("passed-fail-open", 1L, "denied-locally", 1L), gap.droppedKinds());
        assertTrue(got.get(1).gap().isEmpty());
        // the decision was made by the engine before the restart: read back from the log, found to be this agent's
        assertEquals(launch.auditSeq(), got.get(0).follows());
        assertEquals(f.entry(launch.auditSeq()).at("/agent/session").asLong(), got.get(0).followsSession());
        assertTrue(java.time.Instant.parse(got.get(1).at()).toEpochMilli() >= gapStart, "when it happened, not when it arrived");

        OutcomeEvent lost = as(OutcomeEvent.class, f.events(OutcomeEvent.LOST).get(0));
        assertEquals(2, lost.dropped());
        assertEquals("worker", lost.agentName());
        assertTrue(lost.seq() < got.get(0).seq(), "the gap is recorded before what was held in it");
        assertTrue(f.output().contains("lost 2 outcome(s) while the engine was unreachable"), f.output());

        // covered by the chain, the tree and the signature like everything else
        f.stopEngine();
        NoteKeys.Verifier key = NoteKeys.readVerifier(EngineConfig.defaultPublicKey(f.audit()));
        Verifier.Report ok = Verifier.verify(f.audit(), key, null);
        assertTrue(ok.ok(), ok.toString());
        assertEquals(ok.entries(), ok.signedSize(), "signed at the clean stop");

        // a reviewer-facing fact edited: the override turned into a pass
        long target = got.get(0).seq();
        Path seg = LogFiles.segments(f.audit()).get(0);
        List<String> lines = Files.readAllLines(seg, StandardCharsets.UTF_8);
        int i = (int) target; // one segment, numbered from 0
        String edited = lines.get(i).replace("\"effect\":\"deny\"", "\"effect\":\"allow\"");
        assertFalse(edited.equals(lines.get(i)));
        lines.set(i, edited);
        Files.write(seg, lines, StandardCharsets.UTF_8);
        Verifier.Report bad = Verifier.verify(f.audit(), key, null);
        assertFalse(bad.ok());
        assertEquals(target, bad.firstBad(), bad.toString());
        assertEquals("modified", bad.kind());
    }

    /** The entry as the codec reads it, which must be a {@code kind}. */
    static <T extends LogEntry> T as(Class<T> kind, JsonNode line) throws MalformedEntryException {
        return kind.cast(EntryCodec.read(line));
    }
}
