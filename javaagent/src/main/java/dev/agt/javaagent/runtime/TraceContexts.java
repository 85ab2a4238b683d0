package dev.agt.javaagent.runtime;

import dev.agt.javaagent.bootstrap.Dispatcher;
import dev.agt.protocol.Request;
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
 * <p>Both finding the API and calling it run the application's code (its context class loader's
 * {@code loadClass}, {@code equals} and {@code hashCode}; {@code Span.current()} runs its context
 * storage), which may be anything: they run with the checks armed, so whatever that code does is
 * governed like any other call of the application, and a call it makes does not look for a trace
 * again. What it returns is sent only when it is a well-formed traceparent.
 *
 * <p>Nothing here keeps a class loader alive: loaders are weak keys, the API's class is held
 * weakly, and its handles live in a {@link ClassValue} of that class.
 */
final class TraceContexts {
    private static final String SPAN = "io.opentelemetry.api.trace.Span";
    private static final String SPAN_CONTEXT = "io.opentelemetry.api.trace.SpanContext";

    /** The API's handles for one {@code Span} class; {@link #NONE} when they cannot be had. */
    private record Probe(MethodHandle current, MethodHandle context, MethodHandle valid, MethodHandle traceId, MethodHandle spanId,
                         MethodHandle sampled) {
    }

    private static final Probe NONE = new Probe(null, null, null, null, null, null);
    /** A loader without the API. */
    private static final WeakReference<Class<?>> ABSENT = new WeakReference<>(null);

    private static final ClassValue<Probe> PROBES = new ClassValue<>() {
        @Override
        protected Probe computeValue(Class<?> span) {
            return probe(span);
        }
    };

    private record Last(WeakReference<ClassLoader> loader, WeakReference<Class<?>> span) {
    }

    private final Object key;
    private final Map<ClassLoader, WeakReference<Class<?>>> spans = Collections.synchronizedMap(new WeakHashMap<>());
    private volatile Last last = new Last(new WeakReference<>(null), ABSENT);
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
        Last l = last;
        if (l.span() == ABSENT && l.loader().get() == cl) {
            return ""; // the common case, an application without OpenTelemetry: no class lookup, no change of the checks
        }
        busy[0] = true;
        Dispatcher.exit(key); // the application's code runs governed: its class loader (loadClass, equals) as much as its tracing
        try {
            Class<?> span = span(cl);
            if (span == null) {
                return "";
            }
            Probe p = PROBES.get(span);
            if (p == NONE) {
                return "";
            }
            Object s = p.current().invokeExact();
            Object ctx = p.context().invokeExact(s);
            if (!(boolean) p.valid().invokeExact(ctx)) {
                return "";
            }
            String traceId = (String) p.traceId().invokeExact(ctx);
            String spanId = (String) p.spanId().invokeExact(ctx);
            String parent = "00-" + traceId + "-" + spanId + ((boolean) p.sampled().invokeExact(ctx) ? "-01" : "-00");
            return Request.isTraceparent(parent) ? parent : "";
        } catch (Throwable e) {
            return ""; // whatever the application's tracing does wrong, the call is still decided, without a trace
        } finally {
            Dispatcher.enter(key);
            busy[0] = false;
        }
    }

    /** The loader's {@code Span} class, or null where it has none. */
    private Class<?> span(ClassLoader cl) {
        Last l = last;
        if (l.loader().get() == cl) {
            return l.span().get();
        }
        WeakReference<Class<?>> ref = spans.get(cl);
        if (ref == null || (ref != ABSENT && ref.get() == null)) {
            Class<?> found;
            try {
                found = Class.forName(SPAN, false, cl);
            } catch (ClassNotFoundException | LinkageError | RuntimeException e) {
                found = null;
            }
            ref = found == null ? ABSENT : new WeakReference<>(found);
            spans.put(cl, ref);
        }
        last = new Last(new WeakReference<>(cl), ref);
        return ref.get();
    }

    private static Probe probe(Class<?> span) {
        try {
            Class<?> ctx = Class.forName(SPAN_CONTEXT, false, span.getClassLoader());
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
