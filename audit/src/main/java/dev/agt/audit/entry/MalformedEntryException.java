package dev.agt.audit.entry;

/**
 * A stored line that is not a log entry at all: not JSON, not a JSON object, or without a
 * string {@code type}. Readers count or show such a line and go on; whether the log holds is
 * the verifier's question ({@code agt audit verify}), not theirs.
 */
public final class MalformedEntryException extends Exception {
    public MalformedEntryException(String message) {
        super(message);
    }
}
