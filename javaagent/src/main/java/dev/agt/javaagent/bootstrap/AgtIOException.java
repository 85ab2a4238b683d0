package dev.agt.javaagent.bootstrap;

/** A policy denial, for process launches, which declare IOException. */
public final class AgtIOException extends java.io.IOException implements Denied {
    private static final long serialVersionUID = 1L;
    private final transient Denial denial;

    public AgtIOException(String message, String rule, String code, String reason, long auditSeq) {
        super(message);
        this.denial = new Denial(rule, code, reason, auditSeq);
    }

    @Override
    public Denial denial() {
        return denial;
    }
}
