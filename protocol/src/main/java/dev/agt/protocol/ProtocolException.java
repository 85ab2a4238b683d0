package dev.agt.protocol;

import java.io.IOException;

/**
 * A frame broke the wire contract. {@link #code()} is a stable, greppable reason such as
 * {@code frame-too-large}; the message says what was seen.
 */
public final class ProtocolException extends IOException {
    private static final long serialVersionUID = 1L;
    private final String code;
    private final String detail;

    public ProtocolException(String code, String message) {
        super(code + ": " + message);
        this.code = code;
        this.detail = message;
    }

    /** What was seen, without the code: for an ERROR frame's message, which carries the code beside it. */
    public String detail() {
        return detail;
    }

    public String code() {
        return code;
    }
}
