package dev.agt.engine.policy;

import dev.agt.config.Node;
import dev.agt.engine.spend.Money;
import dev.agt.engine.spend.SpendPolicy;
import dev.agt.protocol.TargetField;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads {@code prices:} and {@code budgets:}. Every amount goes through {@link Money#parse} and
 * every token count must be whole and in range, with the problem placed at the value.
 */
final class SpendReader {
    static final Set<String> PRICES_KEYS = Set.of("currency", "per_million_tokens", "worst_case");
    static final Set<String> PRICE_KEYS = Set.of("provider", "model", "input", "output", "cached");
    static final Set<String> BUDGET_KEYS = Set.of("id", "per", "window", "limit", "warn", "kill", "calls");
    private static final Pattern ROLLING = Pattern.compile("([1-9][0-9]{0,3})(m|h|d)");

    private final PolicyLoader loader;

    SpendReader(PolicyLoader loader) {
        this.loader = loader;
    }

    SpendPolicy read(Node prices, Node budgets) {
        String currency = "";
        Map<SpendPolicy.PriceKey, SpendPolicy.Price> table = new LinkedHashMap<>();
        SpendPolicy.Tokens worst = new SpendPolicy.Tokens(0, 0);
        if (prices != null) {
            if (!(prices instanceof Node.Map_ m)) {
                loader.problem(prices.pos(), "'prices' must be a mapping with currency, per_million_tokens and worst_case, not " + Node.kind(prices));
            } else {
                loader.unknownKeys(m, PRICES_KEYS);
                Node c = m.entries().get("currency");
                if (c instanceof Node.Scalar s && s.value() instanceof String cur && cur.matches("[A-Z]{3}")) {
                    currency = cur;
                } else {
                    loader.problem(c == null ? m.pos() : c.pos(), "'prices' needs 'currency', three capital letters such as USD");
                }
                Node list = m.entries().get("per_million_tokens");
                if (!(list instanceof Node.Seq seq) || seq.items().isEmpty()) {
                    loader.problem(list == null ? m.pos() : list.pos(), "'prices' needs 'per_million_tokens', a non-empty list of"
                            + " {provider, model, input, output, cached}");
                } else {
                    for (Node n : seq.items()) {
                        price(n, table);
                    }
                }
                Node w = m.entries().get("worst_case");
                if (!(w instanceof Node.Map_ wm)) {
                    loader.problem(w == null ? m.pos() : w.pos(), "'prices' needs 'worst_case: {input: TOKENS, output: TOKENS}': what a call that"
                            + " declares no limit, or reports no usage, is charged");
                } else {
                    loader.unknownKeys(wm, Set.of("input", "output"));
                    worst = new SpendPolicy.Tokens(tokens(wm, "input", true), tokens(wm, "output", true));
                }
            }
        }
        List<SpendPolicy.Budget> list = new ArrayList<>();
        if (budgets != null) {
            if (!(budgets instanceof Node.Seq seq) || seq.items().isEmpty()) {
                loader.problem(budgets.pos(), "'budgets' must be a non-empty list of budgets");
            } else {
                if (prices == null) {
                    loader.problem(budgets.pos(), "'budgets' need 'prices': without them no call costs anything");
                }
                Set<String> ids = new java.util.HashSet<>();
                for (Node n : seq.items()) {
                    SpendPolicy.Budget b = budget(n);
                    if (b != null && !ids.add(b.id())) {
                        loader.problem(n.pos(), "budget id '" + b.id() + "' is used twice");
                    } else if (b != null) {
                        list.add(b);
                    }
                }
            }
        }
        return new SpendPolicy(currency, Map.copyOf(table), worst, List.copyOf(list));
    }

    private void price(Node n, Map<SpendPolicy.PriceKey, SpendPolicy.Price> table) {
        if (!(n instanceof Node.Map_ m)) {
            loader.problem(n.pos(), "a price is a mapping {provider, model, input, output, cached}, not " + Node.kind(n));
            return;
        }
        loader.unknownKeys(m, PRICE_KEYS);
        String provider = string(m, "provider");
        String model = string(m, "model");
        long input = amount(m, "input", true);
        long output = amount(m, "output", true);
        long cached = m.entries().containsKey("cached") ? amount(m, "cached", true) : input;
        if (provider != null && model != null) {
            SpendPolicy.PriceKey k = new SpendPolicy.PriceKey(provider, model);
            if (table.putIfAbsent(k, new SpendPolicy.Price(input, output, cached)) != null) {
                loader.problem(m.pos(), "a second price for " + provider + " " + model);
            }
        }
    }

    private SpendPolicy.Budget budget(Node n) {
        if (!(n instanceof Node.Map_ m)) {
            loader.problem(n.pos(), "a budget is a mapping {id, per, window, limit, [warn], [kill], [calls]}, not " + Node.kind(n));
            return null;
        }
        loader.unknownKeys(m, BUDGET_KEYS);
        String id = string(m, "id");
        String perText = string(m, "per");
        SpendPolicy.Per per = null;
        String label = "";
        if (perText != null) {
            if (perText.equals("agent")) {
                per = SpendPolicy.Per.AGENT;
            } else if (perText.equals("organisation") || perText.equals("organization")) {
                per = SpendPolicy.Per.ORGANISATION;
            } else if (perText.matches("label:[A-Za-z0-9_.-]{1,64}")) {
                per = SpendPolicy.Per.LABEL;
                label = perText.substring("label:".length());
            } else {
                loader.problem(m.entries().get("per").pos(), "'per' is agent, label:NAME or organisation, not '" + perText + "'");
            }
        }
        Optional<Duration> rolling = Optional.empty();
        Optional<String> calendar = Optional.empty();
        String w = string(m, "window");
        if (w != null) {
            Matcher r = ROLLING.matcher(w);
            if (w.equals("day") || w.equals("month")) {
                calendar = Optional.of(w);
            } else if (r.matches()) {
                long k = Long.parseLong(r.group(1));
                rolling = Optional.of(switch (r.group(2)) {
                    case "m" -> Duration.ofMinutes(k);
                    case "h" -> Duration.ofHours(k);
                    default -> Duration.ofDays(k);
                });
            } else {
                loader.problem(m.entries().get("window").pos(), "'window' is day or month (calendar, UTC) or a rolling length such as 30m, 24h or 7d,"
                        + " not '" + w + "'");
            }
        }
        long limit = amount(m, "limit", true);
        Optional<Long> warn = Optional.empty();
        if (m.entries().containsKey("warn")) {
            long v = amount(m, "warn", true);
            if (v > limit) {
                loader.problem(m.entries().get("warn").pos(), "'warn' (" + Money.format(v, "") + ") is over 'limit' (" + Money.format(limit, "") + ")");
            }
            warn = Optional.of(v);
        }
        boolean kill = bool(m, "kill");
        if (kill && per != SpendPolicy.Per.ORGANISATION) {
            loader.problem(m.entries().get("kill").pos(), "'kill: true' is for the organisation budget: it stops every agent");
        }
        String calls = m.entries().containsKey("calls") ? string(m, "calls") : "model";
        if (calls != null && !calls.equals("model") && !calls.equals("all")) {
            loader.problem(m.entries().get("calls").pos(), "'calls' is model (deny further model calls, the default) or all (every call of the agent)");
        }
        if (id == null || per == null || w == null || (rolling.isEmpty() && calendar.isEmpty())) {
            return null;
        }
        return new SpendPolicy.Budget(id, per, label, rolling, calendar, limit, warn, kill, "all".equals(calls), m.pos().toString());
    }

    private String string(Node.Map_ m, String key) {
        Node v = m.entries().get(key);
        if (v instanceof Node.Scalar s && s.value() instanceof String str && !str.isEmpty()) {
            return str;
        }
        loader.problem(v == null ? m.pos() : v.pos(), v == null ? "missing '" + key + "'" : "'" + key + "' must be a non-empty string");
        return null;
    }

    private boolean bool(Node.Map_ m, String key) {
        Node v = m.entries().get(key);
        if (v == null) {
            return false;
        }
        if (v instanceof Node.Scalar s && s.value() instanceof Boolean b) {
            return b;
        }
        loader.problem(v.pos(), "'" + key + "' is true or false");
        return false;
    }

    private long amount(Node.Map_ m, String key, boolean required) {
        Node v = m.entries().get(key);
        if (v == null) {
            if (required) {
                loader.problem(m.pos(), "missing '" + key + "'");
            }
            return 0;
        }
        try {
            return Money.parse(v instanceof Node.Scalar s ? s.value() : v);
        } catch (IllegalArgumentException e) {
            loader.problem(v.pos(), "'" + key + "' " + e.getMessage());
            return 0;
        }
    }

    private long tokens(Node.Map_ m, String key, boolean required) {
        Node v = m.entries().get(key);
        if (v == null) {
            if (required) {
                loader.problem(m.pos(), "missing '" + key + "'");
            }
            return 0;
        }
        Object value = v instanceof Node.Scalar s ? s.value() : v;
        if (TargetField.MAX_TOKENS.problem(value).isPresent() || !(value instanceof Long n) || n == 0) {
            loader.problem(v.pos(), "'" + key + "' is a whole number of tokens from 1 to " + TargetField.MAX_COUNT + ", not " + PolicyLoader.scalarText(v));
            return 0;
        }
        return n;
    }
}
