package dev.agt.engine.server;

import dev.agt.engine.policy.Agent;
import dev.agt.engine.policy.Policy;
import dev.agt.engine.spend.Ledger;
import dev.agt.engine.spend.Money;
import dev.agt.engine.spend.SpendPolicy;
import dev.agt.protocol.Family;
import dev.agt.protocol.Request;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The policy's budgets applied to model calls. Before a model call: its estimate (declared
 * output limit, or the policy's worst case, at the model's prices) is held on every budget it
 * counts against, or the call is denied {@code budget-exceeded}. When its usage comes back (the
 * request decided at return): the hold is settled to the actual cost; usage that is missing
 * counts as the worst case, never as zero. Holds a session leaves unsettled (the call failed,
 * the agent went away) are settled at their estimate when the session ends.
 *
 * <p>Holds are matched to their usage per session, provider and model, oldest first: calls of
 * one model in one session have the same estimate unless they declare different limits, and
 * every hold is settled exactly once, so the totals are exact.
 *
 * <p>A budget with {@code kill: true} (the organisation's) trips the kill switch for every agent
 * once its spending reaches the limit, or once it refuses a call: the switch is persisted, stops
 * agents that connect later too, and only {@code agt revive --all} lifts it.
 */
final class ModelSpend {
    private final Ledger ledger = new Ledger();
    private final Map<Connection, Map<String, Deque<Ledger.Hold>>> open = new ConcurrentHashMap<>();
    private final Events events;

    /** What the engine does when budgets say so. */
    interface Events {
        /** A {@code kill: true} budget is spent: stop every agent. */
        void kill(Ledger.Account account);

        /** A budget's spending crossed its soft threshold: log it. */
        void warn(Ledger.Account account, Ledger.Balance balance, String currency);
    }

    ModelSpend(Events events) {
        this.events = events;
    }

    Ledger ledger() {
        return ledger;
    }

    /** Why a call of any family is refused because its agent is over a budget that covers all its calls, or null. */
    String overAll(Policy p, Agent agent) {
        SpendPolicy s = p.spend();
        if (!s.coversAllCalls()) {
            return null; // the common case, on every call: a field read, no lock, no lookups
        }
        for (Ledger.Account a : Ledger.accounts(s, agent.id(), agent.labels())) {
            if (a.budget().allCalls() && ledger.exhausted(a)) {
                return describe(s, a, "has reached its limit; it covers every call of the agent");
            }
        }
        return null;
    }

    /**
     * What admission decided: {@code refusal} null when the call may go on; {@code audit} what the
     * log entry says about it ({@code spend}), or null when budgets did not apply.
     */
    record Admission(String refusal, Map<String, Object> audit) {
        static final Admission NONE = new Admission(null, null);
    }

    /** Holds the estimate of a model call about to be made, or says why it is refused. */
    Admission admit(Connection c, Policy p, Agent agent, Request req) {
        SpendPolicy s = p.spend();
        if (s.budgets().isEmpty() || !req.family().equals(Family.MODEL.key()) || req.atReturn()) {
            return Admission.NONE;
        }
        String provider = (String) req.target().get("provider");
        String model = (String) req.target().get("model");
        if (s.price(provider, model).isEmpty()) {
            return new Admission("no price for " + provider + " " + model + " in the policy: under a budget every model called needs one",
                    Map.of("currency", s.currency()));
        }
        Long max = req.target().get("max_tokens") instanceof Long l ? l : null;
        long estimate = s.estimate(provider, model, max);
        List<Ledger.Account> accounts = Ledger.accounts(s, agent.id(), agent.labels());
        Ledger.Hold h = ledger.reserve(accounts, estimate);
        Map<String, Object> audit = new java.util.LinkedHashMap<>();
        audit.put("currency", s.currency());
        audit.put("estimate", estimate);
        audit.put("budgets", accounts.stream().map(a -> (Object) (a.budget().id() + ":" + a.subject())).toList());
        if (!h.admitted()) {
            if (h.over().budget().kill()) {
                events.kill(h.over()); // the organisation is out of budget: every agent stops, and stays stopped
            }
            Ledger.Balance b = ledger.balance(h.over());
            audit.put("over", h.over().budget().id() + ":" + h.over().subject());
            return new Admission(describe(s, h.over(), "spent " + Money.format(b.spent(), s.currency()) + ", " + Money.format(b.held(), "")
                    + " held for calls in flight; this call's estimate " + Money.format(estimate, "") + " would pass its limit of "
                    + Money.format(h.over().budget().limit(), s.currency())), audit);
        }
        open.computeIfAbsent(c, k -> new HashMap<>());
        synchronized (open.get(c)) {
            open.get(c).computeIfAbsent(provider + "\0" + model, k -> new ArrayDeque<>()).addLast(h);
        }
        return new Admission(null, audit);
    }

    /**
     * A model call's usage, reported at return: settles the session's oldest hold for that model.
     * Returns what the log entry says about it ({@code spend}), or null when nothing was held.
     */
    Map<String, Object> settle(Connection c, Policy p, Request req) {
        if (!req.family().equals(Family.MODEL.key()) || !req.atReturn()) {
            return null;
        }
        Map<String, Deque<Ledger.Hold>> mine = open.get(c);
        if (mine == null) {
            return null;
        }
        String provider = (String) req.target().get("provider");
        String model = (String) req.target().get("model");
        Ledger.Hold h;
        synchronized (mine) {
            Deque<Ledger.Hold> q = mine.get(provider + "\0" + model);
            if (q == null || q.isEmpty()) {
                // the answer may name the model otherwise than the request did (a dated version of
                // it): the provider's oldest hold in this session, priced as the request's model
                q = null;
                for (Map.Entry<String, Deque<Ledger.Hold>> e : mine.entrySet()) {
                    Ledger.Hold first = e.getValue().peekFirst();
                    if (first != null && e.getKey().startsWith(provider + "\0") && (q == null || first.seq() < q.peekFirst().seq())) {
                        q = e.getValue();
                        model = e.getKey().substring(provider.length() + 1);
                    }
                }
            }
            h = q == null ? null : q.pollFirst();
        }
        if (h == null) {
            return null;
        }
        SpendPolicy s = p.spend();
        long cost;
        boolean reported = req.target().get("usage") instanceof Map<?, ?> u && u.get("input") instanceof Long && u.get("output") instanceof Long;
        if (reported) {
            Map<?, ?> u = (Map<?, ?>) req.target().get("usage");
            cost = s.actual(provider, model, (Long) u.get("input"), (Long) u.get("output"), u.get("cached") instanceof Long cached ? cached : 0L);
        } else {
            cost = Math.max(h.amount(), s.estimate(provider, model, null)); // no usage: the worst case, never zero
        }
        settle(h, cost, s.currency());
        Map<String, Object> audit = new java.util.LinkedHashMap<>();
        audit.put("currency", s.currency());
        audit.put("cost", cost);
        audit.put("held", h.amount());
        audit.put("usage_reported", reported);
        audit.put("budgets", h.accounts().stream().map(a -> (Object) (a.budget().id() + ":" + a.subject())).toList());
        return audit;
    }

    private void settle(Ledger.Hold h, long cost, String currency) {
        ledger.settled(h, cost).crossedWarn().forEach((a, b) -> events.warn(a, b, currency));
        tripped(h);
    }

    /** After a settlement: a {@code kill: true} budget whose spending reached its limit trips the kill switch. */
    private void tripped(Ledger.Hold h) {
        for (Ledger.Account a : h.accounts()) {
            if (a.budget().kill() && ledger.exhausted(a)) {
                events.kill(a);
            }
        }
    }

    /** A session ended: what it still holds is spent at its estimate. */
    void ended(Connection c, String currency) {
        Map<String, Deque<Ledger.Hold>> mine = open.remove(c);
        if (mine == null) {
            return;
        }
        synchronized (mine) {
            mine.values().forEach(q -> q.forEach(h -> settle(h, h.amount(), currency)));
        }
    }

    private static String describe(SpendPolicy s, Ledger.Account a, String what) {
        String whose = switch (a.budget().per()) {
            case AGENT -> "agent " + a.subject();
            case LABEL -> a.budget().label() + "=" + a.subject();
            case ORGANISATION -> "the organisation";
        };
        return "budget " + a.budget().id() + " (" + whose + ", " + a.budget().window().map(Object::toString).orElseGet(() -> a.budget().calendar().orElse(""))
                + ") " + what;
    }
}
