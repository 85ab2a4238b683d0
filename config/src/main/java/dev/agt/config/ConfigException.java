package dev.agt.config;

import java.util.List;
import java.util.stream.Collectors;

/** A file was refused; {@link #problems()} lists every reason, in file order. */
public class ConfigException extends Exception {
    private static final long serialVersionUID = 1L;
    private final transient List<Problem> problems;

    public ConfigException(List<Problem> problems) {
        super(problems.stream().sorted().map(Problem::toString).collect(Collectors.joining("\n")));
        this.problems = problems.stream().sorted().toList();
    }

    public List<Problem> problems() {
        return problems;
    }
}
