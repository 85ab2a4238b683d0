package dev.agt.protocol;

/**
 * Stable reason codes: of decisions, of the agent's own outcomes, and of the ERROR frames that
 * refuse a frame or a session. Reports and tests grep for these; never rename one. The identity
 * handshake's codes are in {@link Handshake}, those of a delegation chain in the identity module.
 */
public final class Reasons {
    /** A rule allowed the request. */
    public static final String ALLOWED = "allowed";
    /** A deny rule matched. */
    public static final String DENIED = "denied";
    /** No rule allowed the request. */
    public static final String DEFAULT_DENY = "default-deny";
    /** The only allowing rules are over their rate limit. */
    public static final String RATE_LIMITED = "rate-limited";
    /**
     * A budget of the policy's would be passed: a model call whose estimate does not fit under a
     * hard limit, a model without a price under a budget, or any call of an agent over a budget
     * that covers all its calls.
     */
    public static final String BUDGET_EXCEEDED = "budget-exceeded";
    /**
     * Allowed only because of monitor mode in the policy: the rule named would have denied
     * (or {@code default-deny} / a rate limit would have). The log records the denial.
     */
    public static final String MONITORED = "monitored";
    /** A rule with {@code effect: ask} matched and no person approved the call: it was not held (a policy test, an old agent). */
    public static final String APPROVAL_REQUIRED = "approval-required";
    /** The call was held for approval and no one decided before the rule's timeout. */
    public static final String APPROVAL_TIMEOUT = "approval-timeout";
    /** The call was held for approval and a person denied it (or the engine stopped while it was held). */
    public static final String APPROVAL_DENIED = "approval-denied";
    /** The call was held for approval and a person approved exactly this call (or one identical to it, remembered). */
    public static final String APPROVED = "approved";
    /** The decision could not be written to the audit log, so it was not granted. */
    public static final String AUDIT_UNAVAILABLE = "audit-unavailable";
    /** The engine's own state (MCP tool pins) could not be read or written, so the request was not granted. */
    public static final String STATE_UNAVAILABLE = "state-unavailable";
    /** Evaluating the policy failed unexpectedly. */
    public static final String EVALUATION_ERROR = "evaluation-error";
    /**
     * The request lacks a target field its family and action require ({@link Vocabulary}), so
     * no rule could be trusted to see it. Not a policy decision: never monitored by the engine.
     */
    public static final String INCOMPLETE_REQUEST = "incomplete-request";
    /** The engine is shutting down and takes no new requests. */
    public static final String SHUTTING_DOWN = "shutting-down";
    /**
     * The agent, one it delegates for, or every agent was stopped with {@code agt kill}. Not a
     * policy decision: never monitored by the engine, and an agent in monitor mode should enforce
     * it all the same.
     */
    public static final String KILLED = "killed";
    /** The policy allowed the request for the root, but a delegation link's scope does not cover it. */
    public static final String OUT_OF_SCOPE = "out-of-scope";
    /** The session's identity, or one in its delegation chain, was revoked after the session began. */
    public static final String REVOKED = "revoked";
    /** The session's registered identity is no longer in the agent registry. */
    public static final String UNKNOWN_AGENT = "unknown-agent";
    /** A link of the session's delegation chain expired after the session began. */
    public static final String EXPIRED = "expired";
    /** The engine could not be reached (client side). */
    public static final String ENGINE_UNREACHABLE = "engine-unreachable";
    /** The engine did not answer in time (client side). */
    public static final String TIMEOUT = "timeout";
    /** The engine refused the request as malformed and closed the connection (client side). */
    public static final String REFUSED = "refused";
    /** The engine's reply could not be understood (client side). */
    public static final String BAD_REPLY = "bad-reply";

    // Why the agent acted on its own (codes of OUTCOME frames, see Outcome). The agent's own
    // choice, after or without an engine decision; the log records each as an outcome entry.

    /** The policy allowed a launch only inside a sandbox, and the agent could not set the sandbox up. */
    public static final String SANDBOX_UNAVAILABLE = "sandbox-unavailable";
    /** The policy allowed a launch only inside a sandbox, and the launch did not come through the route that wraps it. */
    public static final String SANDBOX_REQUIRED = "sandbox-required";
    /** What reached the final launch gateway differs from the launch the engine decided. */
    public static final String LAUNCH_CHANGED = "launch-changed";
    /** A JVM option in a child's environment that the agent removed (or refused the launch for). */
    public static final String UNSAFE_JVM_OPTION = "unsafe-jvm-option";
    /** The agent could not build a request for the call (an interception rule's target could not be read). */
    public static final String UNBUILDABLE_REQUEST = "unbuildable-request";

    // Why the engine refused a frame (ERROR frames). A refused DECIDE or HELLO ends the connection.

    /** A DECIDE (or the request inside an OUTCOME) that is not the documented shape, or an ill-typed target field. */
    public static final String BAD_REQUEST = "bad-request";
    /** A HELLO that is not the documented shape ({@link Hello}). */
    public static final String BAD_HELLO = "bad-hello";
    /** A frame or HELLO of a protocol version this side does not speak. */
    public static final String UNSUPPORTED_VERSION = "unsupported-version";
    /** A second HELLO on one connection. */
    public static final String HELLO_TWICE = "hello-twice";
    /** A frame before the HELLO. */
    public static final String HELLO_REQUIRED = "hello-required";
    /** An admin frame ({@link AdminRequest}) from anyone but the engine's own user over its Unix socket; the session goes on. */
    public static final String NOT_PERMITTED = "not-permitted";
    /** A DECIDE or OUTCOME on an admin session. */
    public static final String ADMIN_SESSION = "admin-session";
    /** A frame type the engine never takes from a peer. */
    public static final String UNEXPECTED_FRAME = "unexpected-frame";

    // Why a frame could not be read at all (the codec): the connection ends after an ERROR with one of these.

    /** A frame whose length prefix is outside the limits; the connection ends. */
    public static final String BAD_LENGTH = "bad-length";
    /** A frame body that is not a map. */
    public static final String BAD_BODY = "bad-body";
    /** A frame type code this side does not know. */
    public static final String UNKNOWN_TYPE = "unknown-type";
    /** A value that ends before its declared length. */
    public static final String TRUNCATED = "truncated";
    /** Bytes after a frame's body. */
    public static final String TRAILING_BYTES = "trailing-bytes";
    /** An unknown value tag in a body. */
    public static final String BAD_TAG = "bad-tag";
    /** A list or map count larger than what is left of the frame. */
    public static final String BAD_COUNT = "bad-count";
    /** Nesting deeper than the limit. */
    public static final String TOO_DEEP = "too-deep";
    /** More fields in one frame than the limit. */
    public static final String TOO_MANY_FIELDS = "too-many-fields";
    /** A string longer than the limit. */
    public static final String STRING_TOO_LONG = "string-too-long";
    /** A key twice in one map. */
    public static final String DUPLICATE_KEY = "duplicate-key";
    /** NaN or an infinity in a body. */
    public static final String NON_FINITE_NUMBER = "non-finite-number";
    /** A DECISION body that is not the documented shape (the agent denies: bad-reply). */
    public static final String BAD_DECISION = "bad-decision";

    private Reasons() {
    }
}
