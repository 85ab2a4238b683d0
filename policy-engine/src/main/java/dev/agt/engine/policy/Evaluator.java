package dev.agt.engine.policy;

import dev.agt.protocol.Family;
import dev.agt.protocol.Decision;
import dev.agt.protocol.Reasons;
import dev.agt.protocol.Request;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Decides requests against a policy: any matching deny wins; otherwise any matching allow;
 * otherwise {@code default-deny}. Among several matching rules of the deciding effect, the one
 * with the smallest id is named, so neither rule order nor duplicates change a decision.
 *
 * <p>Rate limits: when every matching allow rule has a limit, the request is allowed by the
 * first of them (by id) with room left for this agent, and denied {@code rate-limited} when none
 * has. An unlimited matching allow rule always wins over limited ones. A request about a call
 * already made (at return: a result, a model's usage) takes no token: its call took one.
 *
 * <p>Approvals: a matching ask rule holds a call for a person (deny > ask > allow). About a call
 * already made, only an ask rule that tests the result ({@code tool.result.flagged}) applies.
 *
 * <p>Monitor mode: a matching deny rule in monitor mode (its own {@code mode:}, else the policy's)
 * does not deny; the answer is allow with code {@code monitored}, naming that rule, and the
 * {@link Outcome} carries the denial it stands for. A monitor rule never hides an enforced one:
 * if any enforce-mode deny matches, that deny is the answer. Under a policy in monitor mode,
 * {@code default-deny} and {@code rate-limited} are monitored the same way. Engine failures are
 * not decisions of the policy and are never monitored.
 *
 * <p>Evaluation is deterministic, does no I/O and takes no global lock; the rate limiter keeps
 * per-bucket state only.
 */
public final class Evaluator {
    private static final ThreadLocal<List<Rule>> SCRATCH = ThreadLocal.withInitial(() -> new ArrayList<>(64));
    private final RateLimiter limiter;

    /**
     * What the evaluator concluded.
     *
     * @param decision    the answer for the agent
     * @param monitored   when monitor mode turned a denial into that answer, the denial; else null
     * @param monitoredBy where the monitor mode came from: {@code rule} (the deny rule's own
     *                    {@code mode:}) or {@code policy} (the policy's top-level {@code mode:}); else null
     */
    public record Outcome(Decision decision, Decision monitored, String monitoredBy, Rule ask) {
        public Outcome(Decision decision, Decision monitored, String monitoredBy) {
            this(decision, monitored, monitoredBy, null);
        }
    }

    public Evaluator(RateLimiter limiter) {
        this.limiter = limiter;
    }

    /** An evaluator without rate-limit state shared with anyone (tests, `policy test`). */
    public Evaluator() {
        this(new RateLimiter(RateLimiter.DEFAULT_MAX_BUCKETS, System::nanoTime));
    }

    /** The answer for a request with no facts established. */
    public Decision decide(Policy policy, Request request, Agent agent) {
        return evaluate(policy, request, agent, Set.of()).decision();
    }

    /** Decides {@code request}; {@code facts} are what the engine established about it (for {@code when:}). */
    public Outcome evaluate(Policy policy, Request request, Agent agent, Set<Fact> facts) {
        return evaluate(policy, request, agent, facts, Set.of());
    }

    /** Decides {@code request} in a session that holds {@code labels} (for {@code when: [session.X]} and {@code unless:}). */
    public Outcome evaluate(Policy policy, Request request, Agent agent, Set<Fact> facts, Set<String> labels) {
        Family family = Family.of(request.family()).orElse(null);
        if (family == null || !family.actions().contains(request.action())) {
            // not a policy decision but a request outside the vocabulary: never monitored
            return new Outcome(new Decision(Decision.Effect.DENY, Reasons.DEFAULT_DENY, Reasons.DEFAULT_DENY,
                    "unknown family/action " + request.family() + "/" + request.action(), policy.version(), -1), null, null);
        }
        List<Rule> candidates = SCRATCH.get();
        candidates.clear();
        try {
            policy.candidates(family, request.target(), candidates);
            Rule deny = null;
            Rule watched = null;
            Rule asking = null;
            Rule allow = null;
            Rule sandboxed = null;
            List<Rule> limited = null;
            for (Rule r : candidates) {
                if (r.deny()) {
                    if (policy.monitors(r)) {
                        if ((watched == null || r.id().compareTo(watched.id()) < 0) && r.matches(request.action(), request.target(), agent, facts, labels)) {
                            watched = r;
                        }
                    } else if ((deny == null || r.id().compareTo(deny.id()) < 0) && r.matches(request.action(), request.target(), agent, facts, labels)) {
                        deny = r;
                    }
                } else if (r.sandbox() != null) {
                    // looked at even when a monitored deny matches: watching a deny must not drop a sandbox
                    if (deny == null && (sandboxed == null || r.id().compareTo(sandboxed.id()) < 0)
                            && r.matches(request.action(), request.target(), agent, facts, labels)) {
                        sandboxed = r;
                    }
                } else if (r.ask() != null) {
                    // looked at even when an allow matches: asking is stricter than allowing. About a
                    // call already made (its result, its usage) only a rule about results asks: the
                    // person was asked about the call itself
                    if (deny == null && (!request.atReturn() || r.when().contains(Fact.TOOL_RESULT_FLAGGED)) && (asking == null || r.id().compareTo(asking.id()) < 0)
                            && r.matches(request.action(), request.target(), agent, facts, labels)) {
                        asking = r;
                    }
                } else if (deny == null && watched == null) {
                    if (r.limit() == null) {
                        if ((allow == null || r.id().compareTo(allow.id()) < 0) && r.matches(request.action(), request.target(), agent, facts, labels)) {
                            allow = r;
                        }
                    } else if (allow == null && r.matches(request.action(), request.target(), agent, facts, labels)) {
                        if (limited == null) {
                            limited = new ArrayList<>(2);
                        }
                        if (!limited.contains(r)) {
                            limited.add(r);
                        }
                    }
                }
            }
            String version = policy.version();
            if (deny != null) {
                return new Outcome(denied(deny, version), null, null);
            }
            if (watched != null) {
                // only monitor-mode denies match: a monitor rule never hides an enforced deny
                return monitored(denied(watched, version), watched.mode() != null ? "rule" : "policy", sandboxed);
            }
            if (asking != null) {
                // deny > ask > allow: the call waits for a person (the engine holds it; anywhere else it is refused)
                return new Outcome(new Decision(Decision.Effect.DENY, asking.id(), Reasons.APPROVAL_REQUIRED, "rule " + asking.id()
                        + " needs a person's approval" + (asking.reason().isEmpty() ? "" : ": " + asking.reason()), version, -1), null, null, asking);
            }
            if (sandboxed != null) {
                // a launch allowed only inside a sandbox stays sandboxed even where a bare allow also matches
                return new Outcome(new Decision(Decision.Effect.ALLOW, sandboxed.id(), Reasons.ALLOWED, "allowed by rule " + sandboxed.id()
                        + " inside sandbox " + sandboxed.sandbox(), version, -1, sandboxed.sandbox()), null, null);
            }
            if (allow != null) {
                return new Outcome(new Decision(Decision.Effect.ALLOW, allow.id(), Reasons.ALLOWED, "allowed by rule " + allow.id(), version, -1),
                        null, null);
            }
            Decision refused;
            if (limited != null) {
                limited.sort((x, y) -> x.id().compareTo(y.id()));
                try {
                    for (Rule r : limited) {
                        // a call already made was counted when it was admitted: its result is not another call
                        if (request.atReturn() || limiter.tryAcquire(r, agent.id())) {
                            return new Outcome(new Decision(Decision.Effect.ALLOW, r.id(), Reasons.ALLOWED,
                                    "allowed by rule " + r.id() + " (limit " + r.limit().text() + ")", version, -1), null, null);
                        }
                    }
                    Rule first = limited.get(0);
                    refused = new Decision(Decision.Effect.DENY, first.id(), Reasons.RATE_LIMITED,
                            "rate limit " + first.limit().text() + " of rule " + first.id() + " reached for agent " + agent.id(), version, -1);
                } catch (RateLimiter.Uncountable e) {
                    // fail closed, and never in monitor mode: the policy did not refuse this call, the state did
                    return new Outcome(new Decision(Decision.Effect.DENY, limited.get(0).id(), Reasons.STATE_UNAVAILABLE,
                            "rate limit " + limited.get(0).limit().text() + " of rule " + limited.get(0).id() + " cannot be counted: " + e.getMessage(),
                            version, -1), null, null);
                }
            } else {
                refused = new Decision(Decision.Effect.DENY, Reasons.DEFAULT_DENY, Reasons.DEFAULT_DENY,
                        "no rule allows " + request.family() + "/" + request.action(), version, -1);
            }
            return policy.mode() == Mode.MONITOR ? monitored(refused, "policy", null) : new Outcome(refused, null, null);
        } finally {
            candidates.clear();
        }
    }

    /**
     * The labels a decision sets on the session: those of every rule that matches the request
     * and stands for what happens to the call. When it goes ahead (allowed, approved by a person,
     * or a monitored denial), every matching allow and ask rule's (and a monitored deny's); when a rule denies it, every
     * matching enforced deny rule's. So a label never depends on which of two matching rules
     * sorts first. Defaults, limits refused and engine failures set nothing.
     */
    public List<SessionTerms.Setting> labelsSet(Policy policy, Request request, Agent agent, Set<Fact> facts, Set<String> labels, Decision d) {
        String code = d.code();
        boolean ahead = code.equals(Reasons.ALLOWED) || code.equals(Reasons.MONITORED) || code.equals(Reasons.APPROVED);
        if (!policy.usesLabels() || !ahead && !code.equals(Reasons.DENIED)) {
            return List.of();
        }
        Family family = Family.of(request.family()).orElse(null);
        if (family == null) {
            return List.of();
        }
        List<Rule> candidates = new ArrayList<>();
        policy.candidates(family, request.target(), candidates);
        java.util.LinkedHashMap<String, SessionTerms.Setting> out = new java.util.LinkedHashMap<>();
        candidates.sort((x, y) -> x.id().compareTo(y.id()));
        for (Rule r : candidates) {
            if (r.session().sets().isEmpty()) {
                continue;
            }
            boolean stands = ahead ? !r.deny() || code.equals(Reasons.MONITORED) && r.id().equals(d.rule())
                    : r.deny() && !policy.monitors(r);
            if (stands && r.matches(request.action(), request.target(), agent, facts, labels)) {
                for (SessionTerms.LabelSet l : r.session().sets()) {
                    // the same label from two rules: the longer lifetime (none is longest), the first rule by id
                    out.merge(l.label(), new SessionTerms.Setting(r.id(), l), (a, b) -> longer(a.label(), b.label()) == a.label() ? a
                            : new SessionTerms.Setting(a.rule(), b.label()));
                }
            }
        }
        return List.copyOf(out.values());
    }

    private static SessionTerms.LabelSet longer(SessionTerms.LabelSet a, SessionTerms.LabelSet b) {
        return a.ttl().isEmpty() || b.ttl().isPresent() && a.ttl().get().compareTo(b.ttl().get()) >= 0 ? a : b;
    }

    private static Decision denied(Rule r, String version) {
        return new Decision(Decision.Effect.DENY, r.id(), Reasons.DENIED, r.reason().isEmpty() ? "denied by rule " + r.id() : r.reason(), version, -1);
    }

    /** The allow that stands in for {@code denial} in monitor mode; it names the same rule. */
    private static Outcome monitored(Decision denial, String by, Rule sandboxed) {
        Decision answer = new Decision(Decision.Effect.ALLOW, denial.rule(), Reasons.MONITORED,
                "monitor mode (" + by + "): would be denied: " + denial.reason(), denial.policyVersion(), -1,
                sandboxed == null ? null : sandboxed.sandbox());
        return new Outcome(answer, denial, by);
    }
}
