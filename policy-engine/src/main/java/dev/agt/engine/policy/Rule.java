package dev.agt.engine.policy;

import dev.agt.protocol.Family;
import dev.agt.config.Source;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One compiled rule.
 *
 * @param actions   the actions it covers; empty means every action of the family
 * @param when      facts that must all hold ({@code when:}); empty when the rule names none
 * @param limit     a per-agent rate limit on an allow rule, or null
 * @param mode      a deny rule's own mode ({@code mode:}), or null to follow the policy's
 * @param sandbox   an allow rule for process launches that allows them only inside this sandbox
 *                  profile ({@code sandbox:}), or null
 * @param body      canonical JSON of everything that decides what the rule matches (not its id,
 *                  reason or mode) and the labels it sets: two rules with the same body match
 *                  exactly the same requests
 * @param session   the session labels it needs, must not find, and sets ({@link SessionTerms})
 * @param ask       for {@code effect: ask}: how long a call waits for a person and how long an approval is remembered; else null
 */
public record Rule(String id, boolean deny, Family family, Set<String> actions, List<Condition> conditions, Set<Fact> when,
                   RateLimit limit, Mode mode, String sandbox, String reason, Source.Pos pos, String body, SessionTerms session, Ask ask) {

    /** {@code effect: ask}: hold the call until a person approves or denies it, at most {@code timeout}; {@code remember} 0 for never. */
    public record Ask(java.time.Duration timeout, java.time.Duration remember) {
        public static final java.time.Duration DEFAULT_TIMEOUT = java.time.Duration.ofMinutes(5);
    }

    /** Matches with no facts established and no session labels (requests outside the engine: tests, tools). */
    public boolean matches(String action, Map<String, Object> target, Agent agent) {
        return matches(action, target, agent, Set.of(), Set.of());
    }

    public boolean matches(String action, Map<String, Object> target, Agent agent, Set<Fact> facts) {
        return matches(action, target, agent, facts, Set.of());
    }

    /** Whether it matches a request with these {@code facts}, in a session with these {@code labels}. */
    public boolean matches(String action, Map<String, Object> target, Agent agent, Set<Fact> facts, Set<String> labels) {
        if (!actions.isEmpty() && !actions.contains(action) && !coversStat(action)) {
            return false;
        }
        if (!when.isEmpty() && !facts.containsAll(when)) {
            return false;
        }
        if (session != SessionTerms.NONE && !session.admit(facts, labels)) {
            return false;
        }
        for (Condition c : conditions) {
            if (!c.test(target, agent, deny)) {
                return false;
            }
        }
        return true;
    }

    /**
     * {@code file/stat} (existence, size, times of a path) is covered by a rule that lists
     * {@code read}, deny or allow: what may not be read may not be probed, and what may be read
     * may be probed. An allow that lets a path be written or created lets it be probed too.
     */
    private boolean coversStat(String action) {
        return action.equals("stat") && family == Family.FILE
                && (actions.contains("read") || !deny && (actions.contains("write") || actions.contains("create")));
    }

    /** {@code limit: 60/minute}: at most {@code count} allows per agent in any {@code periodNanos} window. */
    public record RateLimit(long count, long periodNanos, String text) {
    }
}
