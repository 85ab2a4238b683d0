package dev.agt.protocol;

import java.io.IOException;

/**
 * A frame broke the wire contract. {@link #code()} is a stable, greppable reason such as
 * {@code frame-too-large}; the message says what was seen.
 */
public final class ProtocolException extends IOException {
    private static final long serialVersionUID = 1L;
    private final String code;

    public ProtocolException(String code, String message) {
        super(code + ": " + message);
        this.code = code;
    }

    public String code() {
        return code;
    }
}
