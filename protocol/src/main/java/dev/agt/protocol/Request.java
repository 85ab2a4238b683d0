package dev.agt.protocol;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One governed call to decide: its family and action, the canonical target fields
 * (see ARCHITECTURE.md's request vocabulary), the calling thread's name and the top application
 * stack frames. Who asks is not part of the request: the engine takes it from the session.
 *
 * <p>{@code atReturn} ({@code "at": "return"} on the wire and in the log) marks a request built
 * from what a call returned (an MCP tool list to scan and pin): it is decided after the call
 * reached its server, and a denial withholds the result. Every other request is decided
 * before its call runs.
 *
 * <p>{@code trace} is the application's current span as a W3C traceparent
 * ({@code 00-TRACEID-SPANID-FLAGS}), when the application traces with OpenTelemetry; empty
 * otherwise. The log keeps it, so that exported decisions link to the caller's span.
 */
public record Request(String family, String action, Map<String, Object> target, String thread, List<String> frames, boolean monitor,
                      boolean atReturn, String trace) {
    private static final java.util.regex.Pattern TRACEPARENT = java.util.regex.Pattern.compile("00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}");

    public Request {
        Objects.requireNonNull(family, "family");
        Objects.requireNonNull(action, "action");
        target = target == null ? Map.of() : target;
        thread = thread == null ? "" : thread;
        frames = frames == null ? List.of() : List.copyOf(frames);
        trace = trace == null ? "" : trace;
    }

    /** A request without a trace context. */
    public Request(String family, String action, Map<String, Object> target, String thread, List<String> frames, boolean monitor,
                   boolean atReturn) {
        this(family, action, target, thread, frames, monitor, atReturn, "");
    }

    /**
     * A request made before its call. {@code monitor} marks one the agent will let through whatever
     * the answer (its interception rule is in monitor mode), so the log records a denial of it
     * as a would-be denial.
     */
    public Request(String family, String action, Map<String, Object> target, String thread, List<String> frames, boolean monitor) {
        this(family, action, target, thread, frames, monitor, false);
    }

    /** A request to be enforced, made before its call. */
    public Request(String family, String action, Map<String, Object> target, String thread, List<String> frames) {
        this(family, action, target, thread, frames, false, false);
    }

    /** This request without its trace context (for an engine that does not take one). */
    public Request withoutTrace() {
        return trace.isEmpty() ? this : new Request(family, action, target, thread, frames, monitor, atReturn, "");
    }

    /** Whether {@code s} is a W3C traceparent this protocol carries ({@code 00-TRACEID-SPANID-FLAGS}, lowercase hex). */
    public static boolean isTraceparent(String s) {
        return TRACEPARENT.matcher(s).matches();
    }

    public static Request of(String family, String action, Map<String, Object> target) {
        return new Request(family, action, target, "", List.of());
    }

    public Map<String, Object> toBody() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("family", family);
        m.put("action", action);
        m.put("target", target);
        if (!thread.isEmpty()) {
            m.put("thread", thread);
        }
        if (!frames.isEmpty()) {
            m.put("frames", frames);
        }
        if (monitor) {
            m.put("monitor", true);
        }
        if (atReturn) {
            m.put("at", "return");
        }
        if (!trace.isEmpty()) {
            m.put("trace", trace);
        }
        return m;
    }

    /** Reads a request body, refusing anything but the documented shape. */
    public static Request fromBody(Map<String, Object> body) throws ProtocolException {
        for (String key : body.keySet()) {
            if (!key.equals("family") && !key.equals("action") && !key.equals("target")
                    && !key.equals("thread") && !key.equals("frames") && !key.equals("monitor") && !key.equals("at")
                    && !key.equals("trace")) {
                throw new ProtocolException(Reasons.BAD_REQUEST, "unknown request field '" + ValueCodec.clip(key) + "'");
            }
        }
        String family = requireString(body, "family");
        String action = requireString(body, "action");
        Object target = body.get("target");
        if (target != null && !(target instanceof Map)) {
            throw new ProtocolException(Reasons.BAD_REQUEST, "target must be a map");
        }
        Object thread = body.get("thread");
        if (thread != null && !(thread instanceof String)) {
            throw new ProtocolException(Reasons.BAD_REQUEST, "thread must be a string");
        }
        Object frames = body.get("frames");
        if (frames != null) {
            if (!(frames instanceof List<?> list) || !list.stream().allMatch(f -> f instanceof String)) {
                throw new ProtocolException(Reasons.BAD_REQUEST, "frames must be a list of strings");
            }
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> t = (Map<String, Object>) target;
        @SuppressWarnings("unchecked")
        List<String> f = (List<String>) frames;
        Object monitor = body.get("monitor");
        if (monitor != null && !(monitor instanceof Boolean)) {
            throw new ProtocolException(Reasons.BAD_REQUEST, "monitor must be a boolean");
        }
        Object at = body.get("at");
        if (at != null && !"return".equals(at)) {
            throw new ProtocolException(Reasons.BAD_REQUEST, "at must be \"return\" (a request about a call's result) or absent");
        }
        Object trace = body.get("trace");
        if (trace != null && !(trace instanceof String s && isTraceparent(s))) {
            throw new ProtocolException(Reasons.BAD_REQUEST, "trace must be a W3C traceparent (00-TRACEID-SPANID-FLAGS, lowercase hex)");
        }
        return new Request(family, action, t, (String) thread, f, Boolean.TRUE.equals(monitor), at != null, (String) trace);
    }

    static String requireString(Map<String, Object> body, String key) throws ProtocolException {
        Object v = body.get(key);
        if (!(v instanceof String s) || s.isEmpty()) {
            throw new ProtocolException(Reasons.BAD_REQUEST, key + " must be a non-empty string");
        }
        return s;
    }
}
