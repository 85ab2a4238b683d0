package dev.agt.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.sun.net.httpserver.HttpServer;
import dev.agt.protocol.Decision;
import dev.agt.protocol.EngineAddress;
import dev.agt.protocol.EngineClient;
import dev.agt.protocol.Request;
import dev.agt.tests.catalogue.TracedRead;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code agt engine --otlp-endpoint}: a real OTLP/HTTP receiver, built from the OTLP protobuf
 * definitions, gets every log entry as a log record (semantic-convention attributes, linked to
 * the application's span) and the engine's metrics; while it hangs or is gone, decisions go on,
 * and once it is back it gets every entry, across an engine killed meanwhile.
 */
class OtlpExportIT {
    @TempDir
    Path dir;

    /** An OTLP/HTTP receiver on loopback. */
    static final class Receiver implements AutoCloseable {
        final HttpServer server;
        final List<LogRecordSeen> logs = new CopyOnWriteArrayList<>();
        final List<String> metrics = new CopyOnWriteArrayList<>();
        final AtomicInteger held = new AtomicInteger();
        final Set<String> headers = java.util.concurrent.ConcurrentHashMap.newKeySet();
        volatile CountDownLatch hang;

        Receiver(int port) throws IOException {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 16);
            server.setExecutor(Executors.newCachedThreadPool());
            server.createContext("/v1/logs", x -> {
                try (InputStream in = x.getRequestBody()) {
                    byte[] body = in.readAllBytes();
                    String tenant = x.getRequestHeaders().getFirst("x-tenant");
                    if (tenant != null) {
                        headers.add(tenant);
                    }
                    CountDownLatch h = hang;
                    if (h != null) {
                        held.incrementAndGet();
                        h.await(); // a receiver that takes the connection and does not answer
                        x.sendResponseHeaders(503, -1);
                        return;
                    }
                    ExportLogsServiceRequest r = ExportLogsServiceRequest.parseFrom(body);
                    for (ResourceLogs rl : r.getResourceLogsList()) {
                        Map<String, Object> resource = attrs(rl.getResource().getAttributesList());
                        for (ScopeLogs sl : rl.getScopeLogsList()) {
                            for (LogRecord lr : sl.getLogRecordsList()) {
                                logs.add(new LogRecordSeen(resource, attrs(lr.getAttributesList()), lr.getSeverityNumberValue(),
                                        lr.getBody().getStringValue(), hex(lr.getTraceId()), hex(lr.getSpanId()), lr.getEventName(), lr.getTimeUnixNano()));
                            }
                        }
                    }
                    byte[] ok = ExportLogsServiceResponse.getDefaultInstance().toByteArray();
                    x.getResponseHeaders().add("Content-Type", "application/x-protobuf");
                    x.sendResponseHeaders(200, ok.length);
                    x.getResponseBody().write(ok);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    x.close();
                }
            });
            server.createContext("/v1/metrics", x -> {
                try (InputStream in = x.getRequestBody()) {
                    ExportMetricsServiceRequest r = ExportMetricsServiceRequest.parseFrom(in.readAllBytes());
                    r.getResourceMetricsList().forEach(rm -> rm.getScopeMetricsList().forEach(sm -> sm.getMetricsList().forEach(m -> metrics.add(m.getName()))));
                    byte[] ok = ExportMetricsServiceResponse.getDefaultInstance().toByteArray();
                    x.sendResponseHeaders(200, ok.length);
                    x.getResponseBody().write(ok);
                } finally {
                    x.close();
                }
            });
            server.start();
        }

        int port() {
            return server.getAddress().getPort();
        }

        Set<Long> seqs() {
            Set<Long> s = new TreeSet<>();
            logs.forEach(l -> s.add((Long) l.attributes().get("agt.seq")));
            return s;
        }

        @Override
        public void close() {
            CountDownLatch h = hang;
            if (h != null) {
                h.countDown();
            }
            server.stop(0);
            ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
        }
    }

    record LogRecordSeen(Map<String, Object> resource, Map<String, Object> attributes, int severity, String body, String traceId,
                         String spanId, String eventName, long timeNanos) {
    }

    static String hex(ByteString b) {
        return HexFormat.of().formatHex(b.toByteArray());
    }

    static Map<String, Object> attrs(List<KeyValue> kvs) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (KeyValue kv : kvs) {
            AnyValue v = kv.getValue();
            m.put(kv.getKey(), switch (v.getValueCase()) {
                case STRING_VALUE -> v.getStringValue();
                case INT_VALUE -> v.getIntValue();
                case BOOL_VALUE -> v.getBoolValue();
                case DOUBLE_VALUE -> v.getDoubleValue();
                case ARRAY_VALUE -> v.getArrayValue().getValuesList().stream().map(AnyValue::getStringValue).toList();
                default -> v.toString();
            });
        }
        return m;
    }

    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    Agt.EngineProcess engine(int port, String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of("--policy", "policy.yaml", "--socket", dir.resolve("e.sock").toString(),
                "--audit-dir", "audit", "--otlp-endpoint", "http://127.0.0.1:" + port, "--otlp-metrics-interval", "1s",
                "--otlp-header", "x-tenant=agt-test"));
        args.addAll(List.of(more));
        Agt.EngineProcess e = new Agt.EngineProcess(dir, args.toArray(String[]::new));
        open.add(e);
        e.awaitReady();
        return e;
    }

    void policy() throws IOException {
        Path classes = Path.of(System.getProperty("user.dir"));
        Files.writeString(dir.resolve("policy.yaml"), "version: 1\ninclude: [jvm-runtime]\nrules:\n"
                + "  - {id: work, effect: allow, family: file, paths: [\"" + dir + "/work/**\"]}\n"
                + "  - {id: classpath, effect: allow, family: file, actions: [read, stat, list], paths: [\"" + System.getProperty("user.home")
                + "/.m2/**\", \"" + classes + "/**\"]}\n"
                + "  - {id: no-secrets, effect: deny, family: file, paths: [\"" + dir + "/secret/**\"]}\n");
    }

    @Test
    void decisionsArriveAsLogRecordsLinkedToTheCallersSpanWithMetrics() throws Exception {
        dir = dir.toRealPath();
        policy();
        Files.createDirectories(dir.resolve("work"));
        Files.createDirectories(dir.resolve("secret"));
        Files.writeString(dir.resolve("work/notes.txt"), "notes");
        Files.writeString(dir.resolve("work/untraced.txt"), "untraced");
        Files.writeString(dir.resolve("secret/key.txt"), "key");
        Receiver rx = new Receiver(0);
        open.add(rx);
        engine(rx.port());
        String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        String spanId = "00f067aa0ba902b7";
        Process p = new ProcessBuilder(Agt.java(), "-javaagent:" + JavaagentIT.AGENT + "=engine=" + dir.resolve("e.sock") + ",name=traced",
                "-cp", System.getProperty("java.class.path"), TracedRead.class.getName(), traceId, spanId,
                dir.resolve("work/notes.txt").toString(), dir.resolve("secret/key.txt").toString(), dir.resolve("work/untraced.txt").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("out.txt").toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        String out = Files.readString(dir.resolve("out.txt"));
        assertTrue(out.contains("READ OK " + dir.resolve("work/notes.txt")) && out.contains("READ DENIED " + dir.resolve("secret/key.txt"))
                && out.contains("READ OK " + dir.resolve("work/untraced.txt")), out);

        LogRecordSeen allowed = await(rx, dir.resolve("work/notes.txt").toString());
        assertEquals(traceId, allowed.traceId(), "linked to the caller's span: " + allowed);
        assertEquals(spanId, allowed.spanId());
        assertEquals("allow", allowed.attributes().get("agt.effect"));
        assertEquals("work", allowed.attributes().get("agt.rule"));
        assertEquals("file", allowed.attributes().get("agt.family"));
        assertEquals("read", allowed.attributes().get("agt.action"));
        assertEquals("traced", allowed.attributes().get("agt.agent.name"));
        assertEquals(9, allowed.severity(), "INFO");
        assertEquals("agt.decision", allowed.eventName());
        assertTrue(allowed.timeNanos() > 0);
        assertEquals("agt-engine", allowed.resource().get("service.name"));
        assertTrue(allowed.attributes().get("agt.checkpoint.root") instanceof String r && r.length() == 44, allowed.toString());

        LogRecordSeen denied = await(rx, dir.resolve("secret/key.txt").toString());
        assertEquals(traceId, denied.traceId());
        assertEquals("deny", denied.attributes().get("agt.effect"));
        assertEquals("no-secrets", denied.attributes().get("agt.rule"));
        assertEquals(13, denied.severity(), "WARN");
        assertTrue(denied.body().contains("denied file/read"), denied.body());

        LogRecordSeen untraced = await(rx, dir.resolve("work/untraced.txt").toString());
        assertEquals("", untraced.traceId(), "outside the span: no link");

        Await.until("the engine's metrics", Duration.ofSeconds(20), () -> Set.copyOf(rx.metrics),
                m -> m.contains("agt.decisions") && m.contains("agt.otlp.export.lag"));

        // a net decision, with the semantic conventions' names
        try (EngineClient c = EngineClient.connect(EngineAddress.parse(dir.resolve("e.sock").toString()), "direct", Map.of(), 5000)) {
            c.decide(Request.of("net", "connect", Map.of("host", "db.internal", "ip", "10.0.0.7", "port", 5432L, "transport", "tcp")), 5000);
            c.decide(Request.of("model", "chat", Map.of("provider", "openai", "model", "gpt-4o")), 5000);
        }
        LogRecordSeen net = Await.until("the net decision", Duration.ofSeconds(20),
                () -> rx.logs.stream().filter(l -> "10.0.0.7".equals(l.attributes().get("network.peer.address"))).findFirst(),
                java.util.Optional::isPresent).orElseThrow();
        assertEquals(5432L, net.attributes().get("network.peer.port"));
        assertEquals("db.internal", net.attributes().get("server.address"));
        assertEquals("tcp", net.attributes().get("network.transport"));
        LogRecordSeen model = Await.until("the model decision", Duration.ofSeconds(20),
                () -> rx.logs.stream().filter(l -> "gpt-4o".equals(l.attributes().get("gen_ai.request.model"))).findFirst(),
                java.util.Optional::isPresent).orElseThrow();
        assertEquals("openai", model.attributes().get("gen_ai.provider.name"));
        assertEquals("chat", model.attributes().get("gen_ai.operation.name"));
    }

    LogRecordSeen await(Receiver rx, String path) throws Exception {
        return Await.until("a log record for " + path, Duration.ofSeconds(20),
                () -> rx.logs.stream().filter(l -> path.equals(l.attributes().get("file.path"))).findFirst(), java.util.Optional::isPresent)
                .orElseThrow();
    }

    @Test
    void aReceiverThatHangsOrDiesHoldsUpNoDecisionAndLosesNoEntry() throws Exception {
        dir = dir.toRealPath();
        policy();
        Receiver rx = new Receiver(0);
        int port = rx.port();
        Agt.EngineProcess e = engine(port);
        EngineAddress at = EngineAddress.parse(dir.resolve("e.sock").toString());
        try (EngineClient c = EngineClient.connect(at, "steady", Map.of(), 5000)) {
            decide(c, 20, "up");
            Await.until("the first decisions exported", Duration.ofSeconds(20), () -> rx.logs.size(), n -> n >= 20);

            // the receiver takes the connection and never answers: decisions go on regardless
            CountDownLatch hang = new CountDownLatch(1);
            rx.hang = hang;
            decide(c, 5, "hang-start");
            Await.until("the exporter's request is held by the hung receiver", Duration.ofSeconds(20), () -> rx.held.get(), n -> n >= 1);
            decide(c, 30, "while-hung");
            assertEquals(1, hang.getCount(), "30 decisions were answered and logged while the receiver still held the export");

            // then it dies
            rx.close();
            decide(c, 30, "while-down");
        }
        // the engine is killed while the receiver is gone, and restarted
        e.process.destroyForcibly();
        e.process.waitFor(30, TimeUnit.SECONDS);
        Agt.EngineProcess again = engine(port);
        try (EngineClient c = EngineClient.connect(at, "steady", Map.of(), 5000)) {
            decide(c, 10, "after-restart");
        }
        Receiver back = new Receiver(port);
        open.add(back);
        long signedWhileUp = lastCheckpointSize();
        Await.until("every entry signed so far reaches the receiver once it is back", Duration.ofSeconds(60),
                () -> union(rx, back), s -> s.containsAll(range(signedWhileUp)));
        again.terminate();
        assertEquals(0, again.awaitExit(), again.stderr.toString());

        // and the stop's own entries, sent as the engine stops
        Set<Long> missing = new TreeSet<>(range(lastCheckpointSize()));
        missing.removeAll(union(rx, back));
        assertTrue(missing.isEmpty(), "every signed entry was exported, across the hang, the outage and the engine's death; missing: " + missing);
        assertTrue(back.logs.stream().anyMatch(l -> String.valueOf(l.attributes().get("file.path")).contains("while-down")),
                "the decisions made while the receiver was gone arrived once it was back");
        assertTrue(back.logs.stream().anyMatch(l -> String.valueOf(l.attributes().get("file.path")).contains("while-hung")));
        assertTrue(back.headers.contains("agt-test"), "the configured header is sent: " + back.headers);
    }

    static Set<Long> union(Receiver a, Receiver b) {
        Set<Long> s = new TreeSet<>(a.seqs());
        s.addAll(b.seqs());
        return s;
    }

    static Set<Long> range(long n) {
        Set<Long> all = new TreeSet<>();
        for (long i = 0; i < n; i++) {
            all.add(i);
        }
        return all;
    }

    void decide(EngineClient c, int n, String tag) {
        for (int i = 0; i < n; i++) {
            Decision d = c.decide(Request.of("file", "read", Map.of("path", dir + "/work/" + tag + "-" + i)), 5000);
            assertTrue(d.allowed() && d.auditSeq() >= 0, "answered and logged: " + d);
        }
    }

    long lastCheckpointSize() throws IOException {
        try (var s = Files.list(dir.resolve("audit/checkpoints"))) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.matches("[0-9]{13}\\.note"))
                    .mapToLong(n -> Long.parseLong(n.substring(0, 13))).max().orElse(0);
        }
    }
}
