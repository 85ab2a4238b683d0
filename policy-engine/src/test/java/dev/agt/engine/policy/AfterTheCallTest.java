package dev.agt.engine.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.agt.protocol.Reasons;
import dev.agt.protocol.Request;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A request made about a call that already happened (its result, a model's usage) is not the
 * call again: a rate limit counted the call when it was admitted, and a person who approved it
 * is not asked twice. Only a rule written about the result itself (when: [tool.result.flagged])
 * holds a result for a person.
 */
class AfterTheCallTest {
    static final String POLICY = """
            version: 1
            rules:
              - {id: search, effect: allow, family: tool, tools: [search], limit: 2/hour}
              - {id: delete-needs-a-person, effect: ask, family: tool, tools: [delete]}
              - {id: allow-delete, effect: allow, family: tool, tools: [delete]}
              - {id: flagged-results-need-a-person, effect: ask, family: tool, tools: [fetch], when: [tool.result.flagged]}
              - {id: fetch, effect: allow, family: tool, tools: [fetch]}
            """;

    static Request call(String tool) {
        return new Request("tool", "call", Map.of("tool", tool), "", List.of(), false, false);
    }

    static Request result(String tool) {
        return new Request("tool", "call", Map.of("tool", tool, "result", "text"), "", List.of(), false, true);
    }

    @Test
    void aResultIsNotChargedAgainstTheLimitThatAdmittedItsCall() throws Exception {
        Evaluator ev = new Evaluator(new RateLimiter(100, () -> 0));
        Policy p = PolicyLoader.loadText("p", POLICY, null, Map.of());
        Agent a = Agent.named("a");
        for (int i = 0; i < 2; i++) {
            assertTrue(ev.decide(p, call("search"), a).allowed());
            assertTrue(ev.decide(p, result("search"), a).allowed(), "the result of an admitted call");
        }
        assertEquals(Reasons.RATE_LIMITED, ev.decide(p, call("search"), a).code(), "two calls, not one call and its result, used the limit");
    }

    @Test
    void aPersonIsAskedAboutTheCallNotAgainAboutItsResultUnlessARuleIsAboutResults() throws Exception {
        Evaluator ev = new Evaluator();
        Policy p = PolicyLoader.loadText("p", POLICY, null, Map.of());
        Agent a = Agent.named("a");
        assertEquals(Reasons.APPROVAL_REQUIRED, ev.decide(p, call("delete"), a).code());
        Evaluator.Outcome after = ev.evaluate(p, result("delete"), a, Set.of());
        assertTrue(after.decision().allowed(), after.decision().reason());
        assertNull(after.ask());
        assertTrue(ev.decide(p, result("fetch"), a).allowed(), "an unflagged result");
        Evaluator.Outcome flagged = ev.evaluate(p, result("fetch"), a, Set.of(Fact.TOOL_RESULT_FLAGGED));
        assertEquals(Reasons.APPROVAL_REQUIRED, flagged.decision().code(), "a rule about flagged results holds one");
    }
}
