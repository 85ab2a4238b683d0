package dev.agt.javaagent.runtime;

/**
 * What the runtime's parts read on every call and may change once at start-up (the options a
 * key file completes). An interface the runtime implements rather than method references: each
 * lambda spins a class at start-up, in every governed JVM.
 */
interface Settings {
    Options options();

    CallingFrames frames();

    /** The application's current span as a W3C traceparent, or "" (see {@link TraceContexts}). */
    default String trace() {
        return "";
    }
}
