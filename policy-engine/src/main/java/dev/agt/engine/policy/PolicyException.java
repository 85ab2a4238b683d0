package dev.agt.engine.policy;

import dev.agt.config.ConfigException;
import dev.agt.config.Problem;
import java.util.List;

/** A policy or policy-test file was refused. {@link #problems()} lists every reason, in file order. */
public final class PolicyException extends ConfigException {
    private static final long serialVersionUID = 1L;

    public PolicyException(List<Problem> problems) {
        super(problems);
    }
}
