package dev.agt.tests.catalogue;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Scope;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An application that traces with the OpenTelemetry API: inside a span (trace id args[0], span id
 * args[1]) it reads each file it is given, printing {@code READ OK} or {@code READ DENIED code};
 * then one read outside any span. Args: TRACEID SPANID FILE... (the last file is read untraced).
 */
public final class TracedRead {
    public static void main(String[] args) throws Exception {
        SpanContext ctx = SpanContext.create(args[0], args[1], TraceFlags.getSampled(), TraceState.getDefault());
        try (Scope s = Span.wrap(ctx).makeCurrent()) {
            for (int i = 2; i < args.length - 1; i++) {
                read(args[i]);
            }
        }
        read(args[args.length - 1]);
    }

    private static void read(String file) {
        try {
            Files.readAllBytes(Path.of(file));
            System.out.println("READ OK " + file);
        } catch (Exception e) {
            Throwable d = Denials.find(e);
            System.out.println(d == null ? "READ ERROR " + e : "READ DENIED " + file);
        }
    }
}
