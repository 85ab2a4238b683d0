package dev.agt.rules;

import dev.agt.config.Problem;
import java.util.List;
import java.util.stream.Collectors;

/** A rules file was refused; {@link #problems()} lists every reason, in file order. */
public final class RulesException extends Exception {
    private static final long serialVersionUID = 1L;
    private final transient List<Problem> problems;

    public RulesException(List<Problem> problems) {
        super(problems.stream().sorted().map(Problem::toString).collect(Collectors.joining("\n")));
        this.problems = problems.stream().sorted().toList();
    }

    public List<Problem> problems() {
        return problems;
    }
}
