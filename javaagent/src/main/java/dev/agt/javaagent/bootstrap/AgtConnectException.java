package dev.agt.javaagent.bootstrap;

/** A policy denial, for connects, which declare IOException; ConnectException is what a refused connection looks like. */
public final class AgtConnectException extends java.net.ConnectException implements Denied {
    private static final long serialVersionUID = 1L;
    private final String rule;
    private final String code;
    private final String reason;
    private final long auditSeq;

    public AgtConnectException(String message, String rule, String code, String reason, long auditSeq) {
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
