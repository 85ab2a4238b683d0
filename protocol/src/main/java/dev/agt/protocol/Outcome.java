package dev.agt.protocol;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What the agent finally did with a governed call, when that was not simply what the engine
 * decided: a launch the engine allowed inside a sandbox that could not be set up, a call it
 * could not build a request for, a call let through while the engine was unreachable
 * ({@code failMode=open}) or although the engine denied it (monitor mode). Without these the log
 * would say "allow", or nothing, for calls that went otherwise: the OUTCOME frame carries one to
 * the engine, which logs it as an entry of its own, linked to the decision it follows.
 *
 * @param kind    what the agent did (the closed set {@link Kind})
 * @param code    why, as a reason code from {@link Reasons} (e.g. {@code sandbox-unavailable},
 *                {@code engine-unreachable}, or the denial's code a monitor-mode agent did not enforce)
 * @param reason  a sentence for people (clipped to {@link #MAX_REASON} characters)
 * @param follows the audit sequence number of the engine decision this outcome follows, or
 *                {@link #NONE} when the engine decided nothing for the call
 * @param request the call itself; required when there was no decision ({@code follows} is NONE),
 *                optional otherwise (e.g. the launch as it reached the final gateway, when it changed)
 * @param time    when it happened, epoch milliseconds by the agent's clock (a spooled outcome reaches
 *                the log later)
 */
public record Outcome(Kind kind, String code, String reason, long follows, Optional<Request> request, long time) {

    /** No decision: {@code follows} of an outcome the engine never decided on. */
    public static final long NONE = -1;
    public static final int MAX_REASON = 1024;

    // ERROR codes the engine answers an OUTCOME with. Stable: agents and tests grep for them.
    /** The OUTCOME frame is not the documented shape; nothing was logged but the refusal. */
    public static final String BAD_OUTCOME = "bad-outcome";
    /** {@code follows} names no decision of this agent's (another agent's entry, an event, or none at all). */
    public static final String NOT_OWN_DECISION = "not-own-decision";

    private static final Pattern CODE = Pattern.compile("[a-z][a-z0-9-]{0,63}");

    /** Whether an outcome of a kind names the decision it follows. */
    public enum Follows { ALWAYS, NEVER, OPTIONAL }

    /** The closed set of things an agent does on its own. Wire keys never change. */
    public enum Kind {
        /** Denied by the agent with no engine decision for the call (unbuildable request, refused session, engine unreachable). */
        DENIED_LOCALLY("denied-locally", Decision.Effect.DENY, Follows.NEVER),
        /** The engine allowed, and the agent denied (the sandbox it required could not be set up, the launch changed...). */
        OVERRIDDEN("overridden", Decision.Effect.DENY, Follows.ALWAYS),
        /** Let through with no decision because the engine could not be reached or did not answer ({@code failMode=open}). */
        PASSED_FAIL_OPEN("passed-fail-open", Decision.Effect.ALLOW, Follows.NEVER),
        /** Let through although denied, because the agent (or its interception rule) is in monitor mode. */
        PASSED_MONITOR("passed-monitor", Decision.Effect.ALLOW, Follows.OPTIONAL),
        /** Let through changed from what was decided (e.g. a JVM option removed from a child's environment). */
        MODIFIED("modified", Decision.Effect.ALLOW, Follows.OPTIONAL);

        private final String key;
        private final Decision.Effect effect;
        private final Follows follows;

        Kind(String key, Decision.Effect effect, Follows follows) {
            this.key = key;
            this.effect = effect;
            this.follows = follows;
        }

        public String key() {
            return key;
        }

        /** What finally happened to the call: it went ahead (ALLOW) or it did not (DENY). */
        public Decision.Effect effect() {
            return effect;
        }

        public Follows follows() {
            return follows;
        }

        /** The kind for a wire key, or empty. */
        public static Optional<Kind> of(String key) {
            for (Kind k : values()) {
                if (k.key.equals(key)) {
                    return Optional.of(k);
                }
            }
            return Optional.empty();
        }
    }

    /**
     * @throws IllegalArgumentException when the fields contradict each other: a code that is not
     *                                  a reason code, a kind that needs a decision without one (or
     *                                  the reverse), no request and no decision, a time before 1970
     */
    public Outcome {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(request, "request");
        if (code == null || !CODE.matcher(code).matches()) {
            throw new IllegalArgumentException("code must be a reason code (lower case letters, digits and -), got '" + clip(code) + "'");
        }
        reason = reason == null ? "" : reason.length() <= MAX_REASON ? reason : reason.substring(0, MAX_REASON - 3) + "...";
        if (follows < NONE) {
            throw new IllegalArgumentException("follows must be an audit sequence number or NONE, got " + follows);
        }
        if (kind.follows == Follows.ALWAYS && follows == NONE) {
            throw new IllegalArgumentException(kind.key + " follows a decision: give its audit sequence number");
        }
        if (kind.follows == Follows.NEVER && follows != NONE) {
            throw new IllegalArgumentException(kind.key + " is for calls the engine did not decide: it follows no decision");
        }
        if (follows == NONE && request.isEmpty()) {
            throw new IllegalArgumentException("an outcome that follows no decision must carry its request");
        }
        if (time <= 0) {
            throw new IllegalArgumentException("time must be epoch milliseconds, got " + time);
        }
    }

    /** The agent denied a call the engine never decided (unbuildable request, refused session, engine unreachable with failMode=closed). */
    public static Outcome deniedLocally(String code, String reason, Request request) {
        return new Outcome(Kind.DENIED_LOCALLY, code, reason, NONE, Optional.of(request), System.currentTimeMillis());
    }

    /** The engine allowed the call (entry {@code follows}) and the agent denied it. */
    public static Outcome overridden(long follows, String code, String reason) {
        return new Outcome(Kind.OVERRIDDEN, code, reason, follows, Optional.empty(), System.currentTimeMillis());
    }

    /** As {@link #overridden(long, String, String)}, with the call as it finally reached the agent (when it changed). */
    public static Outcome overridden(long follows, String code, String reason, Request changed) {
        return new Outcome(Kind.OVERRIDDEN, code, reason, follows, Optional.of(changed), System.currentTimeMillis());
    }

    /** The call went ahead undecided: the engine could not be reached or did not answer in time, and failMode=open. */
    public static Outcome passedFailOpen(String code, String reason, Request request) {
        return new Outcome(Kind.PASSED_FAIL_OPEN, code, reason, NONE, Optional.of(request), System.currentTimeMillis());
    }

    /** The engine denied the call (entry {@code follows}, {@code code} its denial code) and monitor mode let it through. */
    public static Outcome passedMonitor(long follows, String code, String reason) {
        return new Outcome(Kind.PASSED_MONITOR, code, reason, follows, Optional.empty(), System.currentTimeMillis());
    }

    /** Monitor mode let a call through that the engine did not decide (unreachable, unbuildable request). */
    public static Outcome passedMonitor(String code, String reason, Request request) {
        return new Outcome(Kind.PASSED_MONITOR, code, reason, NONE, Optional.of(request), System.currentTimeMillis());
    }

    /** The call went ahead changed from what was decided; {@code follows} may be NONE, {@code changed} is the call as it ran. */
    public static Outcome modified(long follows, String code, String reason, Request changed) {
        return new Outcome(Kind.MODIFIED, code, reason, follows, Optional.of(changed), System.currentTimeMillis());
    }

    /** The fields of an OUTCOME body (delivery fields are added by {@link OutcomeDelivery}). */
    public Map<String, Object> toBody() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("outcome", kind.key);
        m.put("code", code);
        m.put("reason", reason);
        m.put("time", time);
        if (follows != NONE) {
            m.put("follows", follows);
        }
        request.ifPresent(r -> m.put("request", r.toBody()));
        return m;
    }

    /**
     * Reads the outcome fields of an OUTCOME body, refusing anything but the documented shape
     * with code {@link #BAD_OUTCOME} (a malformed request inside keeps its own {@code bad-request}).
     * Keys other than the outcome's are the caller's to check.
     */
    static Outcome fromBody(Map<String, Object> body) throws ProtocolException {
        Object k = body.get("outcome");
        if (!(k instanceof String key)) {
            throw bad("outcome must be one of " + keys());
        }
        Kind kind = Kind.of(key).orElseThrow(() -> bad("unknown outcome '" + clip(key) + "'; one of " + keys()));
        Object code = body.get("code");
        if (!(code instanceof String)) {
            throw bad("code must be a string");
        }
        Object reason = body.get("reason");
        if (reason != null && !(reason instanceof String)) {
            throw bad("reason must be a string");
        }
        Object time = body.get("time");
        if (!(time instanceof Long)) {
            throw bad("time must be an integer (epoch milliseconds)");
        }
        Object follows = body.get("follows");
        if (follows != null && !(follows instanceof Long)) {
            throw bad("follows must be an integer (an audit sequence number)");
        }
        Object request = body.get("request");
        Optional<Request> req = Optional.empty();
        if (request != null) {
            if (!(request instanceof Map<?, ?>)) {
                throw new ProtocolException(Reasons.BAD_REQUEST, "request must be a map");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> r = (Map<String, Object>) request;
            req = Optional.of(Request.fromBody(r));
        }
        try {
            return new Outcome(kind, (String) code, (String) reason, follows == null ? NONE : (Long) follows, req, (Long) time);
        } catch (IllegalArgumentException e) {
            throw bad(e.getMessage());
        }
    }

    private static ProtocolException bad(String message) {
        return new ProtocolException(BAD_OUTCOME, message);
    }

    private static String keys() {
        StringBuilder b = new StringBuilder();
        for (Kind k : Kind.values()) {
            b.append(b.length() == 0 ? "" : ", ").append(k.key);
        }
        return b.toString();
    }

    private static String clip(String s) {
        return s == null ? "null" : ValueCodec.clip(s);
    }
}
