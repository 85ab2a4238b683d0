package dev.agt.engine.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.agt.protocol.Decision;
import dev.agt.protocol.Reasons;
import dev.agt.protocol.Request;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Monitor mode and {@code when:} facts in evaluation: fixed cases, then random policies against a reference. */
class MonitorModeTest {
    static final Agent A = Agent.named("a");
    final Evaluator ev = new Evaluator();

    static Policy load(String yaml) throws PolicyException {
        return PolicyLoader.loadText("p.yaml", yaml, null, Map.of());
    }

    static Request read(String path) {
        return Request.of("file", "read", Map.of("path", path));
    }

    @Test
    void aMonitorRuleAllowsAndCarriesTheDenialItStandsFor() throws Exception {
        Policy p = load("version: 1\nrules:\n  - {id: no-tmp, effect: deny, family: file, paths: [\"/tmp/**\"], mode: monitor, reason: no scratch}\n");
        Evaluator.Outcome o = ev.evaluate(p, read("/tmp/x"), A, Set.of());
        assertTrue(o.decision().allowed());
        assertEquals("no-tmp", o.decision().rule());
        assertEquals(Reasons.MONITORED, o.decision().code());
        assertEquals("monitor mode (rule): would be denied: no scratch", o.decision().reason());
        assertEquals("rule", o.monitoredBy());
        assertEquals(new Decision(Decision.Effect.DENY, "no-tmp", Reasons.DENIED, "no scratch", p.version(), -1), o.monitored());
        // elsewhere the rule does not match and nothing allows: an ordinary, enforced default-deny
        Evaluator.Outcome other = ev.evaluate(p, read("/etc/x"), A, Set.of());
        assertFalse(other.decision().allowed());
        assertNull(other.monitored());
    }

    @Test
    void aMonitorRuleNeverHidesAnEnforcedDeny() throws Exception {
        // "a-watch" sorts first, so a wrong implementation that took the smallest id of all denies would pick it
        Policy p = load("version: 1\nrules:\n"
                + "  - {id: a-watch, effect: deny, family: file, paths: [\"/s/**\"], mode: monitor}\n"
                + "  - {id: z-block, effect: deny, family: file, paths: [\"/s/keys/**\"]}\n"
                + "  - {id: s, effect: allow, family: file, paths: [\"/s/**\"]}\n");
        Decision d = ev.decide(p, read("/s/keys/k"), A);
        assertFalse(d.allowed());
        assertEquals("z-block", d.rule());
        assertEquals(Reasons.DENIED, d.code());
        assertEquals(Reasons.MONITORED, ev.decide(p, read("/s/notes"), A).code(), "the monitor rule still wins over the allow");
    }

    @Test
    void aMonitorDenyMayShadowTheAllowItIsAboutToReplace() throws Exception {
        // roll-out: the deny watches exactly what the allow grants; refused once the deny enforces
        String yaml = "version: 1\nrules:\n  - {id: old, effect: allow, family: file, paths: [\"/s/**\"]}\n"
                + "  - {id: new, effect: deny, family: file, paths: [\"/s/**\"], mode: monitor}\n";
        assertEquals(Reasons.MONITORED, ev.decide(load(yaml), read("/s/x"), A).code());
        String enforced = yaml.replace("mode: monitor", "mode: enforce");
        PolicyException e = org.junit.jupiter.api.Assertions.assertThrows(PolicyException.class, () -> load(enforced));
        assertTrue(e.getMessage().contains("rule 'old' can never allow"), e::getMessage);
    }

    @Test
    void underAMonitorPolicyEveryPolicyDenialIsMonitoredExceptRulesThatEnforce() throws Exception {
        Policy p = load("version: 1\nmode: monitor\nrules:\n"
                + "  - {id: tmp, effect: deny, family: file, paths: [\"/tmp/**\"]}\n"
                + "  - {id: keys, effect: deny, family: file, paths: [\"/keys/**\"], mode: enforce}\n"
                + "  - {id: api, effect: allow, family: net, hosts: [api.example.com], limit: 1/hour}\n");
        assertEquals(Mode.MONITOR, p.mode());
        Evaluator.Outcome tmp = ev.evaluate(p, read("/tmp/x"), A, Set.of());
        assertEquals(List.of(true, "tmp", "policy"), List.of(tmp.decision().allowed(), tmp.decision().rule(), tmp.monitoredBy()));
        Evaluator.Outcome dflt = ev.evaluate(p, read("/etc/x"), A, Set.of());
        assertTrue(dflt.decision().allowed());
        assertEquals(Reasons.DEFAULT_DENY, dflt.decision().rule());
        assertEquals(Reasons.DEFAULT_DENY, dflt.monitored().code());
        assertFalse(ev.decide(p, read("/keys/k"), A).allowed(), "mode: enforce on the rule holds under a monitor policy");

        Request api = Request.of("net", "connect", Map.of("host", "api.example.com", "port", 443L));
        assertEquals(Reasons.ALLOWED, ev.decide(p, api, A).code());
        Evaluator.Outcome limited = ev.evaluate(p, api, A, Set.of());
        assertEquals(Reasons.MONITORED, limited.decision().code());
        assertEquals(Reasons.RATE_LIMITED, limited.monitored().code());

        Decision unknown = ev.decide(p, Request.of("file", "frobnicate", Map.of("path", "/x")), A);
        assertFalse(unknown.allowed(), "a request outside the vocabulary is not a policy decision and is never monitored");
    }

