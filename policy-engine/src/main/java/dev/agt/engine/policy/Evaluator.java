package dev.agt.engine.policy;

import dev.agt.protocol.Decision;
import dev.agt.protocol.Reasons;
import dev.agt.protocol.Request;
import java.util.ArrayList;
import java.util.List;

/**
 * Decides requests against a policy: any matching deny wins; otherwise any matching allow;
 * otherwise {@code default-deny}. Among several matching rules of the deciding effect, the one
 * with the smallest id is named, so neither rule order nor duplicates change a decision.
 *
 * <p>Rate limits: when every matching allow rule has a limit, the request is allowed by the
 * first of them (by id) with room left for this agent, and denied {@code rate-limited} when none
 * has. An unlimited matching allow rule always wins over limited ones.
 *
 * <p>Evaluation is deterministic, does no I/O and takes no global lock; the rate limiter keeps
 * per-bucket state only.
 */
public final class Evaluator {
    private static final ThreadLocal<List<Rule>> SCRATCH = ThreadLocal.withInitial(() -> new ArrayList<>(64));
    private final RateLimiter limiter;

    public Evaluator(RateLimiter limiter) {
        this.limiter = limiter;
    }

    /** An evaluator without rate-limit state shared with anyone (tests, `policy test`). */
    public Evaluator() {
        this(new RateLimiter(RateLimiter.DEFAULT_MAX_BUCKETS, System::nanoTime));
    }

    public Decision decide(Policy policy, Request request, Agent agent) {
        Family family = Family.of(request.family());
        if (family == null || !family.actions().contains(request.action())) {
            return new Decision(Decision.Effect.DENY, Reasons.DEFAULT_DENY, Reasons.DEFAULT_DENY,
                    "unknown family/action " + request.family() + "/" + request.action(), policy.version(), -1);
        }
        List<Rule> candidates = SCRATCH.get();
        candidates.clear();
        try {
            policy.candidates(family, request.target(), candidates);
            Rule deny = null;
            Rule allow = null;
            List<Rule> limited = null;
            for (Rule r : candidates) {
                if (r.deny()) {
                    if ((deny == null || r.id().compareTo(deny.id()) < 0) && r.matches(request.action(), request.target(), agent)) {
                        deny = r;
                    }
                } else if (deny == null) {
                    if (r.limit() == null) {
                        if ((allow == null || r.id().compareTo(allow.id()) < 0) && r.matches(request.action(), request.target(), agent)) {
                            allow = r;
                        }
                    } else if (allow == null && r.matches(request.action(), request.target(), agent)) {
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
                return new Decision(Decision.Effect.DENY, deny.id(), Reasons.DENIED,
                        deny.reason().isEmpty() ? "denied by rule " + deny.id() : deny.reason(), version, -1);
            }
            if (allow != null) {
                return new Decision(Decision.Effect.ALLOW, allow.id(), Reasons.ALLOWED, "allowed by rule " + allow.id(), version, -1);
            }
            if (limited != null) {
                limited.sort((a, b) -> a.id().compareTo(b.id()));
                for (Rule r : limited) {
                    if (limiter.tryAcquire(r, agent.id())) {
                        return new Decision(Decision.Effect.ALLOW, r.id(), Reasons.ALLOWED,
                                "allowed by rule " + r.id() + " (limit " + r.limit().text() + ")", version, -1);
                    }
                }
                Rule first = limited.get(0);
                return new Decision(Decision.Effect.DENY, first.id(), Reasons.RATE_LIMITED,
                        "rate limit " + first.limit().text() + " of rule " + first.id() + " reached for agent " + agent.id(), version, -1);
            }
            return new Decision(Decision.Effect.DENY, Reasons.DEFAULT_DENY, Reasons.DEFAULT_DENY,
                    "no rule allows " + request.family() + "/" + request.action(), version, -1);
        } finally {
            candidates.clear();
        }
    }
}
