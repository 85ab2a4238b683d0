package dev.agt.identity;

/**
 * An identity, key file, registry or delegation chain was refused. {@link #code()} is a stable,
 * greppable reason (the engine sends it to the agent and writes it to the log); the message says
 * what was seen and, where a person can act, what to do.
 */
public final class IdentityException extends Exception {
    private static final long serialVersionUID = 1L;

    /** A did:key that does not decode to a usable Ed25519 key. */
    public static final String BAD_DID = "bad-did";
    /** A key file that cannot be used: mode, syntax, a seed that does not match its did. */
    public static final String KEY_FILE = "key-file";
    /** An agent registry file that cannot be used. */
    public static final String REGISTRY = "registry";
    /** A token that does not parse, or is not in canonical form. */
    public static final String MALFORMED_TOKEN = "malformed-token";
    /** A token whose signature is not the parent's. */
    public static final String FORGED_SIGNATURE = "forged-signature";
    /** The chain starts at a DID the registry does not hold. */
    public static final String UNKNOWN_ROOT = "unknown-root";
    /** A DID without a chain that the registry does not hold. */
    public static final String UNKNOWN_AGENT = "unknown-agent";
    /** A DID in the chain (or the agent itself) is revoked in the registry. */
    public static final String REVOKED = "revoked";
    /** A token's {@code exp} has passed. */
    public static final String EXPIRED = "expired";
    /** A token's {@code iat} lies in the future by more than the allowed clock skew. */
    public static final String NOT_YET_VALID = "not-yet-valid";
    /** A token deeper than {@link DelegationToken#MAX_DEPTH}. */
    public static final String DEPTH_EXCEEDED = "depth-exceeded";
    /** A token whose {@code depth} is not its position in the chain. */
    public static final String BAD_DEPTH = "bad-depth";
    /** A token grants something its parent's scope does not. */
    public static final String SCOPE_WIDENED = "scope-widened";
    /** A token's parent is not the previous token's child. */
    public static final String BROKEN_CHAIN = "broken-chain";
    /** The chain's last child is not the agent that presents it. */
    public static final String WRONG_CHILD = "wrong-child";

    private final String code;
    private final int link;

    public IdentityException(String code, String message) {
        this(code, message, -1);
    }

    /**
     * @param link the 0-based index of the chain link the problem is in, or -1 when it is not about
     *             one link
     */
    public IdentityException(String code, String message, int link) {
        super(message);
        this.code = code;
        this.link = link;
    }

    public String code() {
        return code;
    }

    /** The 0-based index of the offending chain link, or -1. */
    public int link() {
        return link;
    }
}
