package dev.agt.audit.note;

import java.io.IOException;

/** A key file is missing, malformed, or readable by others. The message says which and what to do. */
public final class KeyFileException extends IOException {
    private static final long serialVersionUID = 1L;

    public KeyFileException(String message) {
        super(message);
    }
}
