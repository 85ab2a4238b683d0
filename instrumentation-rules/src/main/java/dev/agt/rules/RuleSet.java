package dev.agt.rules;

import java.util.List;

/** The rules of one file (or of the built-in set), in file order. */
public record RuleSet(String source, List<InterceptRule> rules) {

    public RuleSet {
        rules = List.copyOf(rules);
    }
}
