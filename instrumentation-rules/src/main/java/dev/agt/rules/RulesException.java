package dev.agt.rules;

import dev.agt.config.ConfigException;
import dev.agt.config.Problem;
import java.util.List;

/** An interception-rules file was refused. {@link #problems()} lists every reason, in file order. */
public final class RulesException extends ConfigException {
    private static final long serialVersionUID = 1L;

    public RulesException(List<Problem> problems) {
        super(problems);
    }
}
