package dev.agt.engine.policy;

import dev.agt.protocol.Decision;
import dev.agt.protocol.Reasons;
import dev.agt.protocol.Request;
import java.util.List;
import java.util.Set;

/**
 * The decision for a delegate: the root's policy decision AND every link's scope. The scopes are
 * checked first, so a request no link admits never reaches the policy (and never spends the root's
 * rate limits); a request every link admits is decided exactly as the root's own would be.
 * Being outside a scope is not a policy decision: it is never monitored.
 */
public final class Delegated {
    private Delegated() {
    }

    /**
     * @param outcome the answer
     * @param link    the 0-based index of the first link whose scope refused the request, or -1
     */
    public record Result(Evaluator.Outcome outcome, int link) {
    }

    /**
     * The decision: {@link #outside} or else the policy's for the root.
     *
     * @param root  the registered agent the delegate speaks for, as policies see it
     * @param links the compiled scope of each link, root first; empty for the root itself
     * @param who   for each link, who it delegates to and from, for the reason sentence
     */
    public static Result decide(Evaluator evaluator, Policy policy, Request request, Agent root, List<Scopes.Compiled> links,
                                List<String> who, Set<Fact> facts) {
        Result out = outside(policy, request, links, who);
        return out != null ? out : new Result(evaluator.evaluate(policy, request, root, facts), -1);
    }

    /** The {@code out-of-scope} denial naming the first link whose scope refuses the request, or null. */
    public static Result outside(Policy policy, Request request, List<Scopes.Compiled> links, List<String> who) {
        for (int i = 0; i < links.size(); i++) {
            String why = Scopes.outside(links.get(i), request);
            if (why != null) {
                Decision d = new Decision(Decision.Effect.DENY, "", Reasons.OUT_OF_SCOPE, "outside the scope of delegation link "
                        + (i + 1) + " of " + links.size() + " (" + who.get(i) + "): " + why, policy.version(), -1);
                return new Result(new Evaluator.Outcome(d, null, null), i);
            }
        }
        return null;
    }
}
