package dev.agt.engine.spend;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A policy's prices and budgets ({@code prices:} and {@code budgets:}), validated when the
 * policy loads. All amounts are micro-units ({@link Money}); all token counts whole.
 *
 * @param currency  the currency every amount is in, as the policy names it ({@code USD})
 * @param prices    per provider and model: what a million tokens cost
 * @param worstCase the tokens a call is assumed to use when it declares no output limit, and
 *                  what a call that reports no (or no valid) usage is charged: never zero
 * @param budgets   the budgets, by id
 */
public record SpendPolicy(String currency, Map<PriceKey, Price> prices, Tokens worstCase, List<Budget> budgets, boolean coversAllCalls) {
    public static final SpendPolicy NONE = new SpendPolicy("", Map.of(), new Tokens(0, 0), List.of());

    /** {@code coversAllCalls}: whether any budget has {@code calls: all}, worked out once (every decision asks). */
    public SpendPolicy(String currency, Map<PriceKey, Price> prices, Tokens worstCase, List<Budget> budgets) {
        this(currency, prices, worstCase, budgets, budgets.stream().anyMatch(Budget::allCalls));
    }

    /** Provider and model exactly as model requests carry them. */
    public record PriceKey(String provider, String model) {
    }

    /** Micro-units per million input, output and cached input tokens. */
    public record Price(long input, long output, long cached) {
    }

    /** Input and output token counts. */
    public record Tokens(long input, long output) {
    }

    /** Whose spending a budget counts. */
    public enum Per {
        AGENT, LABEL, ORGANISATION
    }

    /**
     * One budget.
     *
     * @param label    for {@link Per#LABEL}: the label whose value groups agents ({@code team})
     * @param window   a rolling window's length, or empty for a calendar one
     * @param calendar for a calendar window: {@code day} or {@code month} (UTC); empty for rolling
     * @param limit    the hard limit: a model call that could take spending past it is denied
     * @param warn     the soft threshold, logged once crossed; empty when none
     * @param kill     for the organisation budget: crossing the hard limit trips the kill switch
     * @param allCalls deny every call of an agent over it, not only its model calls
     */
    public record Budget(String id, Per per, String label, Optional<Duration> window, Optional<String> calendar, long limit, Optional<Long> warn,
                         boolean kill, boolean allCalls, String pos) {
    }

    /** Prices and budgets as plain values in a fixed order, for the policy's version hash. */
    public Map<String, Object> canonical() {
        Map<String, Object> m = new java.util.TreeMap<>();
        m.put("currency", currency);
        List<Object> ps = new java.util.ArrayList<>();
        prices.entrySet().stream().sorted(Map.Entry.comparingByKey(java.util.Comparator.comparing(PriceKey::provider).thenComparing(PriceKey::model)))
                .forEach(e -> ps.add(Map.of("provider", e.getKey().provider(), "model", e.getKey().model(), "input", e.getValue().input(),
                        "output", e.getValue().output(), "cached", e.getValue().cached())));
        m.put("prices", ps);
        m.put("worst_case", Map.of("input", worstCase.input(), "output", worstCase.output()));
        List<Object> bs = new java.util.ArrayList<>();
        budgets.stream().sorted(java.util.Comparator.comparing(Budget::id)).forEach(b -> {
            Map<String, Object> x = new java.util.TreeMap<>();
            x.put("id", b.id());
            x.put("per", b.per().name().toLowerCase(java.util.Locale.ROOT) + (b.label().isEmpty() ? "" : ":" + b.label()));
            x.put("window", b.calendar().orElseGet(() -> b.window().orElseThrow().toString()));
            x.put("limit", b.limit());
            b.warn().ifPresent(w -> x.put("warn", w));
            x.put("kill", b.kill());
            x.put("calls", b.allCalls() ? "all" : "model");
            bs.add(x);
        });
        m.put("budgets", bs);
        return m;
    }

    public boolean isEmpty() {
        return budgets.isEmpty() && prices.isEmpty();
    }

    /** The price of a provider's model, if the policy names one. */
    public Optional<Price> price(String provider, String model) {
        return Optional.ofNullable(prices.get(new PriceKey(provider, model)));
    }

    /**
     * What a call is charged before it runs: its declared output limit (or the worst case) at
     * the output price, plus the worst-case input at the input price. A model without a price
     * is charged nothing here; the policy decides whether such models may be called at all.
     */
    public long estimate(String provider, String model, Long maxTokens) {
        Optional<Price> p = price(provider, model);
        if (p.isEmpty()) {
            return 0;
        }
        long output = maxTokens != null ? maxTokens : worstCase.output();
        return Money.add(Money.cost(worstCase.input(), p.get().input()), Money.cost(output, p.get().output()));
    }

    /** What a call that reported its usage costs; cached input tokens are priced apart from the rest of the input. */
    public long actual(String provider, String model, long input, long output, long cached) {
        Optional<Price> p = price(provider, model);
        if (p.isEmpty()) {
            return 0;
        }
        long uncached = Math.max(0, input - cached);
        return Money.add(Money.add(Money.cost(uncached, p.get().input()), Money.cost(Math.min(cached, input), p.get().cached())),
                Money.cost(output, p.get().output()));
    }
}
