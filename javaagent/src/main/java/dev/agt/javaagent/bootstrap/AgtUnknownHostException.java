package dev.agt.javaagent.bootstrap;

/** A policy denial, for name lookups, which declare UnknownHostException. */
public final class AgtUnknownHostException extends java.net.UnknownHostException implements Denied {
    private static final long serialVersionUID = 1L;
    private final transient Denial denial;

    public AgtUnknownHostException(String message, String rule, String code, String reason, long auditSeq) {
        super(message);
        this.denial = new Denial(rule, code, reason, auditSeq);
    }

    @Override
    public Denial denial() {
        return denial;
    }
}
