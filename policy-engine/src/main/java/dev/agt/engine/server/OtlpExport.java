package dev.agt.engine.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agt.audit.log.ExportCursor;
import dev.agt.audit.log.LogFollower;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.logs.Severity;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.exporter.otlp.http.logs.OtlpHttpLogRecordExporter;
import io.opentelemetry.exporter.otlp.http.logs.OtlpHttpLogRecordExporterBuilder;
import io.opentelemetry.exporter.otlp.http.metrics.OtlpHttpMetricExporter;
import io.opentelemetry.exporter.otlp.http.metrics.OtlpHttpMetricExporterBuilder;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.logs.data.Body;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.logs.export.LogRecordExporter;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.export.PeriodicMetricReader;
import io.opentelemetry.sdk.resources.Resource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * Sends the decision log to an OpenTelemetry pipeline: every entry as an OTLP log record, and the
 * engine's counters as OTLP metrics.
 *
 * <p>Records are read back from the signed log, never taken from the decision path: a decision is
 * logged and answered exactly as without export, and an exporter that is slow or down holds up
 * nothing but itself. The log is the source of truth and the export a follower of it
 * ({@link LogFollower}, a checkpoint's worth at a time): a batch is sent until the receiver takes
 * it, retried with backoff while it does not, and only then is the position written to the cursor
 * file, so a receiver outage or an engine restart loses no entry (a batch may arrive twice;
 * {@code agt.seq} with the origin names each entry once).
 *
 * <p>Attributes follow the OpenTelemetry semantic conventions where they exist ({@code file.path},
 * {@code network.peer.address}, {@code process.executable.path}, {@code gen_ai.*} for model and
 * tool calls) and are {@code agt.*} otherwise; a request that carried the application's trace
 * context (W3C traceparent, read by the agent) is linked to the caller's span.
 */
final class OtlpExport implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CHUNK = 512;
    private static final long CHUNK_BYTES = 4 << 20;
    /**
     * After each slice the export sleeps this many times the CPU time the slice took: it never uses
     * more than a tenth of a core (and allocates in proportion), whatever the decision rate, so a
     * busy engine's decisions keep their CPU. Under a load beyond that the export falls behind
     * ({@code agt.otlp.export.lag}) and catches up when the load eases; the log holds the backlog.
     */
    private static final int YIELD = 9;
    /** Records built and sent between two pauses. */
    private static final int SLICE = 256;
    private static final String RECEIVER_REFUSED = "otlp export: the receiver did not take entries from ";
    private static final java.lang.management.ThreadMXBean CPU = java.lang.management.ManagementFactory.getThreadMXBean();
    private static final long MAX_BACKOFF_MS = 10_000;
    private static final InstrumentationScopeInfo SCOPE = InstrumentationScopeInfo.builder("dev.agt.engine").build();

    private final Path auditDir;
    private final ExportCursor cursor;
    private final java.util.function.LongSupplier signed;
    private final LogRecordExporter exporter;
    private final SdkMeterProvider meters;
    private final Resource resource;
    private final Consumer<String> log;
    private final Thread thread;
    private final long timeoutMs;
    private final LongAdder exported = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private volatile boolean closed;
    private volatile long next;
    private volatile String lastError;

    /**
     * @param signed the size of the log's latest signed checkpoint (the engine's audit log knows it):
     *               how far there is to export, without listing the checkpoints directory
     */
    OtlpExport(Engine engine, EngineConfig.Otlp config, Path auditDir, String engineName, java.util.function.LongSupplier signed,
               Consumer<String> log) {
        this.auditDir = auditDir;
        this.signed = signed;
        this.cursor = new ExportCursor(config.cursor() != null ? config.cursor() : defaultCursor(auditDir));
        this.log = log;
        this.timeoutMs = 10_000;
        String base = config.endpoint().endsWith("/") ? config.endpoint().substring(0, config.endpoint().length() - 1) : config.endpoint();
        OtlpHttpLogRecordExporterBuilder logs = OtlpHttpLogRecordExporter.builder().setEndpoint(base + "/v1/logs")
                .setTimeout(Duration.ofMillis(timeoutMs))
                .setMemoryMode(io.opentelemetry.sdk.common.export.MemoryMode.REUSABLE_DATA); // one request at a time: its buffers are reused
        OtlpHttpMetricExporterBuilder metricsOut = OtlpHttpMetricExporter.builder().setEndpoint(base + "/v1/metrics")
                .setTimeout(Duration.ofMillis(timeoutMs));
        config.headers().forEach((k, v) -> {
            logs.addHeader(k, v);
            metricsOut.addHeader(k, v);
        });
        this.exporter = logs.build();
        this.resource = Resource.getDefault().merge(Resource.create(Attributes.builder()
                .put("service.name", "agt-engine")
                .put("service.instance.id", engineName)
                .put("host.name", hostName())
                .build()));
        ExportCursor.Resume resume = cursor.read(auditDir);
        if (resume.note() != null) {
            log.accept("otlp export: " + resume.note());
        }
        this.next = resume.next();
        this.meters = SdkMeterProvider.builder().setResource(resource)
                .registerMetricReader(PeriodicMetricReader.builder(metricsOut.build())
                        .setInterval(Duration.ofMillis(Math.max(1000, config.metricsIntervalMs()))).build())
                .build();
        instruments(engine.counters(), meters.get("dev.agt.engine"));
        this.thread = new Thread(this::run, "agt-otlp-export");
        thread.setDaemon(true);
        thread.start();
    }

    static Path defaultCursor(Path auditDir) {
        Path abs = auditDir.toAbsolutePath().normalize();
        return abs.resolveSibling(abs.getFileName() + ".otlp-cursor");
    }

    /** The counters as observable instruments: read when the metric reader collects, nothing on the decision path. */
    private void instruments(Counters c, Meter m) {
        AttributeKey<String> effect = AttributeKey.stringKey("agt.effect");
        AttributeKey<String> result = AttributeKey.stringKey("agt.result");
        m.counterBuilder("agt.decisions").setDescription("Decisions returned to agents, by effect").setUnit("{decision}")
                .buildWithCallback(o -> {
                    o.record(c.allowed.sum(), Attributes.of(effect, "allow"));
                    o.record(c.denied.sum(), Attributes.of(effect, "deny"));
                });
        m.counterBuilder("agt.audit.failures").setDescription("Decisions denied because the log could not be written").setUnit("{decision}")
                .buildWithCallback(o -> o.record(c.auditFailures.sum()));
        m.counterBuilder("agt.evaluation.errors").setDescription("Evaluations that failed and so denied").setUnit("{decision}")
                .buildWithCallback(o -> o.record(c.evaluationErrors.sum()));
        m.counterBuilder("agt.protocol.errors").setDescription("Connections closed for breaking the wire protocol").setUnit("{connection}")
                .buildWithCallback(o -> o.record(c.protocolErrors.sum()));
        m.counterBuilder("agt.outcomes").setDescription("Local outcomes agents reported, by result").setUnit("{outcome}")
                .buildWithCallback(o -> {
                    o.record(c.outcomes.sum(), Attributes.of(result, "logged"));
                    o.record(c.outcomesRefused.sum(), Attributes.of(result, "refused"));
                });
        m.counterBuilder("agt.policy.reloads").setDescription("Policy reloads, by result").setUnit("{reload}")
                .buildWithCallback(o -> {
                    o.record(c.reloadsOk.sum(), Attributes.of(result, "loaded"));
                    o.record(c.reloadsRejected.sum(), Attributes.of(result, "rejected"));
                });
        m.counterBuilder("agt.connections.total").setDescription("Agent connections accepted since the engine started").setUnit("{connection}")
                .buildWithCallback(o -> o.record(c.connectionsTotal.sum()));
        m.gaugeBuilder("agt.otlp.export.lag").ofLongs().setDescription("Signed log entries not yet taken by the OTLP receiver").setUnit("{entry}")
                .buildWithCallback(o -> o.record(Math.max(0, signed.getAsLong() - next)));
        m.counterBuilder("agt.otlp.export.failures").setDescription("Export attempts the receiver did not take").setUnit("{attempt}")
                .buildWithCallback(o -> o.record(failures.sum()));
    }

    private void run() {
        LogFollower follower = new LogFollower(auditDir, next, null, signed);
        LogFollower.Batch pending = null;
        int sent = 0; // records of the pending batch the receiver has taken
        long backoff = 500;
        while (!closed) {
            try {
                long cpu0 = CPU.getCurrentThreadCpuTime();
                if (pending == null) {
                    Optional<LogFollower.Batch> b = follower.poll();
                    if (b.isEmpty()) {
                        sleep(200);
                        continue;
                    }
                    pending = b.get();
                    sent = 0;
                }
                if (sent < pending.lines().size()) {
                    // a slice at a time, each followed by a pause: the export's work is spread thin
                    // instead of a burst a checkpoint long that competes with decisions
                    List<LogRecordData> slice = records(pending, sent, Math.min(pending.lines().size(), sent + SLICE));
                    if (!send(slice, pending.from() + sent)) {
                        failures.increment();
                        sleep(backoff);
                        backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
                        continue;
                    }
                    if (lastError != null && lastError.startsWith(RECEIVER_REFUSED)) {
                        log.accept("otlp export: the receiver takes records again; resumed at entry " + (pending.from() + sent));
                        lastError = null;
                    }
                    sent += slice.size();
                    exported.add(slice.size());
                }
                if (sent == pending.lines().size()) {
                    cursor.write(pending.to(), pending.checkpoint()); // positions are checkpoints: a batch cut short is sent again whole
                    next = pending.to();
                    pending = null;
                    if (lastError != null) {
                        log.accept("otlp export: going again at entry " + next);
                        lastError = null;
                    }
                    backoff = 500;
                }
                long used = CPU.getCurrentThreadCpuTime() - cpu0;
                if (cpu0 >= 0 && used > 0) {
                    sleep(Math.min(5_000, Math.max(1, TimeUnit.NANOSECONDS.toMillis(used * YIELD))));
                }
            } catch (IOException | RuntimeException | OutOfMemoryError | StackOverflowError e) {
                // whatever goes wrong here is the export's, never the engine's: said, and retried
                String m = "otlp export: " + (e.getMessage() == null ? e.toString() : e.getMessage());
                if (!m.equals(lastError)) {
                    log.accept(m + "; retrying");
                }
                lastError = m;
                failures.increment();
                sleep(backoff);
                backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
            }
        }
    }

    private boolean send(List<LogRecordData> records, long first) {
        for (int i = 0, end; i < records.size(); i = end) {
            // at most CHUNK records and about CHUNK_BYTES a request: collectors refuse large bodies
            long bytes = 0;
            end = i;
            while (end < records.size() && end - i < CHUNK && (end == i || bytes < CHUNK_BYTES)) {
                bytes += ((Record) records.get(end)).size();
                end++;
            }
            CompletableResultCode r = exporter.export(records.subList(i, end));
            r.join(timeoutMs + 1000, TimeUnit.MILLISECONDS);
            if (!r.isSuccess()) {
                String m = RECEIVER_REFUSED + (first + i)
                        + (r.getFailureThrowable() != null ? " (" + r.getFailureThrowable().getMessage() + ")" : "");
                if (!m.equals(lastError)) {
                    log.accept(m + "; they stay in the log and are sent again");
                }
                lastError = m;
                return false;
            }
        }
        return true;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Records for the batch's lines {@code from} (inclusive) to {@code to} (exclusive). */
    private List<LogRecordData> records(LogFollower.Batch b, int from, int to) {
        List<LogRecordData> out = new ArrayList<>(to - from);
        long seq = b.from() + from;
        for (byte[] line : b.lines().subList(from, to)) {
            LogRecordData r;
            try {
                r = record(seq, JSON.readTree(line), b.checkpoint());
            } catch (IOException | RuntimeException e) {
                // an entry this exporter cannot map still goes, as what it is: its place and its text
                r = new Record(resource, 0, System.currentTimeMillis() * 1_000_000L, SpanContext.getInvalid(), Severity.WARN,
                        new String(line, StandardCharsets.UTF_8), Attributes.builder().put("agt.seq", seq).put("agt.log.origin", b.checkpoint().origin())
                        .put("agt.checkpoint.size", b.checkpoint().size()).put("agt.checkpoint.root", b.checkpoint().root())
                        .put("agt.entry.type", "unreadable").build(), "agt.entry");
            }
            out.add(r);
            seq++;
        }
        return out;
    }

    /** One entry as a log record. */
    LogRecordData record(long seq, JsonNode e, LogFollower.Anchor cp) {
        String type = e.path("type").asText("");
        AttributesBuilder a = Attributes.builder();
        a.put("agt.seq", seq);
        a.put("agt.log.origin", cp.origin());
        a.put("agt.checkpoint.size", cp.size());
        a.put("agt.checkpoint.root", cp.root());
        a.put("agt.entry.type", type);
        JsonNode agent = e.path("agent");
        if (agent.isObject()) {
            a.put("agt.agent.name", agent.path("name").asText(""));
            a.put("agt.agent.id", agent.path("id").asText(""));
            a.put("agt.agent.session", agent.path("session").asLong());
            if (agent.path("pid").canConvertToLong()) {
                a.put("agt.agent.pid", agent.path("pid").asLong());
            }
            if (agent.hasNonNull("uid")) {
                a.put("user.id", agent.path("uid").asText());
            }
        }
        JsonNode request = e.path("request");
        String effect = "";
        String body;
        switch (type) {
            case "decision" -> {
                JsonNode d = e.path("decision");
                effect = d.path("effect").asText("");
                a.put("agt.effect", effect);
                a.put("agt.rule", d.path("rule").asText(""));
                a.put("agt.code", d.path("code").asText(""));
                a.put("agt.reason", d.path("reason").asText(""));
                if (d.has("monitor")) {
                    a.put("agt.monitor.rule", d.path("monitor").path("rule").asText(""));
                }
                a.put("agt.policy", e.path("policy").asText(""));
                body = "agt " + (effect.equals("allow") ? "allowed " : "denied ") + request.path("family").asText("") + "/"
                        + request.path("action").asText("") + describe(request.path("target"))
                        + (d.path("rule").asText("").isEmpty() ? "" : " (rule " + d.path("rule").asText() + ")");
            }
            case "outcome" -> {
                JsonNode o = e.path("outcome");
                effect = o.path("effect").asText("");
                a.put("agt.effect", effect);
                a.put("agt.outcome.kind", o.path("kind").asText(""));
                a.put("agt.code", o.path("code").asText(""));
                a.put("agt.reason", o.path("reason").asText(""));
                if (e.has("follows")) {
                    a.put("agt.follows", e.path("follows").asLong());
                }
                body = "agt outcome " + o.path("kind").asText("") + ": " + o.path("reason").asText("");
            }
            default -> {
                String event = e.path("event").asText(type);
                a.put("agt.event", event);
                e.fields().forEachRemaining(f -> {
                    if (f.getValue().isValueNode() && !f.getKey().equals("type") && !f.getKey().equals("event") && !f.getKey().equals("time")) {
                        a.put("agt.event." + f.getKey(), f.getValue().asText());
                    }
                });
                body = "agt " + event;
            }
        }
        if (request.isObject()) {
            target(a, request.path("family").asText(""), request.path("action").asText(""), request.path("target"));
        }
        Severity severity = effect.equals("deny") ? Severity.WARN : Severity.INFO;
        return new Record(resource, time(e.path("time").asText("")), System.currentTimeMillis() * 1_000_000L,
                spanContext(request.path("trace").asText("")), severity, body, a.build(), "agt." + (type.isEmpty() ? "entry" : type));
    }

    /** The call's fields under the semantic conventions' names where they have one. */
    private static void target(AttributesBuilder a, String family, String action, JsonNode t) {
        a.put("agt.family", family);
        a.put("agt.action", action);
        switch (family) {
            case "file" -> {
                put(a, "file.path", t.path("path"));
                put(a, "agt.file.dest", t.path("dest"));
            }
            case "net" -> {
                put(a, "network.peer.address", t.path("ip"));
                if (t.path("port").canConvertToLong()) {
                    a.put("network.peer.port", t.path("port").asLong());
                }
                put(a, "server.address", t.path("host"));
                put(a, "network.transport", t.path("transport"));
                put(a, "agt.net.path", t.path("path"));
            }
            case "process" -> {
                put(a, "process.executable.path", t.path("executable"));
                if (t.path("argv").isArray()) {
                    List<String> argv = new ArrayList<>();
                    t.path("argv").forEach(x -> argv.add(x.asText()));
                    a.put(AttributeKey.stringArrayKey("process.command_args"), argv);
                }
                if (t.path("pid").canConvertToLong()) {
                    a.put("agt.target.pid", t.path("pid").asLong());
                }
            }
            case "native" -> {
                put(a, "file.path", t.path("path"));
                put(a, "agt.native.method", t.path("method"));
            }
            case "mcp" -> {
                a.put("mcp.method.name", switch (action) {
                    case "call" -> "tools/call";
                    case "list" -> "tools/list";
                    case "read" -> "resources/read";
                    case "prompt" -> "prompts/get";
                    default -> action;
                });
                put(a, "gen_ai.tool.name", t.path("tool"));
                put(a, "agt.mcp.server", t.path("server"));
                put(a, "mcp.resource.uri", t.path("arguments").path("uri"));
            }
            case "tool" -> {
                a.put("gen_ai.operation.name", "execute_tool");
                put(a, "gen_ai.tool.name", t.path("tool"));
            }
            case "model" -> {
                a.put("gen_ai.operation.name", action.equals("embed") ? "embeddings" : "chat");
                put(a, "gen_ai.provider.name", t.path("provider"));
                put(a, "gen_ai.request.model", t.path("model"));
                put(a, "server.address", t.path("endpoint"));
                if (t.path("max_tokens").canConvertToLong()) {
                    a.put("gen_ai.request.max_tokens", t.path("max_tokens").asLong());
                }
                if (t.path("usage").path("input").canConvertToLong()) {
                    a.put("gen_ai.usage.input_tokens", t.path("usage").path("input").asLong());
                }
                if (t.path("usage").path("output").canConvertToLong()) {
                    a.put("gen_ai.usage.output_tokens", t.path("usage").path("output").asLong());
                }
            }
            default -> {
            }
        }
    }

    private static void put(AttributesBuilder a, String key, JsonNode v) {
        if (v != null && v.isValueNode() && !v.isNull()) {
            a.put(key, v.asText());
        }
    }

    private static String describe(JsonNode t) {
        for (String k : new String[] {"path", "host", "ip", "executable", "tool", "model"}) {
            if (t.path(k).isTextual()) {
                return " " + t.path(k).asText();
            }
        }
        return "";
    }

    /** The caller's span, from the request's W3C traceparent ("00-TRACE-SPAN-FLAGS"), or none. */
    static SpanContext spanContext(String traceparent) {
        if (traceparent.length() != 55 || !traceparent.startsWith("00-")) {
            return SpanContext.getInvalid();
        }
        SpanContext s = SpanContext.createFromRemoteParent(traceparent.substring(3, 35), traceparent.substring(36, 52),
                TraceFlags.fromHex(traceparent, 53), TraceState.getDefault());
        return s.isValid() ? s : SpanContext.getInvalid();
    }

    private static long time(String iso) {
        try {
            Instant i = Instant.parse(iso);
            return i.getEpochSecond() * 1_000_000_000L + i.getNano();
        } catch (DateTimeParseException e) {
            return 0;
        }
    }

    /** Where the export stands, for {@code agt engine status}. */
    Map<String, Object> status() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("next", next);
        m.put("exported", exported.sum());
        m.put("behind", Math.max(0, signed.getAsLong() - next));
        m.put("failures", failures.sum());
        if (lastError != null) {
            m.put("error", lastError);
        }
        return m;
    }

    /** Sends what the log holds up to its last checkpoint, for at most {@code ms}; the rest goes at the next start. */
    void drain(long ms) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        while (System.nanoTime() < deadline && next < signed.getAsLong() && lastError == null) {
            sleep(50);
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        meters.forceFlush().join(2, TimeUnit.SECONDS);
        meters.shutdown().join(2, TimeUnit.SECONDS);
        exporter.shutdown().join(2, TimeUnit.SECONDS);
    }

    private static String hostName() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
        } catch (IOException | RuntimeException e) {
            return "localhost";
        }
    }

    /** A log entry as the SDK's exporters take it. */
    record Record(Resource resource, long time, long observed, SpanContext span, Severity severity, String text, Attributes attributes,
                  String event) implements LogRecordData {
        @Override
        public Resource getResource() {
            return resource;
        }

        @Override
        public InstrumentationScopeInfo getInstrumentationScopeInfo() {
            return SCOPE;
        }

        @Override
        public long getTimestampEpochNanos() {
            return time;
        }

        @Override
        public long getObservedTimestampEpochNanos() {
            return observed;
        }

        @Override
        public SpanContext getSpanContext() {
            return span;
        }

        @Override
        public Severity getSeverity() {
            return severity;
        }

        @Override
        public String getSeverityText() {
            return severity.name();
        }

        @Override
        @SuppressWarnings("deprecation")
        public Body getBody() {
            return Body.string(text);
        }

        @Override
        public Attributes getAttributes() {
            return attributes;
        }

        @Override
        public int getTotalAttributeCount() {
            return attributes.size();
        }

        @Override
        public String getEventName() {
            return event;
        }

        /** About what the record takes on the wire. */
        long size() {
            long n = 64 + text.length();
            for (Object v : attributes.asMap().values()) {
                n += 32 + String.valueOf(v).length();
            }
            return n;
        }
    }
}
