package dev.agt.javaagent.bootstrap;

/**
 * Every denial the agent throws implements this, whatever exception type the call site
 * expects, so code and reports can read why a call was blocked.
 */
public interface Denied {
    /** The deciding rule id, or empty for a denial without a policy (engine down, timeout). */
    String rule();

    /** The stable reason code: denied, default-deny, rate-limited, audit-unavailable, engine-unreachable, timeout... */
    String code();

    /** The reason sentence. */
    String reason();

    /** The audit log sequence number of the decision, or -1 when it could not be logged. */
    long auditSeq();
}
