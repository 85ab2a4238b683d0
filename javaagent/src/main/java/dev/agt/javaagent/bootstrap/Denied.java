package dev.agt.javaagent.bootstrap;

/**
 * Every denial the agent throws implements this, whatever exception type the call site
 * expects, so code and reports can read why a call was blocked. (Each denial must extend a
 * different JDK exception, so what they share lives in {@link Denial}.)
 */
public interface Denied {
    /** The facts of the denial. */
    Denial denial();

    /** The deciding rule id, or empty for a denial without a policy (engine down, timeout). */
    default String rule() {
        return denial().rule();
    }

    /** The stable reason code: denied, default-deny, rate-limited, audit-unavailable, engine-unreachable, timeout... */
    default String code() {
        return denial().code();
    }

    /** The reason sentence. */
    default String reason() {
        return denial().reason();
    }

    /** The audit log sequence number of the decision, or -1 when it could not be logged. */
    default long auditSeq() {
        return denial().auditSeq();
    }
}
