package dev.agt.cli.suggest;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * One allow rule before it is written: the family, the actions and conditions it will match,
 * the agents it is for and the observations it was learned from (for its comment, its counts
 * and the policy tests).
 */
final class Draft {
    final String family;
    /** A short word for the id and the comment: read, write, connect, exec... */
    final String kind;
    final TreeSet<String> actions;
    /** Condition key to its values, in writing order: strings, or Longs for ports; argv keeps its order. */
    final Map<String, List<?>> conditions = new LinkedHashMap<>();
    final TreeSet<String> agents = new TreeSet<>();
    final List<Observed> from = new ArrayList<>();
    /** Extra comment lines for the reviewer. */
    final List<String> notes = new ArrayList<>();
    final String what;
    String id;

    /** @param what what the rule lets the agents do, for its description ("read files", "connect to") */
    Draft(String family, String kind, TreeSet<String> actions, String what) {
        this.family = family;
        this.kind = kind;
        this.actions = actions;
        this.what = what;
    }

    Draft when(String key, List<?> values) {
        conditions.put(key, List.copyOf(values));
        return this;
    }

    /** Two drafts with the same body and different agents become one rule for both (notes are merged). */
    String body() {
        return family + '|' + kind + '|' + actions + '|' + Yaml.json(conditions);
    }

    long calls() {
        return from.stream().mapToLong(Observed::observed).sum();
    }

    long monitorDenied() {
        return from.stream().mapToLong(o -> o.monitorDenied).sum();
    }
}
