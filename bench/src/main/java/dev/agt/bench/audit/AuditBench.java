package dev.agt.bench.audit;

import dev.agt.audit.AuditSink;
import dev.agt.audit.FsyncPolicy;
import dev.agt.audit.log.AuditLog;
import dev.agt.audit.note.NoteKeys;
import dev.agt.audit.verify.ProofFiles;
import dev.agt.audit.verify.Verifier;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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
 * The signed log: append throughput (8 threads, one decision-sized entry per call, so group
 * commit has to find the groups itself), verification of a 1,000,000-entry log, and checking
 * one inclusion proof offline.
 */
@Fork(1)
public class AuditBench {
    static final NoteKeys.Signer KEY = NoteKeys.generate("bench-engine");

    static Map<String, Object> entry(long i) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("type", "decision");
        e.put("time", "2026-11-27T10:00:00.000000000Z");
        e.put("agent", Map.of("id", "agent-1", "name", "agent-1", "uid", "svc", "pid", 4242L, "auth", "local-peercred", "session", 1L));
        e.put("request", Map.of("family", "file", "action", "read", "target", Map.of("path", "/srv/agent/work/src/File" + i + ".java"),
                "thread", "main"));
        e.put("decision", Map.of("effect", "allow", "rule", "workspace", "code", "allowed", "reason", "allowed by rule workspace"));
        e.put("policy", "0438a24f66e351878ff776e4f80de8478b6453684dd1faba2f29f92e46e5c742");
        return e;
    }

    static void delete(Path dir) throws IOException {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @State(Scope.Benchmark)
    public static class Appending {
        @Param({"INTERVAL"})
        public FsyncPolicy fsync;

        Path dir;
        AuditLog log;

        @Setup(Level.Trial)
        public void open() throws IOException {
            dir = Files.createTempDirectory("agt-bench-append");
            log = AuditLog.open(AuditLog.Options.defaults(dir, KEY, fsync, null));
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            log.close();
            delete(dir);
        }
    }

    @Benchmark
    @Threads(8)
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @Warmup(iterations = 3, time = 2)
    @Measurement(iterations = 5, time = 2)
    public long append(Appending a) {
        long[] seq = {-1};
        a.log.append(List.of(entry(System.nanoTime())), List.of((AuditSink.Completion) (s, e) -> seq[0] = s));
        if (seq[0] < 0) {
            throw new IllegalStateException("append failed");
        }
        return seq[0];
    }

    @State(Scope.Benchmark)
    public static class BigLog {
        @Param({"1000000"})
        public int entries;

        Path dir;
        String proof;

        @Setup(Level.Trial)
        public void build() throws Exception {
            dir = Files.createTempDirectory("agt-bench-verify");
            try (AuditLog log = AuditLog.open(new AuditLog.Options(dir, KEY, "agt/bench-engine", FsyncPolicy.NEVER, null,
                    64L << 20, 100_000, 60_000))) {
                for (int i = 0; i < entries; i += 100) {
                    List<Map<String, Object>> batch = new ArrayList<>(100);
                    List<AuditSink.Completion> done = new ArrayList<>(100);
                    for (int j = 0; j < 100; j++) {
                        batch.add(entry(i + j));
                        done.add((s, e) -> {
                        });
                    }
                    log.append(batch, done);
                }
            }
            proof = new ObjectMapper().writeValueAsString(ProofFiles.inclusion(dir, entries / 2, entries));
        }

        @TearDown(Level.Trial)
        public void remove() throws IOException {
            delete(dir);
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @Warmup(iterations = 1)
    @Measurement(iterations = 3)
    public Verifier.Report verifyMillionEntries(BigLog b) throws IOException {
        Verifier.Report r = Verifier.verify(b.dir, KEY.verifier(), null);
        if (!r.ok() || r.entries() != b.entries) {
            throw new IllegalStateException("the benchmark log must verify: " + r);
        }
        return r;
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @Warmup(iterations = 3, time = 1)
    @Measurement(iterations = 5, time = 1)
    public String checkInclusionProof(BigLog b) throws Exception {
        return ProofFiles.check(b.proof, KEY.verifier());
    }
}
