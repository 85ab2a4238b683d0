package dev.agt.audit.entry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agt.audit.FsyncPolicy;
import dev.agt.audit.log.AuditLog;
import dev.agt.audit.log.LogFiles;
import dev.agt.audit.note.NoteKeys;
import dev.agt.audit.verify.Verifier;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Outcome entries in a real signed log: the typed model reads back what the engine writes,
 * {@code AuditLog.entry} finds any entry by number, the verifier takes the new kind like any
 * other, and any edit of one is detected at its own sequence number.
 */
class OutcomeEntryTest {
    static final NoteKeys.Signer KEY = NoteKeys.generate("outcome-engine");
    static final Map<String, Object> AGENT = Map.of("id", "scout", "name", "scout", "uid", "agent", "pid", 4242L, "auth",
            "local-peercred", "session", 3L, "mode", "enforce");

    @TempDir
    Path dir;

    static Map<String, Object> decision(int i) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("type", "decision");
        e.put("time", "2026-11-27T10:00:" + String.format("%02d", i % 60) + ".000Z");
        e.put("agent", AGENT);
        e.put("request", Map.of("family", "process", "action", "exec", "target", Map.of("executable", "/usr/bin/python3")));
        e.put("decision", Map.of("effect", "allow", "rule", "py", "code", "allowed", "reason", "r", "sandbox", "strict"));
        e.put("policy", "v1");
        return e;
    }

    static OutcomeEntry overridden(long follows) {
        return new OutcomeEntry(-1, "2026-11-27T10:01:00.000Z", AGENT, "overridden", "deny", "sandbox-unavailable",
                "sandbox strict cannot be set up: bwrap not found", "2026-11-27T10:00:59.990Z", follows, OutcomeEntry.NONE, Optional.empty(),
                false, Optional.empty());
    }

    static OutcomeEntry lateFailOpen() {
        return new OutcomeEntry(-1, "2026-11-27T10:02:00.000Z", AGENT, "passed-fail-open", "allow", "engine-unreachable", "connect refused",
                "2026-11-27T10:01:30.000Z", OutcomeEntry.NONE, OutcomeEntry.NONE,
                Optional.of(Map.of("family", "net", "action", "connect", "target", Map.of("host", "api.example.com", "port", 443L))), true,
                Optional.of(new OutcomeEntry.Gap(4, 2, "2026-11-27T10:01:29.000Z", Map.of("passed-fail-open", 2L))));
    }

    AuditLog open(Path d) throws IOException {
        return AuditLog.open(new AuditLog.Options(d, KEY, "agt/outcome-engine", FsyncPolicy.NEVER, null, 2048, 5, 60_000));
    }

    /** 30 decisions with outcomes among them; returns the outcome entries' numbers. */
    List<Long> write(Path d) throws IOException {
        List<Long> outcomes = new ArrayList<>();
        try (AuditLog log = open(d)) {
            for (int i = 0; i < 30; i++) {
                long seq = log.appendAndWait(decision(i));
                if (i % 7 == 3) {
                    outcomes.add(log.appendAndWait(EntryCodec.toMap(overridden(seq))));
                }
                if (i == 20) {
                    outcomes.add(log.appendAndWait(EntryCodec.toMap(OutcomeEvent.lost("2026-11-27T10:02:00.000Z", AGENT, 2, 4, "2026-11-27T10:01:29.000Z",
                            Map.of("passed-fail-open", 2L)))));
                    outcomes.add(log.appendAndWait(EntryCodec.toMap(lateFailOpen())));
                    outcomes.add(log.appendAndWait(EntryCodec.toMap(OutcomeEvent.refused("2026-11-27T10:02:01.000Z", AGENT, "not-own-decision",
                            "#1 is a decision of another agent", Optional.of(Map.of("outcome", "overridden", "follows", 1L))))));
                }
            }
        }
        return outcomes;
    }

    /** The entry as {@code kind}, or empty when it is another kind of entry or no entry at all. */
    static <T extends LogEntry> Optional<T> as(Class<T> kind, JsonNode line) {
        try {
            LogEntry e = EntryCodec.read(line);
            return kind.isInstance(e) ? Optional.of(kind.cast(e)) : Optional.empty();
        } catch (MalformedEntryException e) {
            return Optional.empty();
        }
    }

    static JsonNode line(Path d, long seq) throws IOException {
        for (Path s : LogFiles.segments(d)) {
            for (String l : Files.readAllLines(s, StandardCharsets.UTF_8)) {
                JsonNode n = Json.MAPPER.readTree(l);
                if (n.path("seq").asLong() == seq) {
                    return n;
                }
            }
        }
        throw new AssertionError("no #" + seq);
    }

    @Test
    void whatTheEngineWritesReadsBackTheSame() throws IOException {
        List<Long> seqs = write(dir);
        OutcomeEntry o = as(OutcomeEntry.class, line(dir, seqs.get(0))).orElseThrow();
        assertEquals(seqs.get(0), o.seq());
        assertEquals(seqs.get(0) - 1, o.follows());
        assertTrue(o.followsDecision());
        assertEquals(overridden(o.follows()), new OutcomeEntry(-1, o.time(), o.agent(), o.kind(), o.effect(), o.code(), o.reason(), o.at(),
                o.follows(), o.followsSession(), o.request(), o.spooled(), o.gap()));
        assertEquals("scout", o.agentName());
        assertEquals(3, o.session());

        long lateSeq = seqs.stream().filter(s -> {
            try {
                return as(OutcomeEntry.class, line(dir, s)).map(OutcomeEntry::spooled).orElse(false);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }).findFirst().orElseThrow();
        OutcomeEntry late = as(OutcomeEntry.class, line(dir, lateSeq)).orElseThrow();
        assertFalse(late.followsDecision());
        assertEquals(lateFailOpen().gap(), late.gap());
        assertEquals("api.example.com", ((Map<?, ?>) late.request().orElseThrow().get("target")).get("host"));

        OutcomeEvent lost = as(OutcomeEvent.class, line(dir, lateSeq - 1)).orElseThrow();
        assertEquals(OutcomeEvent.LOST, lost.event());
        assertEquals(2, lost.dropped());
        assertEquals(Map.of("passed-fail-open", 2L), lost.droppedKinds());
        OutcomeEvent refused = as(OutcomeEvent.class, line(dir, lateSeq + 1)).orElseThrow();
        assertEquals("not-own-decision", refused.code());
        assertEquals(1L, ((Number) refused.claimed().orElseThrow().get("follows")).longValue());

        assertTrue(as(OutcomeEntry.class, line(dir, 0)).isEmpty(), "a decision is not an outcome");
        assertTrue(as(OutcomeEvent.class, line(dir, 0)).isEmpty());
        assertTrue(as(OutcomeEntry.class, Json.MAPPER.readTree("[1]")).isEmpty());
        // a line that does not verify may hold anything: read what there is, never fail
        OutcomeEntry odd = as(OutcomeEntry.class, Json.MAPPER.readTree("{\"type\":\"outcome\",\"agent\":{\"name\":null},\"follows\":\"x\"}")).orElseThrow();
        assertEquals(OutcomeEntry.NONE, odd.follows());
        assertEquals("?", odd.kind());
    }

    @Test
    void anyEntryCanBeReadBackByItsNumberAsStored() throws IOException {
        write(dir);
        assertTrue(LogFiles.segments(dir).size() > 3, "the log must span several segments");
        try (AuditLog log = open(dir)) {
            for (long seq = 0; seq < log.nextSeq(); seq++) {
                byte[] stored = log.entry(seq).orElseThrow(() -> new AssertionError("no entry"));
                assertEquals(seq, Json.MAPPER.readTree(stored).path("seq").asLong());
                assertArrayEquals(Json.MAPPER.writeValueAsBytes(Json.MAPPER.readTree(stored)), stored, "the stored bytes, canonical");
            }
            assertTrue(log.entry(log.nextSeq()).isEmpty());
            assertTrue(log.entry(-1).isEmpty());
        }
    }

    @Test
    void theVerifierTakesOutcomeEntriesAndCatchesEveryEdit() throws IOException {
        Path original = dir.resolve("log");
        List<Long> seqs = write(original);
        Verifier.Report ok = Verifier.verify(original, KEY.verifier(), null);
        assertTrue(ok.ok(), ok.toString());
        assertEquals(ok.signedSize(), ok.entries(), "every entry, outcomes included, is covered by a signed checkpoint");

        long target = seqs.get(1); // an overridden entry in the middle of the log
        List<UnaryOperator<String>> edits = List.of(
                l -> l.replace("\"kind\":\"overridden\"", "\"kind\":\"passed-monitor\""),
                l -> l.replace("\"effect\":\"deny\"", "\"effect\":\"allow\""),
                l -> l.replace("\"follows\":" + (target - 1), "\"follows\":" + (target - 3)),
                l -> l.replace("\"code\":\"sandbox-unavailable\"", "\"code\":\"launch-changed\""),
                l -> l.replace("\"type\":\"outcome\"", "\"type\":\"event\""));
        int n = 0;
        for (UnaryOperator<String> edit : edits) {
            Path copy = copy(original, dir.resolve("copy" + n++));
            edit(copy, target, edit);
            Verifier.Report r = Verifier.verify(copy, KEY.verifier(), null);
            assertFalse(r.ok(), "an edited outcome entry must not verify");
            assertEquals(target, r.firstBad(), r.toString());
            assertEquals("modified", r.kind(), r.toString());
        }
        // and the lost-outcomes count, a gap made smaller
        long lost = seqs.stream().filter(s -> {
            try {
                return as(OutcomeEvent.class, line(original, s)).map(e -> e.event().equals(OutcomeEvent.LOST)).orElse(false);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }).findFirst().orElseThrow();
        Path copy = copy(original, dir.resolve("copy-lost"));
        edit(copy, lost, l -> l.replace("\"dropped\":2", "\"dropped\":0"));
        Verifier.Report r = Verifier.verify(copy, KEY.verifier(), null);
        assertFalse(r.ok());
        assertEquals(lost, r.firstBad(), r.toString());
    }

    static void edit(Path d, long seq, UnaryOperator<String> edit) throws IOException {
        for (Path s : LogFiles.segments(d)) {
            List<String> lines = Files.readAllLines(s, StandardCharsets.UTF_8);
            for (int i = 0; i < lines.size(); i++) {
                if (Json.MAPPER.readTree(lines.get(i)).path("seq").asLong() == seq) {
                    String changed = edit.apply(lines.get(i));
                    if (changed.equals(lines.get(i))) {
                        throw new AssertionError("the edit changed nothing in #" + seq + ": " + lines.get(i));
                    }
                    lines.set(i, changed);
                    Files.write(s, lines, StandardCharsets.UTF_8);
                    return;
                }
            }
        }
        throw new AssertionError("no #" + seq);
    }

    static Path copy(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.sorted().toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
        return to;
    }
}
