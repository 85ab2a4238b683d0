package dev.agt.engine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agt.protocol.AdminRequest;
import dev.agt.protocol.Decision;
import dev.agt.protocol.EngineClient;
import dev.agt.protocol.FrameType;
import dev.agt.protocol.Reasons;
import dev.agt.protocol.Request;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** effect: ask in a real engine: held calls, bound to their digest, decided by a person, timed out, remembered, denied at restart. */
class ApprovalsEngineTest {
    static final String POLICY = """
            version: 1
            rules:
              - {id: push, effect: ask, family: process, executables: [/usr/bin/git], timeout: 30s, reason: pushes need a person}
              - {id: quick, effect: ask, family: process, executables: [/usr/bin/make], timeout: 1s}
              - {id: remembered, effect: ask, family: process, executables: [/usr/bin/ls], remember: 10m}
              - {id: no-force, effect: deny, family: process, executables: [/usr/bin/git], argv: [git, push, --force]}
              - {id: git-allowed, effect: allow, family: process, executables: [/usr/bin/git]}
            """;

    @RegisterExtension
    final EngineFixture f = new EngineFixture();

    static Request launch(String exe, String... argv) {
        return Request.of("process", "exec", Map.of("executable", exe, "argv", List.of(argv)));
    }

    List<?> pending() throws Exception {
        return (List<?>) f.admin().call(FrameType.APPROVALS, AdminRequest.Approvals.list().toBody()).get(5, TimeUnit.SECONDS).body().get("pending");
    }

    String decide(String id, boolean approve, String reason) throws Exception {
        return (String) f.admin().call(FrameType.APPROVALS, new AdminRequest.Approvals(Optional.of(id), approve, reason).toBody())
                .get(5, TimeUnit.SECONDS).body().get("result");
    }

    String waitForHeld() throws Exception {
        List<?> p = EngineFixture.waitFor("a held call", this::pending, l -> !l.isEmpty());
        return (String) ((Map<?, ?>) p.get(0)).get("id");
    }

    @Test
    void aHeldCallGoesAheadOnlyWhenAPersonApprovesExactlyIt() throws Exception {
        f.start(POLICY);
        EngineClient agent = f.client("builder");
        // the agent's own timeout is 2 s; the engine holds the call longer, and the agent waits
        CompletableFuture<Decision> push = CompletableFuture.supplyAsync(() -> agent.decide(launch("/usr/bin/git", "git", "push"), 2000));
        String id = waitForHeld();
        Thread.sleep(2500);
        assertFalse(push.isDone(), "still waiting past the agent's usual timeout: " + (push.isDone() ? push.join() : ""));
        assertEquals("approved", decide(id, true, "release day"));
        Decision d = push.get(10, TimeUnit.SECONDS);
        assertTrue(d.allowed(), d.toString());
        assertEquals(Reasons.APPROVED, d.code());
        assertTrue(d.reason().contains("approved by") && d.reason().contains("release day"), d.reason());
        assertEquals("not pending (already decided, timed out, or unknown)", decide(id, true, ""), "an approval is used once");
        // a different call (another argument) needs its own approval: it is held again
        CompletableFuture<Decision> other = CompletableFuture.supplyAsync(() -> agent.decide(launch("/usr/bin/git", "git", "push", "origin"), 2000));
        String second = waitForHeld();
        assertFalse(second.equals(id));
        assertEquals("denied", decide(second, false, "not today"));
        Decision refused = other.get(10, TimeUnit.SECONDS);
        assertEquals(Reasons.APPROVAL_DENIED, refused.code(), refused.toString());
        assertTrue(refused.reason().contains("not today"));
        // deny still wins: a force push is denied at once, never held
        assertEquals("no-force", agent.decide(launch("/usr/bin/git", "git", "push", "--force"), 2000).rule());
        assertTrue(pending().isEmpty());
        // the log: requested (with the digest), decided (by whom), and the decision
        List<JsonNode> log = f.auditLines();
        JsonNode requested = log.stream().filter(l -> "approval-requested".equals(l.path("event").asText())).findFirst().orElseThrow();
        assertEquals(64, requested.path("digest").asText().length());
        assertEquals("push", requested.path("rule").asText());
        assertTrue(log.stream().anyMatch(l -> "approval-decided".equals(l.path("event").asText()) && l.path("id").asText().equals(id)
                && l.path("result").asText().equals("approved") && !l.path("by").asText().isEmpty()), log.toString());
        assertTrue(log.stream().anyMatch(l -> "decision".equals(l.path("type").asText()) && "approved".equals(l.path("decision").path("code").asText())));
    }

    @Test
    void noDecisionBeforeTheTimeoutIsADenial() throws Exception {
        f.start(POLICY);
        Decision d = f.client("builder").decide(launch("/usr/bin/make", "make"), 2000);
        assertEquals(Reasons.APPROVAL_TIMEOUT, d.code(), d.toString());
        assertTrue(pending().isEmpty());
    }

