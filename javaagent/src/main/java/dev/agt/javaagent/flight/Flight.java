package dev.agt.javaagent.flight;

import dev.agt.protocol.Decision;
import dev.agt.protocol.Request;
import java.util.function.Function;

/**
 * Governance in JDK Flight Recorder: each decision ({@code dev.agt.Decision}), each blocked
 * call with the stack that made it ({@code dev.agt.Denial}) and each engine round trip
 * ({@code dev.agt.EngineRoundTrip}), beside the application's own events. Nothing is recorded
 * unless a recording that enables them runs ({@code -XX:StartFlightRecording}, {@code jcmd
 * JFR.start}, JMC); until then each costs a check of a flag JFR keeps per event type.
 *
 * <p>This class never names a {@code jdk.jfr} type: a runtime image built without the
 * {@code jdk.jfr} module (jlink) loads it, finds the module absent and does nothing. The event
 * classes ({@link Events}) are loaded only when the module is there.
 */
public final class Flight {
    private static final boolean PRESENT = ModuleLayer.boot().findModule("jdk.jfr").isPresent();

    private Flight() {
    }

    /** How the agent finally treated the engine's answer. */
    public enum Verdict {
        /** the engine allowed it */
        ALLOWED("allowed"),
        /** the call was blocked */
        DENIED("denied"),
        /** denied, and let through because the agent or its interception rule is in monitor mode */
        PASSED_MONITOR("passed-monitor"),
        /** the engine could not be reached, and failMode=open let it through */
        PASSED_FAIL_OPEN("passed-fail-open");

        public final String key;

        Verdict(String key) {
            this.key = key;
        }
    }

    /** A round trip's start, or null when no recording wants it. Pass it to {@link #roundTrip}. */
    public static Object roundTripStart() {
        return PRESENT ? Events.roundTripStart() : null;
    }

    /** Ends and records a round trip begun by {@link #roundTripStart} (null: nothing). */
    public static void roundTrip(Object started, Request request, Decision d) {
        if (started != null) {
            Events.roundTrip(started, request, d);
        }
    }

    /** Records the decision on one call and, when the call was blocked, the denial. */
    public static void decision(Request request, Decision d, Verdict verdict, Function<Request, String> what) {
        if (PRESENT) {
            Events.decision(request, d, verdict, what);
        }
    }
}
