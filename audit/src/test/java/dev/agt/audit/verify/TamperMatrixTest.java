package dev.agt.audit.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.agt.audit.FsyncPolicy;
import dev.agt.audit.log.AuditLog;
import dev.agt.audit.log.LogFiles;
import dev.agt.audit.merkle.Hashes;
import dev.agt.audit.note.Checkpoint;
import dev.agt.audit.note.NoteKeys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every way of tampering with a log that the issue names, applied to a copy of a real log:
 * each must be detected by {@code verify}, at the right sequence number.
 */
class TamperMatrixTest {
    static final NoteKeys.Signer KEY = NoteKeys.generate("tamper-engine");
    static final int N = 300;
    static final String[] FIELDS = {"agent", "decision", "policy", "prev", "request", "seq", "time", "type"};
    static Path original;
    static Path witness;

    @TempDir
    static Path shared;

    @TempDir
    Path work;

    static AuditLog.Options options(Path dir, Path witnessDir, NoteKeys.Signer key) {
        return new AuditLog.Options(dir, key, "agt/tamper-engine", FsyncPolicy.NEVER, witnessDir, 16 * 1024, 100, 60_000);
    }

    static Map<String, Object> entry(int i, String salt) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("type", "decision");
        e.put("time", "2026-11-27T10:00:" + String.format("%02d", i % 60) + "Z");
        e.put("agent", Map.of("name", "agent" + (i % 3), "uid", "user" + salt));
        e.put("request", Map.of("family", "file", "action", "read", "target", Map.of("path", "/work/file" + i)));
        e.put("decision", Map.of("effect", "allow", "rule", "work" + salt));
        e.put("policy", "policy" + salt);
        return e;
    }

    static void build(Path dir, Path witnessDir, NoteKeys.Signer key, int n, String salt) throws IOException {
        try (AuditLog log = AuditLog.open(options(dir, witnessDir, key))) {
            for (int i = 0; i < n; i += 5) {
                List<Map<String, Object>> batch = new ArrayList<>();
                List<dev.agt.audit.AuditSink.Completion> done = new ArrayList<>();
                for (int j = i; j < Math.min(n, i + 5); j++) {
                    batch.add(entry(j, salt));
                    done.add((s, e) -> {
                        if (e != null) {
                            throw new AssertionError(e);
                        }
                    });
                }
                log.append(batch, done);
            }
        }
    }

    @BeforeAll
    static void buildOriginal() throws IOException {
        original = shared.resolve("log");
        witness = shared.resolve("witness");
        build(original, witness, KEY, N, "");
        Verifier.Report r = Verifier.verify(original, KEY.verifier(), witness);
        assertTrue(r.ok(), "the untouched log must verify: " + r);
        assertTrue(LogFiles.segments(original).size() > 3, "the log must span several segments");
    }

    Path copy() throws IOException {
        return copy("copy");
    }

    Path copy(String name) throws IOException {
        Path d = work.resolve(name);
        try (Stream<Path> s = Files.walk(original)) {
            for (Path p : s.toList()) {
                Path t = d.resolve(original.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
        return d;
    }

    /** All lines across segments, with where they live. */
    record Loc(Path segment, int index) {
    }

    static List<Loc> locate(Path dir) throws IOException {
        List<Loc> out = new ArrayList<>();
        for (Path s : LogFiles.segments(dir)) {
            int n = Files.readAllLines(s).size();
            for (int i = 0; i < n; i++) {
                out.add(new Loc(s, i));
            }
        }
        return out;
    }

    static void edit(Path dir, int seq, java.util.function.UnaryOperator<String> f) throws IOException {
        Loc l = locate(dir).get(seq);
        List<String> lines = new ArrayList<>(Files.readAllLines(l.segment()));
        lines.set(l.index(), f.apply(lines.get(l.index())));
        Files.write(l.segment(), lines);
    }

    /** Changes one character inside the value of a top-level field, keeping it a plausible value. */
    static String flipIn(String line, String field) {
        int at = line.indexOf("\"" + field + "\":");
        if (at < 0) {
            throw new AssertionError("no field " + field + " in " + line);
        }
        int i = at + field.length() + 3;
        while (!Character.isLetterOrDigit(line.charAt(i))) {
            i++;
        }
        char c = line.charAt(i);
        char d = Character.isDigit(c) ? (c == '9' ? '8' : (char) (c + 1))
                : field.equals("prev") ? (c == 'f' ? 'e' : c == 'a' ? 'b' : (char) (c + 1)) : (c == 'z' ? 'y' : (char) (c + 1));
        return line.substring(0, i) + d + line.substring(i + 1);
    }

    Verifier.Report verify(Path d, Path w) throws IOException {
        return Verifier.verify(d, KEY.verifier(), w);
    }

    static Stream<Arguments> fieldCases() {
        Random r = new Random(1127);
        List<Arguments> out = new ArrayList<>();
        int[] picks = {0, 1 + r.nextInt(N - 2), 1 + r.nextInt(N - 2), N - 1};
        for (int k : picks) {
            for (String f : FIELDS) {
                out.add(Arguments.of(k, f));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "one byte of {1} in #{0}")
    @MethodSource("fieldCases")
    void changingOneByteOfAnyFieldIsCaughtAtThatEntry(int seq, String field) throws IOException {
        Path d = copy();
        edit(d, seq, l -> flipIn(l, field));
        Verifier.Report r = verify(d, null);
        assertFalse(r.ok(), "undetected: " + field + " of #" + seq);
        assertEquals(seq, r.firstBad(), r.kind() + ": " + r.message());
    }

    @Test
    void deletionIsCaught() throws IOException {
        Path d = copy();
        Loc l = locate(d).get(137);
        List<String> lines = new ArrayList<>(Files.readAllLines(l.segment()));
        lines.remove(l.index());
        Files.write(l.segment(), lines);
        Verifier.Report r = verify(d, null);
        assertEquals(137, r.firstBad());
        assertEquals("deleted", r.kind(), r.message());
    }

    @Test
    void duplicationIsCaught() throws IOException {
        Path d = copy();
        edit(d, 60, l -> l + "\n" + l);
        Verifier.Report r = verify(d, null);
        assertEquals(61, r.firstBad());
        assertEquals("duplicated", r.kind(), r.message());
    }

    @Test
    void swappingTwoEntriesIsCaught() throws IOException {
        Path d = copy();
        Loc a = locate(d).get(200);
        List<String> lines = new ArrayList<>(Files.readAllLines(a.segment()));
        assertTrue(a.index() + 1 < lines.size(), "pick two entries of one segment");
        String t = lines.get(a.index());
        lines.set(a.index(), lines.get(a.index() + 1));
        lines.set(a.index() + 1, t);
        Files.write(a.segment(), lines);
        Verifier.Report r = verify(d, null);
        assertEquals(200, r.firstBad());
        assertEquals("reordered", r.kind(), r.message());
    }

    @Test
    void truncationIsCaught() throws IOException {
        Path d = copy();
        List<Path> segs = LogFiles.segments(d);
        Path last = segs.get(segs.size() - 1);
        List<String> lines = Files.readAllLines(last);
        Files.write(last, lines.subList(0, lines.size() - 5));
        Verifier.Report r = verify(d, null);
        assertEquals(N - 5, r.firstBad());
        assertEquals("truncated", r.kind(), r.message());
        // dropping a whole segment in the middle breaks the sequence
        Path mid = copy("copy2");
        Files.delete(LogFiles.segments(mid).get(1));
        Verifier.Report r2 = verify(mid, null);
        assertEquals(LogFiles.firstSeq(LogFiles.segments(original).get(1)), r2.firstBad());
    }

    @Test
    void anEntryAppendedUnderAnotherKeyIsCaught() throws IOException {
        Path d = copy();
        List<Path> segs = LogFiles.segments(d);
        Path last = segs.get(segs.size() - 1);
        List<String> lines = Files.readAllLines(last);
        String prev = HexFormat.of().formatHex(Hashes.leaf(lines.get(lines.size() - 1).getBytes(StandardCharsets.UTF_8)));
        String forged = "{\"decision\":{\"effect\":\"allow\",\"rule\":\"work\"},\"prev\":\"" + prev + "\",\"seq\":" + N
                + ",\"type\":\"decision\"}";
        Files.writeString(last, forged + "\n", java.nio.file.StandardOpenOption.APPEND);
        // without a checkpoint the forged entry is only "not covered": say so
        Verifier.Report unsigned = verify(d, null);
        assertTrue(unsigned.warnings().stream().anyMatch(w -> w.contains("#" + N + "..#" + N + " are not covered")), unsigned.toString());
        // with a checkpoint signed by another key (same name), it is refused
        NoteKeys.Signer intruder = NoteKeys.generate("tamper-engine");
        dev.agt.audit.merkle.CompactRange range = new dev.agt.audit.merkle.CompactRange();
        for (Loc l : locate(d)) {
            range.append(Hashes.leaf(Files.readAllLines(l.segment()).get(l.index()).getBytes(StandardCharsets.UTF_8)));
        }
        String note = new Checkpoint("agt/tamper-engine", N + 1, range.root()).sign(intruder);
        Files.writeString(LogFiles.checkpointsDir(d).resolve(LogFiles.checkpointName(N + 1)), note);
        Verifier.Report r = verify(d, null);
        assertFalse(r.ok());
        assertEquals("unknown-key", r.kind(), r.message());
        assertEquals(N, r.firstBad());
    }

    @Test
    void aForgedSignatureIsCaught() throws IOException {
        Path d = copy();
        Path cp = LogFiles.checkpoints(d).get(1);
        String note = Files.readString(cp);
        int sig = note.lastIndexOf(' ') + 10;
        char c = note.charAt(sig);
        Files.writeString(cp, note.substring(0, sig) + (c == 'A' ? 'B' : 'A') + note.substring(sig + 1));
        Verifier.Report r = verify(d, null);
        assertFalse(r.ok());
        assertEquals("bad-signature", r.kind(), r.message());
        assertEquals(LogFiles.checkpointSize(LogFiles.checkpoints(d).get(0)), r.firstBad());
    }

    @Test
    void replacingTheWholeLogIsCaughtByTheWitness() throws IOException {
        // a complete, self-consistent log with other content, signed with the real key
        Path replacement = work.resolve("replacement");
        build(replacement, null, KEY, N + 20, "-rewritten");
        assertTrue(verify(replacement, null).ok(), "on its own, the replacement verifies");
        Verifier.Report r = verify(replacement, witness);
        assertFalse(r.ok(), "the witness remembers the original");
        assertEquals("fork", r.kind(), r.message());
        // a shorter replacement is caught as truncation against the witness
        Path shorter = work.resolve("shorter");
        build(shorter, null, KEY, 50, "");
        Verifier.Report s = verify(shorter, witness);
        assertFalse(s.ok());
        assertEquals("truncated", s.kind(), s.message());
    }

    @Test
    void theUntouchedCopyVerifies() throws IOException {
        Verifier.Report r = verify(copy(), witness);
        assertTrue(r.ok(), r.toString());
        assertEquals(N, r.entries());
        assertEquals(N, r.signedSize());
    }
}
