package dev.agt.bench.roundtrip;

import dev.agt.audit.FsyncPolicy;
import dev.agt.engine.server.Engine;
import dev.agt.engine.server.EngineConfig;
import dev.agt.protocol.Decision;
import dev.agt.protocol.EngineAddress;
import dev.agt.protocol.EngineClient;
import dev.agt.protocol.Request;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Eight threads sharing one connection, twice: against a bare Unix-socket echo (the floor, see
 * {@link EchoClient} and {@link EchoServer}) and against a real engine started in this JVM,
 * which decodes, evaluates, appends to its audit log (fsync on an interval) and only then
 * answers. Run both in one invocation: their ratio is the number that means something, since
 * the absolute times move with the machine.
 *
 * <p>Each pair of methods is the same call timed two ways: {@code *Latency} samples single
 * calls (p50, p99 in microseconds), {@code *Throughput} counts completed calls per second over
 * all eight threads.
 */
@Threads(8)
@Fork(1)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
public class RoundTripBench {
    static final long TIMEOUT_MS = 5000;
    static final String POLICY = String.join("\n",
            "version: 1",
            "rules:",
            "  - id: workspace",
            "    effect: allow",
            "    family: file",
            "    actions: [read, write, create, list]",
            "    paths: [\"/srv/agent/work/**\"]",
            "  - id: no-secrets",
            "    effect: deny",
            "    family: file",
            "    paths: [\"/home/u/.ssh/**\", \"**/.env\", \"**/*.pem\"]",
            "  - id: model-api",
            "    effect: allow",
            "    family: net",
            "    actions: [resolve, connect]",
            "    hosts: [\"api.openai.com\"]",
            "    ports: [443]",
            "");

    @State(Scope.Benchmark)
    public static class Echo {
        Path dir;
        EchoServer server;
        EchoClient client;

        @Setup(Level.Trial)
        public void start() throws IOException, InterruptedException, TimeoutException {
            dir = Files.createTempDirectory("agt-bench-echo");
            server = new EchoServer(dir.resolve("echo.sock"));
            client = new EchoClient(dir.resolve("echo.sock"));
            client.roundTrip(TIMEOUT_MS);
        }

        @TearDown(Level.Trial)
        public void stop() throws IOException {
            client.close();
            server.close();
            deleteTree(dir);
        }
    }

    @State(Scope.Benchmark)
    public static class Governed {
        /** The audit log's fsync policy: the default {@code INTERVAL}, or the others for comparison. */
        @Param({"INTERVAL"})
        public FsyncPolicy fsync;

        Path dir;
        Engine engine;
        EngineClient client;
        Request request;

        @Setup(Level.Trial)
        public void start() throws Exception {
            dir = Files.createTempDirectory("agt-bench-engine");
            Path policy = Files.writeString(dir.resolve("policy.yaml"), POLICY);
            Path socket = dir.resolve("engine.sock");
            engine = new Engine(new EngineConfig(policy, Map.of(), socket, null, null, dir.resolve("audit"),
                    fsync, 0, false), System.err);
            engine.start();
            client = EngineClient.connect(EngineAddress.parse(socket.toString()), "bench", Map.of(), TIMEOUT_MS);
            request = Request.of("file", "read", Map.of("path", "/srv/agent/work/src/main/java/App.java"));
            Decision d = client.decide(request, TIMEOUT_MS);
            if (!d.allowed() || d.auditSeq() < 0) {
                throw new IllegalStateException("the engine should allow the workspace read and log it, answered " + d);
            }
        }

        @TearDown(Level.Trial)
        public void stop() throws IOException {
            client.close();
            engine.close();
            deleteTree(dir); // the audit log of a trial runs to hundreds of megabytes
        }

        Decision decide() {
            Decision d = client.decide(request, TIMEOUT_MS);
            if (!d.allowed()) {
                throw new IllegalStateException("the engine denied the workspace read during the run: " + d);
            }
            return d;
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public long echoLatency(Echo e) throws Exception {
        return e.client.roundTrip(TIMEOUT_MS);
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public long echoThroughput(Echo e) throws Exception {
        return e.client.roundTrip(TIMEOUT_MS);
    }

    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public Decision decideLatency(Governed g) {
        return g.decide();
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public Decision decideThroughput(Governed g) {
        return g.decide();
    }

    static void deleteTree(Path dir) throws IOException {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
