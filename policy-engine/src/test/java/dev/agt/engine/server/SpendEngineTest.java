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
        EngineClient again = f.client("spender");
        assertTrue(again.decide(call("small", 400L), 5000).allowed(), "0.4 + 0.5 fits under 1");
        assertEquals(Reasons.BUDGET_EXCEEDED, again.decide(call("small", 100L), 5000).code(), "0.4 spent + 0.5 held + 0.2 does not");
    }
}
