package dev.agt.engine.session;

import java.util.Locale;

/** How the engine establishes who an agent is (the {@code --auth} option). */
public enum AuthMode {
    /**
     * The default on one host: an agent may declare a name (recorded with the peer's user from the
     * Unix socket's credentials), or prove a DID; one that names a DID must prove it.
     */
    LOCAL,
    /** Every agent session must prove a registered DID (or a chain to one) by the Ed25519 handshake. */
    REQUIRED;

    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static AuthMode parse(String text) {
        for (AuthMode m : values()) {
            if (m.key().equals(text)) {
                return m;
            }
        }
        throw new IllegalArgumentException("auth must be 'local' or 'required', got '" + text + "'");
    }
}
