package dev.agt.engine.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agt.audit.AuditSink;
import dev.agt.audit.FsyncPolicy;
import dev.agt.audit.log.LogFiles;
import dev.agt.identity.AgentKey;
import dev.agt.protocol.Authenticator;
import dev.agt.protocol.Decision;
import dev.agt.protocol.EngineAddress;
import dev.agt.protocol.EngineClient;
import dev.agt.protocol.Request;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One engine in this JVM on a real Unix socket, its clients, and its log as written: the set-up
 * every engine test shares, and none of what they assert. Register it per test with
 * {@code @RegisterExtension final EngineFixture f = new EngineFixture();}: before each test it
 * makes a fresh directory; after it (and after the test's own {@code @AfterEach}) it closes the
 * clients, then the engine, then removes the directory.
 *
 * <p>Layout in {@link #dir()}: {@code policy.yaml}, {@code engine.sock}, {@code audit/} (so the
 * key, state and registry defaults land beside it as {@code audit.key}, {@code audit.state/}...).
 */
final class EngineFixture implements BeforeEachCallback, AfterEachCallback {
    static final ObjectMapper JSON = new ObjectMapper();
    /** How long a test waits for something the engine does in the background before it fails. */
    static final long WAIT_SECONDS = 20;

    private Path dir;
    private Engine engine;
    private final ByteArrayOutputStream output = new ByteArrayOutputStream();
    private final List<EngineClient> clients = new ArrayList<>();

    @Override
    public void beforeEach(ExtensionContext context) throws IOException {
        dir = Files.createTempDirectory("agt-engine-test");
    }

    @Override
    public void afterEach(ExtensionContext context) throws IOException {
        try {
            closeClients();
            stopEngine();
        } finally {
            try (Stream<Path> all = Files.walk(dir)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    // ---- where things are

    Path dir() {
        return dir;
    }

    Path file(String name) {
        return dir.resolve(name);
    }

    Path policyFile() {
        return dir.resolve("policy.yaml");
    }

    Path socket() {
        return dir.resolve("engine.sock");
    }

    Path audit() {
        return dir.resolve("audit");
    }

    EngineAddress address() {
        return EngineAddress.parse(socket().toString());
    }

    // ---- the engine

    void writePolicy(String yaml) throws IOException {
        Files.writeString(policyFile(), yaml);
    }

    /** The socket, the audit directory and the policy file of this fixture; interval fsync, no metrics, no watching. */
    EngineConfig config() {
        return new EngineConfig(policyFile(), Map.of(), socket(), null, null, audit(), FsyncPolicy.INTERVAL, 0, false);
    }

    /** Writes {@code policy} and starts the engine on {@link #config()}. */
    Engine start(String policy) throws Exception {
        writePolicy(policy);
        return start(config());
    }

    /** Starts an engine on {@code cfg}, the policy file as it is. */
    Engine start(EngineConfig cfg) throws Exception {
        return start(cfg, null);
    }

    /**
     * Starts an engine on {@code cfg}, its log opened by {@code sinks} (null: the real log). The
     * engine is this fixture's even if {@code start()} throws, so it is closed after the test.
     */
    Engine start(EngineConfig cfg, Engine.SinkFactory sinks) throws Exception {
        PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8);
        engine = sinks == null ? new Engine(cfg, out) : new Engine(cfg, out, sinks);
        engine.start();
        return engine;
    }

    Engine engine() {
        if (engine == null) {
            throw new AssertionError("the test started no engine (or stopped it)");
        }
        return engine;
    }

    /** Closes the engine (its clients stay as they are: they see it go), as for a restart or to verify the log. */
    void stopEngine() {
        if (engine != null) {
            engine.close();
            engine = null;
        }
    }

    /** What the engines of this test printed. */
    String output() {
        return output.toString(StandardCharsets.UTF_8);
    }

    // ---- clients, closed after the test

    EngineClient client(String name) throws IOException {
        return client(name, Map.of());
    }

    EngineClient client(String name, Map<String, Object> hello) throws IOException {
        return keep(EngineClient.connect(address(), name, hello, 5000));
    }

    /** A client proving {@code key}'s identity (and its delegation chain, if any). */
    EngineClient as(AgentKey key) throws IOException {
        return keep(EngineClient.connect(address(), key.name(), Map.of(), 5000, Authenticator.of(key.did(), key.chain(), key::sign)));
    }

    /** An admin session, as {@code agt} opens one. */
    EngineClient admin() throws IOException {
        return client("agt-cli", Map.of("admin", true));
    }

    private EngineClient keep(EngineClient c) {
        clients.add(c);
        return c;
    }

    void closeClients() {
        clients.forEach(EngineClient::close);
        clients.clear();
    }

    // ---- the log, as written

    List<JsonNode> auditLines() throws IOException {
        return auditLines(audit());
    }

    static List<JsonNode> auditLines(Path auditDir) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (Path seg : LogFiles.segments(auditDir)) {
            for (String l : Files.readAllLines(seg, StandardCharsets.UTF_8)) {
                out.add(JSON.readTree(l));
            }
        }
        return out;
    }

    JsonNode entry(long seq) throws IOException {
        return auditLines().stream().filter(n -> n.get("seq").asLong() == seq).findFirst()
                .orElseThrow(() -> new AssertionError("no entry #" + seq + " in the log"));
    }

    JsonNode entry(Decision d) throws IOException {
        return entry(d.auditSeq());
    }

    /** The events of one kind ({@code session-start}, {@code kill}...), in log order. */
    List<JsonNode> events(String kind) throws IOException {
        return auditLines().stream().filter(n -> kind.equals(n.path("event").asText())).toList();
    }

    List<JsonNode> decisions() throws IOException {
        return auditLines().stream().filter(n -> "decision".equals(n.path("type").asText())).toList();
    }

    // ---- shared helpers

    static Request read(String path) {
        return Request.of("file", "read", Map.of("path", path));
    }

    /**
     * Polls {@code probe} until {@code done} holds and returns that value; after
     * {@link #WAIT_SECONDS} fails saying what was awaited and what was seen last. For what the
     * engine does in the background: never a fixed sleep.
     */
    static <T> T waitFor(String what, Callable<T> probe, Predicate<T> done) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        T v = probe.call();
        while (!done.test(v)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("waited " + WAIT_SECONDS + " s for " + what + "; last seen: " + v);
            }
            Thread.sleep(20);
            v = probe.call();
        }
        return v;
    }

    /** A log that fails every write while {@code failing} is set, like a full disk. */
    static Engine.SinkFactory failingWhile(AtomicBoolean failing) {
        return cfg -> new FailingSink(Engine.openLog(cfg), failing);
    }

    private static final class FailingSink implements AuditSink {
        final AuditSink inner;
        final AtomicBoolean failing;

        FailingSink(AuditSink inner, AtomicBoolean failing) {
            this.inner = inner;
            this.failing = failing;
        }

        @Override
        public void append(List<Map<String, Object>> entries, List<Completion> done) {
            if (failing.get()) {
                done.forEach(d -> d.done(-1, new IOException("No space left on device")));
            } else {
                inner.append(entries, done);
            }
        }

        @Override
        public long nextSeq() {
            return inner.nextSeq();
        }

        @Override
        public long failures() {
            return inner.failures();
        }

        @Override
        public void close() throws IOException {
            inner.close();
        }
    }
}
