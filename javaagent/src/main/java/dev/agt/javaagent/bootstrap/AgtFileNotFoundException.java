package dev.agt.javaagent.bootstrap;

/** A policy denial, for java.io opens, which declare FileNotFoundException. */
public final class AgtFileNotFoundException extends java.io.FileNotFoundException implements Denied {
    private static final long serialVersionUID = 1L;
    private final String rule;
    private final String code;
    private final String reason;
    private final long auditSeq;

    public AgtFileNotFoundException(String message, String rule, String code, String reason, long auditSeq) {
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
