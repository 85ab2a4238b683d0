package dev.agt.audit.merkle;

/** A Merkle proof, hash or size claim failed verification; the message says which check failed. */
public final class ProofException extends Exception {
    private static final long serialVersionUID = 1L;

    public ProofException(String message) {
        super(message);
    }
}
