package dev.agt.audit.log;

import dev.agt.audit.FsyncPolicy;
import dev.agt.audit.note.NoteKeys;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds real logs for tests: decisions with every field the engine writes. */
final class LogFixture {
    static final NoteKeys.Signer KEY = NoteKeys.generate("test-engine");

    private LogFixture() {
    }

    static AuditLog.Options options(Path dir, Path witness, long segmentBytes, long every) {
        return new AuditLog.Options(dir, KEY, "agt/test-engine", FsyncPolicy.INTERVAL, witness, segmentBytes, every, 60_000);
    }

    static Map<String, Object> decision(int i) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("type", "decision");
        e.put("time", String.format("2026-11-27T10:%02d:%02d.%03dZ", (i / 60) % 60, i % 60, i % 1000));
        e.put("agent", Map.of("id", "agent-" + (i % 3), "name", "agent-" + (i % 3), "uid", "u", "pid", 100L + i % 3,
                "auth", "local-peercred", "session", 1L));
        e.put("request", Map.of("family", "file", "action", "read", "target", Map.of("path", "/work/f" + i)));
        e.put("decision", Map.of("effect", i % 4 == 0 ? "deny" : "allow", "rule", i % 4 == 0 ? "no-secrets" : "work",
                "code", i % 4 == 0 ? "denied" : "allowed", "reason", "r"));
        e.put("policy", "abc123");
        return e;
    }

    /** Appends {@code n} decisions in groups of up to 7, checkpointing as the options say. */
    static List<Long> fill(AuditLog log, int from, int n) {
        List<Long> seqs = new ArrayList<>();
        int i = from;
        while (i < from + n) {
            int k = Math.min(7, from + n - i);
            List<Map<String, Object>> batch = new ArrayList<>();
            List<dev.agt.audit.AuditSink.Completion> done = new ArrayList<>();
            for (int j = 0; j < k; j++) {
                batch.add(decision(i + j));
                done.add((s, err) -> {
                    if (err != null) {
                        throw new AssertionError(err);
                    }
                    seqs.add(s);
                });
            }
            log.append(batch, done);
            i += k;
        }
        return seqs;
    }

    static void build(Path dir, Path witness, int entries, long segmentBytes, long checkpointEvery) throws IOException {
        try (AuditLog log = AuditLog.open(options(dir, witness, segmentBytes, checkpointEvery))) {
            fill(log, 0, entries);
        }
    }
}