    @Test
    void whenNeedsEveryFactItNames() throws Exception {
        Policy p = load("version: 1\nrules:\n"
                + "  - {id: calls, effect: allow, family: mcp, servers: [notes]}\n"
                + "  - {id: pulled, effect: deny, family: mcp, when: [mcp.tool.changed, mcp.tool.flagged]}\n"
                + "  - {id: unknown, effect: deny, family: mcp, actions: [call], when: [mcp.tool.unknown]}\n");
        Request call = Request.of("mcp", "call", Map.of("server", "notes", "tool", "search"));
        assertEquals("calls", ev.evaluate(p, call, A, Set.of()).decision().rule());
        assertEquals("calls", ev.evaluate(p, call, A, Set.of(Fact.MCP_TOOL_CHANGED)).decision().rule());
        assertEquals("pulled", ev.evaluate(p, call, A, Set.of(Fact.MCP_TOOL_CHANGED, Fact.MCP_TOOL_FLAGGED)).decision().rule());
        assertEquals("unknown", ev.evaluate(p, call, A, Set.of(Fact.MCP_TOOL_UNKNOWN)).decision().rule());
        assertEquals("calls", ev.decide(p, call, A).rule(), "without the engine's facts, no fact holds");
    }

    // --- random policies against a reference written the obvious way ---

    static final String[] FACTS = {"mcp.tool.flagged", "mcp.tool.changed", "mcp.tool.unknown"};

    /** Adds random modes to deny rules, random facts to mcp rules, and a random policy mode. */
    static String decorate(SemanticsPropertyTest.Generated g, Random r) {
        StringBuilder b = new StringBuilder("version: 1\n");
        if (r.nextInt(3) == 0) {
            b.append("mode: monitor\n");
        }
        b.append("rules:\n");
        for (String rule : g.ruleTexts()) {
            b.append(rule);
            if (rule.contains("effect: deny") && r.nextInt(3) > 0) {
                b.append("    mode: ").append(r.nextBoolean() ? "monitor" : "enforce").append('\n');
            }
            if (rule.contains("family: mcp") && r.nextInt(3) == 0) {
                b.append("    when: [").append(FACTS[r.nextInt(FACTS.length)]).append("]\n");
            }
        }
        return b.toString();
    }

    static Set<Fact> facts(Random r) {
        EnumSet<Fact> f = EnumSet.noneOf(Fact.class);
        for (Fact x : Fact.values()) {
            if (r.nextInt(3) == 0) {
                f.add(x);
            }
        }
        return f;
    }

    static Decision reference(Policy p, Request req, Agent a, Set<Fact> facts) {
        Rule enforced = null;
        Rule watched = null;
        Rule allow = null;
        for (Rule r : p.rules()) {
            if (!r.family().key().equals(req.family()) || !r.matches(req.action(), req.target(), a, facts)) {
                continue;
            }
            boolean monitor = (r.mode() != null ? r.mode() : p.mode()) == Mode.MONITOR;
            if (r.deny() && !monitor) {
                enforced = enforced == null || r.id().compareTo(enforced.id()) < 0 ? r : enforced;
            } else if (r.deny()) {
                watched = watched == null || r.id().compareTo(watched.id()) < 0 ? r : watched;
            } else {
                allow = allow == null || r.id().compareTo(allow.id()) < 0 ? r : allow;
            }
        }
        if (enforced != null) {
            return new Decision(Decision.Effect.DENY, enforced.id(), Reasons.DENIED, "", p.version(), -1);
        }
        if (watched != null) {
            return new Decision(Decision.Effect.ALLOW, watched.id(), Reasons.MONITORED, "", p.version(), -1);
        }
        if (allow != null) {
            return new Decision(Decision.Effect.ALLOW, allow.id(), Reasons.ALLOWED, "", p.version(), -1);
        }
        return p.mode() == Mode.MONITOR
                ? new Decision(Decision.Effect.ALLOW, Reasons.DEFAULT_DENY, Reasons.MONITORED, "", p.version(), -1)
                : new Decision(Decision.Effect.DENY, Reasons.DEFAULT_DENY, Reasons.DEFAULT_DENY, "", p.version(), -1);
    }

    @Test
    void randomPoliciesWithModesAndFactsAgreeWithTheReference() {
        Random r = new Random(SemanticsPropertyTest.SEED + 7);
        int checked = 0;
        List<String> codes = new ArrayList<>();
        for (int i = 0; i < SemanticsPropertyTest.POLICIES; i++) {
            String yaml = decorate(SemanticsPropertyTest.policy(r), r);
            Policy p;
            try {
                p = load(yaml);
            } catch (PolicyException e) {
                continue; // rules that match exactly the same requests, or 'unknown' on list-only rules
            }
            for (int k = 0; k < SemanticsPropertyTest.REQUESTS_PER_POLICY; k++) {
                Request req = SemanticsPropertyTest.request(r);
                Agent a = SemanticsPropertyTest.agent(r);
                Set<Fact> facts = facts(r);
                Decision want = reference(p, req, a, facts);
                Evaluator.Outcome got = ev.evaluate(p, req, a, facts);
                String ctx = yaml + "\nrequest: " + req + "\nfacts: " + facts;
                assertEquals(want.effect(), got.decision().effect(), ctx);
                assertEquals(want.rule(), got.decision().rule(), ctx);
                assertEquals(want.code(), got.decision().code(), ctx);
                assertEquals(got.decision().code().equals(Reasons.MONITORED), got.monitored() != null, ctx);
                codes.add(got.decision().code());
                checked++;
            }
        }
        assertTrue(checked > 10_000, "checked " + checked);
        for (String c : List.of(Reasons.DENIED, Reasons.ALLOWED, Reasons.MONITORED, Reasons.DEFAULT_DENY)) {
            assertTrue(codes.stream().filter(c::equals).count() > 500, c + ": " + codes.stream().filter(c::equals).count());
        }
    }
}