    @Test
    void aRememberedApprovalLetsOnlyIdenticalCallsThroughEachOneLogged() throws Exception {
        f.start(POLICY);
        EngineClient agent = f.client("builder");
        CompletableFuture<Decision> first = CompletableFuture.supplyAsync(() -> agent.decide(launch("/usr/bin/ls", "ls", "/work"), 2000));
        decide(waitForHeld(), true, "");
        assertTrue(first.get(10, TimeUnit.SECONDS).allowed());
        Decision again = agent.decide(launch("/usr/bin/ls", "ls", "/work"), 2000);
        assertTrue(again.allowed() && again.code().equals(Reasons.APPROVED) && again.reason().contains("remembered"), again.toString());
        assertTrue(again.auditSeq() >= 0, "each use is logged");
        CompletableFuture<Decision> different = CompletableFuture.supplyAsync(() -> agent.decide(launch("/usr/bin/ls", "ls", "/etc"), 2000));
        String held = waitForHeld();
        decide(held, false, "no");
        assertFalse(different.get(10, TimeUnit.SECONDS).allowed(), "another argument is another call");
    }

    @Test
    void aCallHeldWhenTheEngineStopsIsDeniedNeverApproved() throws Exception {
        f.start(POLICY);
        EngineClient agent = f.client("builder");
        CompletableFuture<Decision> push = CompletableFuture.supplyAsync(() -> agent.decide(launch("/usr/bin/git", "git", "push"), 2000));
        String id = waitForHeld();
        f.stopEngine();
        Decision d = push.get(20, TimeUnit.SECONDS);
        assertFalse(d.allowed(), d.toString());
        f.start(f.config());
        assertTrue(pending().isEmpty(), "nothing is pending after a restart");
        assertTrue(f.auditLines().stream().anyMatch(l -> "approval-decided".equals(l.path("event").asText()) && l.path("id").asText().equals(id)
                && !l.path("result").asText().equals("approved")), "logged as denied");
    }

    /**
     * An approved call is a call that went ahead: it sets the labels an allowed one would (the
     * ask rule's own and every matching allow rule's), so approving the read of a secret closes
     * the ways out as an allowed read does; a remembered approval sets them again.
     */
    @Test
    void anApprovedCallSetsTheLabelsAnAllowedOneWould() throws Exception {
        f.start("""
                version: 1
                rules:
                  - {id: vault, effect: ask, family: file, actions: [read], paths: ["/srv/vault/**"], labels: [secret], remember: 10m}
                  - {id: vault-read, effect: allow, family: file, actions: [read], paths: ["/srv/vault/**"], labels: [vault]}
                  - {id: anywhere, effect: allow, family: net, actions: [connect], hosts: ["**"], unless: [session.secret]}
                """);
        EngineClient agent = f.client("reader", Map.of());
        String lineage = (String) agent.session().get("lineage");
        Request connect = Request.of("net", "connect", Map.of("host", "paste.example", "port", 443L));
        Request read = Request.of("file", "read", Map.of("path", "/srv/vault/key"));
        assertTrue(agent.decide(connect, 2000).allowed());
        CompletableFuture<Decision> held = CompletableFuture.supplyAsync(() -> agent.decide(read, 2000));
        decide(waitForHeld(), true, "needed for the migration");
        Decision approved = held.get(10, TimeUnit.SECONDS);
        assertEquals(Reasons.APPROVED, approved.code(), approved.toString());
        assertEquals(Reasons.DEFAULT_DENY, agent.decide(connect, 2000).code(), "the approved read labelled the session secret");
        JsonNode entry = f.auditLines().stream().filter(l -> l.path("seq").asLong() == approved.auditSeq()).findFirst().orElseThrow();
        assertEquals("[\"secret\",\"vault\"]", entry.path("labels").path("set").toString(), entry.toString());
        // an operator clears it; the remembered approval of the same read sets it again
        f.admin().call(FrameType.CLEAR_LABEL, new AdminRequest.ClearLabel(lineage, "secret").toBody()).get(5, TimeUnit.SECONDS);
        assertTrue(agent.decide(connect, 2000).allowed());
        Decision remembered = agent.decide(read, 2000);
        assertTrue(remembered.reason().contains("remembered"), remembered.toString());
        assertEquals(Reasons.DEFAULT_DENY, agent.decide(connect, 2000).code(), "the remembered approval labelled it again");
    }

    @Test
    void anApproversGroupThatDoesNotExistStopsTheEngineFromStarting() throws Exception {
        f.writePolicy(POLICY);
        Engine e = new Engine(f.config().withApprovers("agt-no-such-group"), System.err);
        java.io.IOException refused = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class, e::start);
        assertTrue(refused.getMessage().contains("--approvers agt-no-such-group: no such group"), refused.getMessage());
        e.close();
    }
}
