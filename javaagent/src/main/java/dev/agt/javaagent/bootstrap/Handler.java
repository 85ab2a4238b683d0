package dev.agt.javaagent.bootstrap;

/**
 * What the dispatcher asks; implemented by the agent runtime (in the application class loader).
 * Plain types only, so that nothing else needs to live in the bootstrap loader.
 */
public interface Handler {
    /**
     * Decides one governed call.
     *
     * @param fields alternating names and values of the request's target fields
     * @return null to allow; otherwise {rule, code, reason, auditSeq, target description}
     */
    String[] check(String family, String action, Object[] fields);

    /**
     * Decides a ProcessBuilder's launch before it starts: may prepare the child (a child JVM gets
     * the agent) and rewrite the command to run inside a sandbox the policy names.
     *
     * @return null to go on; otherwise the denial, as {@link #check}
     */
    String[] launch(ProcessBuilder builder);

    /**
     * Decides a call selected by an interception rule, before the method runs.
     *
     * @return null to allow; otherwise {rule, code, reason, auditSeq, target description}
     */
    String[] intercept(int rule, Object self, Object[] args);

    /**
     * Decides a call selected by an interception rule on its result: returns the result to hand
     * to the caller (for a reactive or future result, one that decides when the value arrives),
     * or throws the denial. {@code args} are the call's arguments as they were on entry, for a
     * rule whose target reads them (otherwise null).
     */
    Object result(int rule, Object self, Object[] args, Object result);

    /** The resolver answered {@code addresses} for {@code host} in this JVM (no decision: a fact for later connects). */
    void resolved(String host, java.net.InetAddress[] addresses);

    /** A call the agent refused on its own, with no decision to ask for (its own integrity): reported to the log. */
    void refused(String family, String action, String code, String reason, String what);
}
