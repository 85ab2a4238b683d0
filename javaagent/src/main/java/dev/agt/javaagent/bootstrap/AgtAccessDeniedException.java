package dev.agt.javaagent.bootstrap;

/** A policy denial, for NIO file operations, which declare IOException and use AccessDeniedException for refusals. */
public final class AgtAccessDeniedException extends java.nio.file.AccessDeniedException implements Denied {
    private static final long serialVersionUID = 1L;
    private final transient Denial denial;

    public AgtAccessDeniedException(String message, String rule, String code, String reason, long auditSeq) {
        super(null, null, message);
        this.denial = new Denial(rule, code, reason, auditSeq);
    }

    @Override
    public Denial denial() {
        return denial;
    }
}
