package dev.agt.engine.server;

import dev.agt.engine.policy.Agent;
import dev.agt.engine.policy.Policy;
import dev.agt.engine.spend.Ledger;
import dev.agt.engine.spend.Money;
import dev.agt.engine.spend.SpendFile;
import dev.agt.engine.spend.SpendPolicy;
import dev.agt.engine.state.StateFile;
import dev.agt.protocol.Family;
import dev.agt.protocol.Reasons;
import dev.agt.protocol.Request;
import java.nio.file.Path;
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
 *
 * <p>Once {@link #open opened} on the state directory, the ledger is kept in {@code spend.json}
 * there ({@link SpendFile}): each hold is saved before its call is admitted and each settlement
 * right after, so a restarted engine goes on from what was spent (and counts what was held as
 * spent). While that file is unreadable or cannot be written, model calls under budgets are
 * denied {@code state-unavailable}, and so are all calls when a budget covers all calls.
 */
final class ModelSpend {
    private static final Ledger EMPTY = new Ledger();
    private final Map<Connection, Map<String, Deque<Ledger.Hold>>> open = new ConcurrentHashMap<>();
    private final Events events;
    private volatile SpendFile file;
    /** The ledger in force; null while its file is broken. */
    private volatile Ledger ledger = new Ledger();

    /** What the engine does when budgets say so. */
    interface Events {
        /** A {@code kill: true} budget is spent: stop every agent. */
        void kill(Ledger.Account account);

        /** A budget's spending crossed its soft threshold: log it. */
        void warn(Ledger.Account account, Ledger.Balance balance, String currency);

        /** A session ended leaving {@code calls} unsettled holds of one model, charged {@code cost} (their estimates): log it. */
        void unsettled(Connection c, String provider, String model, int calls, long cost, List<Object> budgets, String currency);
    }

    ModelSpend(Events events) {
        this.events = events;
    }

    /** Other engines' spending, counted with this engine's (null: this engine's only); set before {@link #open}. */
    private volatile Ledger.Shared shared;

    void share(Ledger.Shared s) {
        shared = s;
    }

    /** Keeps the ledger in {@code dir} from now on, starting from what is saved there. */
    synchronized void open(Path dir, SpendPolicy policy) {
        file = new SpendFile(dir);
        ledger = null;
        try {
            usable().adopt(policy.budgets());
        } catch (StateFile.Unavailable e) {
            // reported by the engine (problem()); calls that need the ledger are denied meanwhile
        }
    }

    /** Why the ledger cannot be used right now, or null. */
    String problem() {
        SpendFile f = file;
        return f == null || ledger != null ? null : f.problem();
    }

    /** The ledger, for status and metrics: empty while its file is broken. */
    Ledger ledger() {
        Ledger l = ledger;
        return l != null ? l : EMPTY;
    }

    /** A new policy's budgets: saved spending of budgets it names shows in status from now on. */
    void policyChanged(SpendPolicy policy) {
        Ledger l = ledger;
        if (l != null) {
            l.adopt(policy.budgets());
        }
    }

    /** The ledger in force; while its file is broken, reads it again and fails when it still is. */
    private Ledger usable() throws StateFile.Unavailable {
        Ledger l = ledger;
        if (l != null) {
            return l;
        }
        synchronized (this) {
            if (ledger == null) {
                Ledger fresh = new Ledger(System::currentTimeMillis, file.state(), file.store());
                fresh.share(shared);
                ledger = fresh;
            }
            return ledger;
        }
    }

    /** Why a call of any family is refused because its agent is over a budget that covers all its calls, or null. */
    Admission overAll(Policy p, Agent agent) {
        SpendPolicy s = p.spend();
        if (!s.coversAllCalls()) {
            return null; // the common case, on every call: a field read, no lock, no lookups
        }
        Ledger l;
        try {
            l = usable();
        } catch (StateFile.Unavailable e) {
            return new Admission(Reasons.STATE_UNAVAILABLE, e.getMessage(), null);
        }
        for (Ledger.Account a : Ledger.accounts(s, agent.id(), agent.labels())) {
            try {
                if (a.budget().allCalls() && l.exhausted(a)) {
                    return new Admission(Reasons.BUDGET_EXCEEDED, describe(s, a, "has reached its limit; it covers every call of the agent"), null);
                }
            } catch (Ledger.Unsaved e) {
                return new Admission(Reasons.STATE_UNAVAILABLE, e.getMessage(), null);
            }
        }
        return null;
    }

    /**
     * What admission decided: {@code refusal} null when the call may go on, else why, with its
     * reason {@code code}; {@code audit} what the log entry says about it ({@code spend}), or null
     * when budgets did not apply.
     */
    record Admission(String code, String refusal, Map<String, Object> audit) {
        static final Admission NONE = new Admission(null, null, null);

        static Admission refused(String refusal, Map<String, Object> audit) {
            return new Admission(Reasons.BUDGET_EXCEEDED, refusal, audit);
        }
    }

    /** Holds the estimate of a model call about to be made, or says why it is refused. */
    Admission admit(Connection c, Policy p, Agent agent, Request req) {
        SpendPolicy s = p.spend();
        if (s.budgets().isEmpty() || !req.family().equals(Family.MODEL.key()) || req.atReturn()) {
            return Admission.NONE;
        }
        String provider = (String) req.target().get("provider");
        String model = (String) req.target().get("model");
        List<Ledger.Account> accounts = Ledger.accounts(s, agent.id(), agent.labels());
        if (accounts.isEmpty()) {
            return Admission.NONE; // no budget counts this agent (label budgets only, and it has none of their labels)
        }
        if (s.price(provider, model).isEmpty()) {
            return Admission.refused("no price for " + provider + " " + model + " in the policy: under a budget every model called needs one",
                    Map.of("currency", s.currency()));
        }
        Long max = req.target().get("max_tokens") instanceof Long l ? l : null;
        long estimate = s.estimate(provider, model, max);
        Map<String, Object> audit = new java.util.LinkedHashMap<>();
        audit.put("currency", s.currency());
        audit.put("estimate", estimate);
        audit.put("budgets", accounts.stream().map(a -> (Object) (a.budget().id() + ":" + a.subject())).toList());
        Ledger l;
        Ledger.Hold h;
        try {
            l = usable();
            h = l.reserve(accounts, estimate);
        } catch (StateFile.Unavailable | Ledger.Unsaved e) {
            return new Admission(Reasons.STATE_UNAVAILABLE, e.getMessage(), audit);
        }
        if (!h.admitted()) {
            if (h.over().budget().kill()) {
                events.kill(h.over()); // the organisation is out of budget: every agent stops, and stays stopped
            }
            Ledger.Balance b = l.balance(h.over());
            audit.put("over", h.over().budget().id() + ":" + h.over().subject());
            return Admission.refused(describe(s, h.over(), "spent " + Money.format(b.spent(), s.currency()) + ", " + Money.format(b.held(), "")
                    + " held for calls in flight; this call's estimate " + Money.format(estimate, "") + " would pass its limit of "
                    + Money.format(h.over().budget().limit(), s.currency())), audit);
        }
        open.computeIfAbsent(c, k -> new HashMap<>());
        synchronized (open.get(c)) {
            open.get(c).computeIfAbsent(provider + "\0" + model, k -> new ArrayDeque<>()).addLast(h);
        }
        return new Admission(null, null, audit);
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
        Ledger ledger = ledger(); // a hold exists, so the ledger that made it is in force
        ledger.settled(h, cost).crossedWarn().forEach((a, b) -> events.warn(a, b, currency));
        tripped(h);
    }

    /** After a settlement: a {@code kill: true} budget whose spending reached its limit trips the kill switch. */
    private void tripped(Ledger.Hold h) {
        for (Ledger.Account a : h.accounts()) {
            try {
                if (a.budget().kill() && ledger().exhausted(a)) {
                    events.kill(a);
                }
            } catch (Ledger.Unsaved e) {
                // the other engines' part cannot be read now: the next admission is refused until it can
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
            mine.forEach((key, q) -> {
                if (q.isEmpty()) {
                    return;
                }
                long cost = 0;
                for (Ledger.Hold h : q) {
                    settle(h, h.amount(), currency);
                    cost = Money.add(cost, h.amount());
                }
                int nul = key.indexOf('\0');
                events.unsettled(c, key.substring(0, nul), key.substring(nul + 1), q.size(), cost,
                        q.peekFirst().accounts().stream().map(a -> (Object) (a.budget().id() + ":" + a.subject())).toList(), currency);
            });
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
