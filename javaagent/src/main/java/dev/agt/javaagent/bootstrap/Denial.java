package dev.agt.javaagent.bootstrap;

/** Why a call was blocked. A plain final class (not a record): bootstrap code avoids invokedynamic. */
public final class Denial {
    private final String rule;
    private final String code;
    private final String reason;
    private final long auditSeq;

    public Denial(String rule, String code, String reason, long auditSeq) {
        this.rule = rule;
        this.code = code;
        this.reason = reason;
        this.auditSeq = auditSeq;
    }

    public String rule() {
        return rule;
    }

    public String code() {
        return code;
    }

    public String reason() {
        return reason;
    }

    public long auditSeq() {
        return auditSeq;
    }
}
