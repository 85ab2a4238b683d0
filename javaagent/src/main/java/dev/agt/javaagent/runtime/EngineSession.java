package dev.agt.javaagent.runtime;

import dev.agt.javaagent.flight.Flight;
import dev.agt.identity.AgentKey;
import dev.agt.protocol.Authenticator;
import dev.agt.protocol.Decision;
import dev.agt.protocol.EngineAddress;
import dev.agt.protocol.EngineClient;
import dev.agt.protocol.OutcomeSpool;
import dev.agt.protocol.Reasons;
import dev.agt.protocol.Request;
import dev.agt.protocol.SessionRefused;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * This agent's session with the engine: connecting (with its identity, when it has one),
 * asking, and reconnecting. Fail closed: no engine, a broken connection, a timeout or a bad
 * reply is a denial with its reason code. A broken connection is re-established at most once a
 * second, and an engine that refused the session is never reported as merely unreachable.
 */
final class EngineSession {
    private static final long RECONNECT_NANOS = 1_000_000_000L;

    private final Settings settings;
    private final OutcomeSpool outcomes;
    private volatile EngineClient client;
    private volatile String lastError = "not connected yet";
    private volatile long lastAttempt;
    private volatile boolean closed;
    /** The session-label lineage the engine gave this agent (or its parent), once connected; passed on to child JVMs. */
    private volatile String lineage;

    /** This agent's key (identity=), or null for a declared name only. */
    private volatile AgentKey identity;
    /** The engine's refusal of the session, while it refuses it. */
    private volatile SessionRefused refused;

    EngineSession(Settings settings, OutcomeSpool outcomes) {
        this.settings = settings;
        this.outcomes = outcomes;
    }

    void identity(AgentKey key) {
        this.identity = key;
    }

    /** This agent's key, or null when it declares a name only. */
    AgentKey identity() {
        return identity;
    }

    /** The reason code with which the engine refused the session, while it does. */
    Optional<String> refusal() {
        SessionRefused r = refused;
        return r == null ? Optional.empty() : Optional.of(r.code());
    }

    /** The lineage to hand to child JVMs: the engine's answer, or the one this agent was started with; null before either. */
    String lineage() {
        String l = lineage;
        return l != null ? l : settings.options().lineage();
    }

    /** The connection whose engine takes trace contexts (HELLO_OK {@code accepts: [trace]}), or null. */
    private volatile EngineClient tracing;

    /** Connects; returns null on success or the reason it failed. */
    String connect() {
        lastAttempt = System.nanoTime();
        Options o = settings.options();
        try {
            Map<String, Object> attrs = new LinkedHashMap<>();
            attrs.put("mode", o.monitor() ? "monitor" : "enforce");
            attrs.put("java", System.getProperty("java.version"));
            String joined = lineage != null ? lineage : o.lineage();
            if (joined != null) {
                attrs.put("lineage", joined); // the parent's (a child JVM), or ours again after a reconnect
            }
            EngineAddress address = EngineAddress.parse(o.engine());
            long timeout = Math.max(o.timeoutMs(), 2000);
            AgentKey k = identity;
            client = k == null ? EngineClient.connect(address, o.name(), attrs, timeout)
                    : EngineClient.connect(address, o.name(), attrs, timeout, Authenticator.of(k.did(), k.chain(), k::sign));
            refused = null;
            Map<String, Object> hello = client.session();
            if (hello.get("lineage") instanceof String l) {
                lineage = l;
            }
            tracing = hello.get("accepts") instanceof java.util.List<?> accepts && accepts.contains("trace") ? client : null;
            settings.frames().newSession();
            outcomes.connected(client); // what was held while the engine could not be reached goes now
            return null;
        } catch (SessionRefused e) {
            // the engine answered, and said no: never excused as "unreachable" (failMode=open does not apply)
            refused = e;
            lastError = e.getMessage();
            return lastError;
        } catch (IOException | RuntimeException e) {
            lastError = e.getMessage() == null ? e.toString() : e.getMessage();
            return lastError;
        }
    }

    /** The engine's decision, or a failure denial with its code; never throws. */
    Decision decide(Request request) {
        Options o = settings.options();
        EngineClient c = client;
        if (c != null && c.isBroken()) {
            lastError = "connection lost: " + c.brokenReason();
        }
        if (c == null || c.isBroken()) {
            if (!closed && System.nanoTime() - lastAttempt > RECONNECT_NANOS) {
                if (connect() == null) {
                    c = client;
                }
            }
            if (c == null || c.isBroken()) {
                SessionRefused r = refused;
                if (r != null) {
                    return Decision.failure(Reasons.REFUSED, r.getMessage());
                }
                return Decision.failure(Reasons.ENGINE_UNREACHABLE, "the engine at " + o.engine() + " is unreachable: " + lastError);
            }
        }
        Request sent = forEngine(request, c);
        Object trip = Flight.roundTripStart();
        Decision d = c.decide(sent, o.timeoutMs());
        Flight.roundTrip(trip, sent, d);
        if (Reasons.ENGINE_UNREACHABLE.equals(d.code()) && c.isBroken() && !closed && client == c
                && System.nanoTime() - lastAttempt > RECONNECT_NANOS) {
            // Nobody reads the connection between calls (see EngineClient), so an engine that
            // restarted since the last call is noticed by this one: ask on a new connection
            // (at most once a second, as above) instead of denying a call the engine never saw.
            lastError = "connection lost: " + c.brokenReason();
            if (connect() == null) {
                trip = Flight.roundTripStart();
                d = client.decide(forEngine(request, client), o.timeoutMs());
                Flight.roundTrip(trip, request, d);
            }
        }
        return d;
    }

    /** The request as {@code c}'s engine takes it: without the trace context when it said nothing of taking one (an older engine refuses the field). */
    private Request forEngine(Request request, EngineClient c) {
        return request.trace().isEmpty() || c == tracing ? request : request.withoutTrace();
    }

    /** No more connections; closes the current one (the last thing before the JVM exits). */
    void close() {
        closed = true;
        EngineClient c = client;
        if (c != null) {
            c.close();
        }
    }
}
