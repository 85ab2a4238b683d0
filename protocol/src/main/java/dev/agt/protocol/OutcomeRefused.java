package dev.agt.protocol;

import java.io.IOException;

/**
 * The engine did not log an OUTCOME as an outcome: {@link #code()} says why. {@code
 * audit-unavailable} is {@link #retryable()} (the engine's log could not be written: keep the
 * outcome and deliver it again); {@link Outcome#NOT_OWN_DECISION} and {@link Outcome#BAD_OUTCOME}
 * are final (the engine logged the refusal, and the same frame would be refused again).
 */
public final class OutcomeRefused extends IOException {
    private static final long serialVersionUID = 1L;
    private final String code;

    public OutcomeRefused(String code, String message) {
        super(code + ": " + message);
        this.code = code;
    }

    public String code() {
        return code;
    }

    /** Whether delivering the same outcome again may succeed. */
    public boolean retryable() {
        return Reasons.AUDIT_UNAVAILABLE.equals(code);
    }
}
