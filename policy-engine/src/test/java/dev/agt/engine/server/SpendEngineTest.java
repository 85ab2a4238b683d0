package dev.agt.engine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.agt.engine.spend.Ledger;
import dev.agt.protocol.Decision;
import dev.agt.protocol.EngineClient;
import dev.agt.protocol.Reasons;
import dev.agt.protocol.Request;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Budgets in the engine: holds, settlement at return, worst case for missing usage, unsettled holds at session end. */
class SpendEngineTest {
    static final String POLICY = """
            version: 1
            prices:
              currency: USD
              per_million_tokens:
                - {provider: OPEN_AI, model: small, input: 1000, output: 1000}
              worst_case: {input: 100, output: 400}
            budgets:
              - {id: daily, per: agent, window: day, limit: 1}
            rules:
              - {id: models, effect: allow, family: model}
              - {id: files, effect: allow, family: file}
            """;

    @RegisterExtension
    final EngineFixture f = new EngineFixture();

    static Request call(String model, Long max) {
        return Request.of("model", "chat", max == null ? Map.of("provider", "OPEN_AI", "model", model)
                : Map.of("provider", "OPEN_AI", "model", model, "max_tokens", max));
    }

    static Request usage(Map<String, Object> usage) {
        return new Request("model", "chat", Map.of("provider", "OPEN_AI", "model", "small", "usage", usage), "", List.of(), false, true);
    }

    long spent() {
        Ledger l = f.engine().spend().ledger();
        return l.balance(Ledger.accounts(f.engine().policy().spend(), "spender", Map.of()).get(0)).spent();
    }

    @Test
    void usageSettlesAndMissingUsageCountsAsTheWorstCase() throws Exception {
        f.start(POLICY);
        EngineClient c = f.client("spender");
        assertTrue(c.decide(call("small", 100L), 5000).allowed()); // holds 0.1 + 0.1
        assertTrue(c.decide(usage(Map.of("input", 50L, "output", 20L)), 5000).allowed());
        assertEquals(70_000L, spent(), "settled to what it used: 70 tokens at 0.001");
        assertTrue(c.decide(call("small", 100L), 5000).allowed());
        assertTrue(c.decide(usage(Map.of()), 5000).allowed(), "a usage report without counts");
        assertEquals(70_000L + 500_000L, spent(), "charged the worst case (100 in + 400 out), never zero");
        Decision unpriced = c.decide(call("large", 10L), 5000);
        assertEquals(Reasons.BUDGET_EXCEEDED, unpriced.code(), "a model without a price under a budget: " + unpriced);
        assertTrue(unpriced.reason().contains("no price for OPEN_AI large"), unpriced.reason());
        // 0.57 spent; a call without a declared limit holds 0.5 (worst case): passes 1.0
        Decision over = c.decide(call("small", null), 5000);
        assertFalse(over.allowed());
        assertEquals(Reasons.BUDGET_EXCEEDED, over.code());
        assertTrue(over.reason().contains("budget daily (agent spender, day) spent 0.57 USD"), over.reason());
        assertTrue(c.decide(Request.of("file", "read", Map.of("path", "/work/x")), 5000).allowed(), "the budget covers model calls only");
        String metrics = MetricsServer.render(f.engine());
        assertTrue(metrics.contains("agt_spend{budget=\"daily\",per=\"agent\",subject=\"spender\",currency=\"USD\"} 0.57\n"), metrics);
        assertTrue(metrics.contains("agt_budget_limit{budget=\"daily\",per=\"agent\",subject=\"spender\",currency=\"USD\"} 1\n"), metrics);
        assertEquals("a\\\"b\\\\c\\n", MetricsServer.escape("a\"b\\c\n"));
    }

