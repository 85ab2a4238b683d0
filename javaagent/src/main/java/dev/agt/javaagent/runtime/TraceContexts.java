package dev.agt.javaagent.runtime;

import dev.agt.javaagent.bootstrap.Dispatcher;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.ref.WeakReference;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * The application's current OpenTelemetry span, as a W3C traceparent for the request, so that the
 * engine's exported decisions link to the span that made the call. The agent does not depend on
 * OpenTelemetry: it looks for the API ({@code io.opentelemetry.api.trace.Span}) through the
 * calling thread's context class loader, once per loader, and calls it through method handles;
 * where there is none, or no span is current, the request carries no trace.
 *
 * <p>The API is the application's code (its context storage may be anything), so it runs with the
 * checks armed: whatever it does is governed like any other call of the application, and a
 * call it makes does not look for a trace again.
 */
final class TraceContexts {
    private static final String SPAN = "io.opentelemetry.api.trace.Span";
    private static final String SPAN_CONTEXT = "io.opentelemetry.api.trace.SpanContext";

    /** The API's handles in one class loader; {@link #NONE} where it has none. */
    private record Probe(MethodHandle current, MethodHandle context, MethodHandle valid, MethodHandle traceId, MethodHandle spanId,
                         MethodHandle sampled) {
    }

    private static final Probe NONE = new Probe(null, null, null, null, null, null);

    private record Last(WeakReference<ClassLoader> loader, Probe probe) {
    }

    private final Object key;
    private final Map<ClassLoader, Probe> probes = Collections.synchronizedMap(new WeakHashMap<>());
    private volatile Last last = new Last(new WeakReference<>(null), NONE);
    /** Set while this thread reads a trace: a governed call made meanwhile is asked without one. Not a lambda (start-up cost). */
    private final ThreadLocal<boolean[]> reading = new ThreadLocal<>() {
        @Override
        protected boolean[] initialValue() {
            return new boolean[1];
        }
    };

    TraceContexts(Object key) {
        this.key = key;
    }

    /** The current span as {@code 00-TRACEID-SPANID-FLAGS}, or "" when there is none. Called with the checks lowered (inside a hook). */
    String current() {
        boolean[] busy = reading.get();
        if (busy[0]) {
            return "";
        }
        ClassLoader cl = Thread.currentThread().getContextClassLoader();
        if (cl == null) {
            cl = ClassLoader.getSystemClassLoader();
        }
        busy[0] = true;
        Dispatcher.exit(key); // the application's code runs governed
        try {
            Last l = last;
            Probe p = l.loader().get() == cl ? l.probe() : probe(cl);
            if (p == NONE) {
                return "";
            }
            Object span = p.current().invokeExact();
            Object ctx = p.context().invokeExact(span);
            if (!(boolean) p.valid().invokeExact(ctx)) {
                return "";
            }
            String traceId = (String) p.traceId().invokeExact(ctx);
            String spanId = (String) p.spanId().invokeExact(ctx);
            return "00-" + traceId + "-" + spanId + ((boolean) p.sampled().invokeExact(ctx) ? "-01" : "-00");
        } catch (Throwable e) {
            return ""; // whatever the application's tracing does wrong, the call is still decided, without a trace
        } finally {
            Dispatcher.enter(key);
            busy[0] = false;
        }
    }

    private Probe probe(ClassLoader cl) {
        Probe p = probes.get(cl);
        if (p == null) {
            p = find(cl);
            probes.put(cl, p);
        }
        last = new Last(new WeakReference<>(cl), p);
        return p;
    }

    private static Probe find(ClassLoader cl) {
        try {
            Class<?> span = Class.forName(SPAN, false, cl);
            Class<?> ctx = Class.forName(SPAN_CONTEXT, false, cl);
            MethodHandles.Lookup l = MethodHandles.publicLookup();
            MethodType toObject = MethodType.methodType(Object.class, Object.class);
            return new Probe(
                    l.findStatic(span, "current", MethodType.methodType(span)).asType(MethodType.methodType(Object.class)),
                    l.findVirtual(span, "getSpanContext", MethodType.methodType(ctx)).asType(toObject),
                    l.findVirtual(ctx, "isValid", MethodType.methodType(boolean.class)).asType(MethodType.methodType(boolean.class, Object.class)),
                    l.findVirtual(ctx, "getTraceId", MethodType.methodType(String.class)).asType(MethodType.methodType(String.class, Object.class)),
                    l.findVirtual(ctx, "getSpanId", MethodType.methodType(String.class)).asType(MethodType.methodType(String.class, Object.class)),
                    l.findVirtual(ctx, "isSampled", MethodType.methodType(boolean.class)).asType(MethodType.methodType(boolean.class, Object.class)));
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return NONE;
        }
    }
}
