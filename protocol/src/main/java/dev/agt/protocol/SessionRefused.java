package dev.agt.protocol;

import java.io.IOException;

/**
 * The engine refused the session: a bad HELLO, {@code auth: required} without an identity, or an
 * identity or handshake that did not verify. {@link #code()} is the engine's reason code
 * ({@code auth-required}, {@code unknown-agent}, {@code forged-signature}, ...); the message is
 * the engine's sentence, for the agent's start-up message.
 */
public final class SessionRefused extends IOException {
    private static final long serialVersionUID = 1L;
    private final String code;

    public SessionRefused(String code, String message) {
        super("engine refused the session: " + code + ": " + message);
        this.code = code;
    }

    public String code() {
        return code;
    }
}
