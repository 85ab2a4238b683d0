package dev.agt.javaagent.bootstrap;

/** A policy denial, for name lookups, which declare UnknownHostException. */
public final class AgtUnknownHostException extends java.net.UnknownHostException implements Denied {
    private static final long serialVersionUID = 1L;
    private final String rule;
    private final String code;
    private final String reason;
    private final long auditSeq;

    public AgtUnknownHostException(String message, String rule, String code, String reason, long auditSeq) {
        super(message);
        this.rule = rule;
        this.code = code;
        this.reason = reason;
        this.auditSeq = auditSeq;
    }

    @Override
    public String rule() {
        return rule;
    }

    @Override
    public String code() {
        return code;
    }

    @Override
    public String reason() {
        return reason;
    }

    @Override
    public long auditSeq() {
        return auditSeq;
    }
}
