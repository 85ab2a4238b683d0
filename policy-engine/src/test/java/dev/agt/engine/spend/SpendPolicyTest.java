package dev.agt.engine.spend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.agt.engine.policy.Policy;
import dev.agt.engine.policy.PolicyException;
import dev.agt.engine.policy.PolicyLoader;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** Prices and budgets in a policy: read exactly, and every crafted number refused where it stands. */
class SpendPolicyTest {
    static final String RULES = "rules:\n  - {id: m, effect: allow, family: model}\n";
    static final String PRICES = """
            prices:
              currency: USD
              per_million_tokens:
                - {provider: OPEN_AI, model: gpt-4o-mini, input: 0.15, output: 0.60, cached: 0.075}
              worst_case: {input: 8000, output: 4096}
            """;
    static final String BUDGETS = """
            budgets:
              - {id: per-agent, per: agent, window: 24h, limit: 5, warn: 4}
              - {id: research, per: "label:team", window: month, limit: 50}
              - {id: org, per: organisation, window: month, limit: 100, kill: true}
            """;

    static final String BLOCK = """
            prices:
              currency: USD
              per_million_tokens:
                - provider: OPEN_AI
                  model: gpt-4o-mini
                  input: AMOUNT
                  output: 1
              worst_case: {input: 1, output: 1}
            """;

    static Policy load(String text) throws PolicyException {
        return PolicyLoader.loadText("p.yaml", "version: 1\n" + text + RULES, null, Map.of());
    }

    @Test
    void pricesAndBudgetsAreReadExactly() throws Exception {
        SpendPolicy s = load(PRICES + BUDGETS).spend();
        assertEquals("USD", s.currency());
        assertEquals(new SpendPolicy.Price(150_000, 600_000, 75_000), s.price("OPEN_AI", "gpt-4o-mini").orElseThrow());
        assertEquals(new SpendPolicy.Tokens(8000, 4096), s.worstCase());
        SpendPolicy.Budget agent = s.budgets().get(0);
        assertEquals(SpendPolicy.Per.AGENT, agent.per());
        assertEquals(Optional.of(Duration.ofHours(24)), agent.window());
        assertEquals(5_000_000L, agent.limit());
        assertEquals(Optional.of(4_000_000L), agent.warn());
        assertEquals("team", s.budgets().get(1).label());
        assertEquals(Optional.of("month"), s.budgets().get(1).calendar());
        assertTrue(s.budgets().get(2).kill());
        // before the call: declared limit (or worst case) at the output price, worst-case input at the input price
        assertEquals(Money.cost(8000, 150_000) + Money.cost(64, 600_000), s.estimate("OPEN_AI", "gpt-4o-mini", 64L));
        assertEquals(Money.cost(8000, 150_000) + Money.cost(4096, 600_000), s.estimate("OPEN_AI", "gpt-4o-mini", null));
        assertEquals(Money.cost(10, 150_000) + Money.cost(2, 75_000) + Money.cost(7, 600_000), s.actual("OPEN_AI", "gpt-4o-mini", 12, 7, 2));
        // a change of price is a new policy version
        assertNotEquals(load(PRICES + BUDGETS).version(), load(PRICES.replace("0.60", "0.61") + BUDGETS).version());
        assertEquals(load("").version(), PolicyLoader.loadText("p.yaml", "version: 1\n" + RULES, null, Map.of()).version());
    }

    static Stream<Arguments> refused() {
        String p = PRICES;
        return Stream.of(
                // YAML's own NaN and infinities are refused by the reader itself, placed; 1e309 (read as Infinity) by the amount check
                Arguments.of(p.replace("input: 0.15", "input: .nan"), "p.yaml:5:58: YAML syntax: Malformed numeric value '.nan'"),
                Arguments.of(BLOCK.replace("AMOUNT", ".nan"), "p.yaml:7:18: YAML syntax: Malformed numeric value '.nan'"),
                Arguments.of(BLOCK.replace("AMOUNT", ".inf"), "p.yaml:7:18: YAML syntax: Malformed numeric value '.inf'"),
                Arguments.of(BLOCK.replace("AMOUNT", "-.inf"), "p.yaml:7:19: YAML syntax: Malformed numeric value '-.inf'"),
                Arguments.of(BLOCK.replace("AMOUNT", "-0.0"), "p.yaml:7:14: 'input' is negative zero"),
                Arguments.of(BLOCK.replace("AMOUNT", "1e309"), "p.yaml:7:14: 'input' is not a finite number (Infinity)"),
                Arguments.of(p.replace("output: 0.60", "output: 1e309"), "'output' is not a finite number"),
                Arguments.of(p.replace("input: 0.15", "input: -0.15"), "'input' is negative"),
                Arguments.of(p.replace("input: 0.15", "input: -0"), "'input' is negative zero"),
                Arguments.of(p.replace("input: 0.15", "input: 99999999999999999999"), "'input' must be an amount"),
                Arguments.of(p.replace("input: 0.15", "input: \"cheap\""), "'input' must be an amount such as 5 or 0.15, not 'cheap'"),
                Arguments.of(p.replace("input: 0.15", "input: 0.0000001"), "'input' has more than six decimal places"),
                Arguments.of(p.replace("input: 0.15", "input: 2000000000000"), "'input' is over 1000000000000"),
                Arguments.of(p.replace("output: 4096", "output: 40.5"), "'output' is a whole number of tokens"),
                Arguments.of(p.replace("output: 4096", "output: -1"), "'output' is a whole number of tokens"),
                Arguments.of(p.replace("output: 4096", "output: 0"), "'output' is a whole number of tokens from 1"),
                Arguments.of(p.replace("currency: USD", "currency: dollars"), "'prices' needs 'currency'"),
                Arguments.of(p + "budgets:\n  - id: b\n    per: agent\n    window: day\n    limit: 1e309\n", "'limit' is not a finite number"),
                Arguments.of(p + "budgets:\n  - {id: b, per: agent, window: day, limit: -5}\n", "'limit' is negative"),
                Arguments.of(p + "budgets:\n  - {id: b, per: agent, window: day, limit: 5, warn: 6}\n", "'warn' (6) is over 'limit' (5)"),
                Arguments.of(p + "budgets:\n  - {id: b, per: agent, window: forever, limit: 5}\n", "'window' is day or month"),
                Arguments.of(p + "budgets:\n  - {id: b, per: team, window: day, limit: 5}\n", "'per' is agent, label:NAME or organisation"),
                Arguments.of(p + "budgets:\n  - {id: b, per: agent, window: day, limit: 5, kill: true}\n", "'kill: true' is for the organisation budget"),
                Arguments.of("budgets:\n  - {id: b, per: agent, window: day, limit: 5}\n", "'budgets' need 'prices'"));
    }

    @ParameterizedTest
    @MethodSource("refused")
    void everyCraftedNumberIsRefusedWhereItStands(String text, String message) {
        PolicyException e = assertThrows(PolicyException.class, () -> load(text));
        assertTrue(e.getMessage().contains(message), "want " + message + "\ngot: " + e.getMessage());
        assertTrue(e.getMessage().startsWith("p.yaml:"), e.getMessage());
    }
}
