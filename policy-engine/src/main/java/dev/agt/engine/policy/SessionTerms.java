package dev.agt.engine.policy;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a rule says about the session it decides in: the session labels it needs
 * ({@code when: [session.secret]}), the labels and facts it must not find
 * ({@code unless: [session.untrusted, mcp.tool.flagged]}), and the labels it sets when it decides
 * a call ({@code labels: [secret, {label: untrusted, for: 30m}]}).
 *
 * <p>Labels belong to the engine, never to the agent: they are set only by rules deciding the
 * session's own calls (or an operator clearing one), so a request cannot claim or shed a label.
 */
public record SessionTerms(Set<String> when, Set<String> unless, Set<Fact> unlessFacts, List<LabelSet> sets) {
    public static final SessionTerms NONE = new SessionTerms(Set.of(), Set.of(), Set.of(), List.of());

    /** A label name: lower case, digits, '-' and '_', at most 64. */
    public static final Pattern LABEL = Pattern.compile("[a-z][a-z0-9_-]{0,63}");
    /** The prefix that names a session label in {@code when:} and {@code unless:}. */
    public static final String PREFIX = "session.";

    public SessionTerms {
        when = Set.copyOf(when);
        unless = Set.copyOf(unless);
        unlessFacts = Set.copyOf(unlessFacts);
        sets = List.copyOf(sets);
    }

    /** A label a rule sets, for {@code ttl} or until cleared. */
    public record LabelSet(String label, Optional<Duration> ttl) {
    }

    /** A label a decision sets, and the rule that sets it. */
    public record Setting(String rule, LabelSet label) {
    }

    /** Whether the rule's session terms hold for a session with {@code labels} and a request with {@code facts}. */
    public boolean admit(Set<Fact> facts, Set<String> labels) {
        if (!labels.containsAll(when)) {
            return false;
        }
        for (String l : unless) {
            if (labels.contains(l)) {
                return false;
            }
        }
        for (Fact f : unlessFacts) {
            if (facts.contains(f)) {
                return false;
            }
        }
        return true;
    }

    /** Whether the rule reads the session's labels (its match depends on them). */
    public boolean readsLabels() {
        return !when.isEmpty() || !unless.isEmpty();
    }
}
