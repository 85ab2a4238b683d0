package dev.agt.sandbox;

import dev.agt.config.ConfigException;
import dev.agt.config.Problem;
import java.util.List;

/** A sandbox profile was refused. {@link #problems()} lists every reason, in file order. */
public final class ProfileException extends ConfigException {
    private static final long serialVersionUID = 1L;

    public ProfileException(List<Problem> problems) {
        super(problems);
    }
}
