package dev.agt.javaagent.bootstrap;

/** A policy denial, for connects, sends and listens, which declare IOException; ConnectException is what a refused connection looks like. */
public final class AgtConnectException extends java.net.ConnectException implements Denied {
    private static final long serialVersionUID = 1L;
    private final transient Denial denial;

    public AgtConnectException(String message, String rule, String code, String reason, long auditSeq) {
        super(message);
        this.denial = new Denial(rule, code, reason, auditSeq);
    }

    @Override
    public Denial denial() {
        return denial;
    }
}
