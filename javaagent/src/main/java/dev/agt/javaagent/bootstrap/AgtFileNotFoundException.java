package dev.agt.javaagent.bootstrap;

/** A policy denial, for java.io opens, which declare FileNotFoundException. */
public final class AgtFileNotFoundException extends java.io.FileNotFoundException implements Denied {
    private static final long serialVersionUID = 1L;
    private final transient Denial denial;

    public AgtFileNotFoundException(String message, String rule, String code, String reason, long auditSeq) {
        super(message);
        this.denial = new Denial(rule, code, reason, auditSeq);
    }

    @Override
    public Denial denial() {
        return denial;
    }
}
