package dev.agt.engine.policy;

import dev.agt.config.Source;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One compiled rule.
 *
 * @param actions   the actions it covers; empty means every action of the family
 * @param limit     a per-agent rate limit on an allow rule, or null
 * @param body      canonical JSON of everything that decides what the rule matches (not its id or
 *                  reason): two rules with the same body match exactly the same requests
 */
public record Rule(String id, boolean deny, Family family, Set<String> actions, List<Condition> conditions,
                   RateLimit limit, String reason, Source.Pos pos, String body) {

    public boolean matches(String action, Map<String, Object> target, Agent agent) {
        if (!actions.isEmpty() && !actions.contains(action)) {
            return false;
        }
        for (Condition c : conditions) {
            if (!c.test(target, agent, deny)) {
                return false;
            }
        }
        return true;
    }

    /** {@code limit: 60/minute}: at most {@code count} allows per agent in any {@code periodNanos} window. */
    public record RateLimit(long count, long periodNanos, String text) {
    }
}
