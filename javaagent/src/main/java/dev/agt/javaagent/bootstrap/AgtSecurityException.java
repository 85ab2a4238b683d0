package dev.agt.javaagent.bootstrap;

/** A policy denial, for calls that declare nothing (java.io.File operations, native library loading). */
public final class AgtSecurityException extends java.lang.SecurityException implements Denied {
    private static final long serialVersionUID = 1L;
    private final transient Denial denial;

    public AgtSecurityException(String message, String rule, String code, String reason, long auditSeq) {
        super(message);
        this.denial = new Denial(rule, code, reason, auditSeq);
    }

    @Override
    public Denial denial() {
        return denial;
    }
}