    @Test
    void holdsASessionLeavesAreSpentAtTheirEstimateWhenItEnds() throws Exception {
        f.start(POLICY);
        EngineClient c = f.client("spender");
        assertTrue(c.decide(call("small", 300L), 5000).allowed()); // 0.1 + 0.3, no usage ever comes
        assertEquals(0L, spent());
        c.close();
        EngineFixture.waitFor("the session's hold settled at its estimate", this::spent, v -> v == 400_000L);
        EngineFixture.waitFor("the charge is logged", () -> {
            try {
                return f.auditLines().stream().filter(l -> l.path("event").asText().equals("spend-unsettled")).toList();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, l -> l.size() == 1 && l.get(0).path("cost").asLong() == 400_000L && l.get(0).path("calls").asLong() == 1
                && l.get(0).path("agent").asText().equals("spender") && l.get(0).path("model").asText().equals("small"));
        EngineClient again = f.client("spender");
        assertTrue(again.decide(call("small", 400L), 5000).allowed(), "0.4 + 0.5 fits under 1");
        assertEquals(Reasons.BUDGET_EXCEEDED, again.decide(call("small", 100L), 5000).code(), "0.4 spent + 0.5 held + 0.2 does not");
    }

    /**
     * Spending outlives the engine: a restart goes on from what was spent, and what was held for
     * a call in flight when the engine died counts as spent. Stopping the engine must never hand
     * an agent a fresh budget.
     */
    @Test
    void spendingSurvivesARestartAndHoldsInFlightCountAsSpent() throws Exception {
        f.start(POLICY);
        EngineClient c = f.client("spender");
        assertTrue(c.decide(call("small", 100L), 5000).allowed());
        assertTrue(c.decide(usage(Map.of("input", 100L, "output", 200L)), 5000).allowed()); // 0.3 spent
        assertTrue(c.decide(call("small", 300L), 5000).allowed()); // 0.4 held, never settled
        String saved = java.nio.file.Files.readString(f.dir().resolve("audit.state").resolve("spend.json"));
        assertTrue(saved.contains("\"budget\" : \"daily\"") && saved.contains("\"held\" : 400000"), saved);
        f.closeClients();
        f.stopEngine();
        f.start(f.config());
        assertEquals(700_000L, spent(), "0.3 spent and the 0.4 the unsettled call held");
        assertTrue(f.engine().status().toString().contains("spent_micros=700000"), "shown before the agent's next call: " + f.engine().status());
        EngineClient again = f.client("spender");
        Decision over = again.decide(call("small", 300L), 5000);
        assertEquals(Reasons.BUDGET_EXCEEDED, over.code(), "0.7 spent + an estimate of 0.4 passes 1.0 after the restart too: " + over);
        assertTrue(again.decide(call("small", 100L), 5000).allowed(), "0.7 + 0.2 fits");
    }

    /** A spending ledger that cannot be read is never replaced by a fresh one: model calls under budgets deny until it is repaired. */
    @Test
    void anUnreadableLedgerDeniesModelCallsUntilRepairedAndIsNeverOverwritten() throws Exception {
        java.nio.file.Path state = f.dir().resolve("audit.state");
        java.nio.file.Files.createDirectories(state);
        String broken = "{\"version\": 1, \"accounts\": [{\"budget\": \"daily\", \"subject\": \"spender\", \"spent\": [[0, -5]], \"held\": 0}]}";
        java.nio.file.Files.writeString(state.resolve("spend.json"), broken);
        f.start(POLICY);
        EngineClient c = f.client("spender");
        Decision d = c.decide(call("small", 100L), 5000);
        assertEquals(Reasons.STATE_UNAVAILABLE, d.code(), d.toString());
        assertTrue(d.reason().contains("spend.json is not valid") && d.reason().contains("an amount must be a whole number"), d.reason());
        assertTrue(c.decide(Request.of("file", "read", Map.of("path", "/work/x")), 5000).allowed(), "other families go on");
        assertEquals(broken, java.nio.file.Files.readString(state.resolve("spend.json")), "never overwritten");
        assertTrue(f.output().contains("spend.json is not valid"), f.output());
        java.nio.file.Files.writeString(state.resolve("spend.json"), "{\"version\": 1, \"accounts\": []}");
        assertTrue(c.decide(call("small", 100L), 5000).allowed(), "read again once repaired, no restart needed");
    }

    /** A label budget counts only the agents with that label: others' model calls need no price and hold nothing. */
    @Test
    void aLabelBudgetCountsOnlyTheAgentsWithTheLabel() throws Exception {
        f.start(POLICY.replace("- {id: daily, per: agent, window: day, limit: 1}", "- {id: team, per: \"label:team\", window: day, limit: 1}"));
        EngineClient c = f.client("unlabelled");
        Decision d = c.decide(call("unpriced-model", 100L), 5000);
        assertTrue(d.allowed(), "no budget counts this agent, so no price is needed: " + d);
        assertTrue(f.engine().spend().ledger().balances().isEmpty(), "nothing held or spent anywhere");
    }

    /**
     * The advisory's inputs as usage reports: each is refused as a count, and the call it reports
     * is charged the worst case; none of them lets spending go on past the limit.
     */
    @Test
    void invalidUsageReportsAreChargedTheWorstCase() throws Exception {
        f.start(POLICY.replace("limit: 1}", "limit: 2.5}"));
        EngineClient c = f.client("spender");
        long expected = 0;
        // what JSON can carry (NaN and the infinities cannot be written on the wire at all)
        for (Object bad : List.of(-1L, 1.5d, "100", -0.0d, Long.MAX_VALUE)) {
            assertTrue(c.decide(call("small", 10L), 5000).allowed(), "holds 0.11");
            Decision d = c.decide(usage(Map.of("input", bad, "output", 10L)), 5000);
            expected += 500_000L; // the worst case: 100 in + 400 out at 0.001, never the 0.02 the output alone would say
            assertEquals(expected, spent(), "usage " + bad + " is charged the worst case: " + d);
        }
        assertEquals(2_500_000L, spent(), "five worst cases fill the budget of 2.5");
        assertEquals(Reasons.BUDGET_EXCEEDED, c.decide(call("small", 1L), 5000).code(), "and nothing more is admitted");
        assertTrue(f.auditLines().stream().anyMatch(l -> l.path("spend").path("usage_invalid").asText().contains("usage")
                && !l.path("spend").path("usage_reported").asBoolean(true)), "the log says why the worst case was charged");
    }
}
