package dev.agt.protocol;

/** The closed set of frame types. Codes are part of the wire contract: never renumber. */
public enum FrameType {
    /** agent to engine, first frame: who is asking (declared name, pid, protocol version). */
    HELLO(1),
    /** engine to agent: session accepted; carries engine id and policy version. */
    HELLO_OK(2),
    /** agent to engine: one request to decide. */
    DECIDE(3),
    /** engine to agent: the decision for the DECIDE frame with the same id. */
    DECISION(4),
    /** admin to engine: report status. */
    STATUS(5),
    STATUS_REPLY(6),
    /** admin to engine: reload the policy from disk now. */
    RELOAD(7),
    RELOAD_REPLY(8),
    /** engine to peer: the frame with this id was refused; the connection closes after it when fatal. */
    ERROR(9),
    /**
     * engine to agent, the reply to a HELLO that carries a {@code did}: a fresh nonce to sign
     * (see {@link Handshake}).
     */
    CHALLENGE(10),
    /** agent to engine: the signed answer to a CHALLENGE; the engine replies HELLO_OK or ERROR. */
    AUTH(11),
    /** admin to engine: stop an agent (and its delegates), or all agents, from the next decision on. */
    KILL(12),
    KILL_REPLY(13),
    /** admin to engine: lift a kill. */
    REVIVE(14),
    REVIVE_REPLY(15),
    /**
     * agent to engine: what the agent finally did with a call when that was not simply what the
     * engine decided, or when the engine decided nothing (see {@link Outcome}); the engine logs it
     * and replies OUTCOME_ACK or ERROR.
     */
    OUTCOME(16),
    /** engine to agent: the OUTCOME with this id is in the audit log, as entry {@code seq}. */
    OUTCOME_ACK(17),
    /** admin to engine: remove a session label from a lineage ({@code agt session clear-label}); logged. */
    CLEAR_LABEL(18),
    CLEAR_LABEL_REPLY(19),
    /**
     * engine to agent, an interim reply to a DECIDE (same id): the call is held for a person's
     * approval {@code {approval: ID, until: epoch ms}}; the DECISION follows, by then at the latest.
     */
    HELD(20),
    /** admin to engine: list pending approvals {@code {}}, or decide one {@code {id, approve: bool, reason}}. */
    APPROVALS(21),
    APPROVALS_REPLY(22);

    private final int code;

    FrameType(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    private static final FrameType[] BY_CODE = new FrameType[32];

    static {
        for (FrameType t : values()) {
            BY_CODE[t.code] = t;
        }
    }

    /** The type for a wire code, or null when the code is unknown. */
    public static FrameType ofCode(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
