package dev.agt.audit.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.agt.audit.FsyncPolicy;
import dev.agt.audit.note.NoteKeys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the OCSF and OTLP exporters read the log with, and where they keep their place. */
class LogFollowerTest {
    @TempDir
    Path dir;
    final NoteKeys.Signer key = NoteKeys.generate("follow");

    /** Three rounds of entries, each closed by a checkpoint (sizes 10, 25, 40), and 5 entries no checkpoint covers. */
    void write() throws IOException {
        try (AuditLog log = AuditLog.open(new AuditLog.Options(dir, key, "agt/follow", FsyncPolicy.NEVER, null, 2048, 1_000_000, 3_600_000))) {
            int i = 0;
            for (int round : new int[] {10, 15, 15}) {
                for (int k = 0; k < round; k++) {
                    log.appendAndWait(Map.of("type", "note", "i", (long) i++));
                }
                log.checkpoint();
            }
            for (int k = 0; k < 5; k++) {
                log.appendAndWait(Map.of("type", "note", "i", (long) i++));
            }
        }
        // close may sign the last five too: drop that checkpoint so they stay uncovered
        for (Path p : LogFiles.checkpoints(dir)) {
            if (LogFiles.checkpointSize(p) > 40) {
                Files.delete(p);
            }
        }
    }

    List<LogFollower.Batch> drain(LogFollower f) throws IOException {
        List<LogFollower.Batch> out = new ArrayList<>();
        for (Optional<LogFollower.Batch> b; (b = f.poll()).isPresent(); ) {
            out.add(b.get());
        }
        return out;
    }

    @Test
    void handsOverEveryCoveredEntryOnceACheckpointAtATimeAndResumes() throws IOException {
        write();
        LogFollower f = new LogFollower(dir, 0, key.verifier());
        List<LogFollower.Batch> batches = drain(f);
        assertEquals(List.of(10L, 25L, 40L), batches.stream().map(b -> b.checkpoint().size()).toList());
        assertEquals(List.of(0L, 10L, 25L), batches.stream().map(LogFollower.Batch::from).toList());
        assertEquals(40, f.next(), "the five uncovered entries wait for a checkpoint");
        String first = new String(batches.get(1).lines().get(0), StandardCharsets.UTF_8);
        assertTrue(first.contains("\"i\":10"), first);

        LogFollower resumed = new LogFollower(dir, 25, key.verifier());
        List<LogFollower.Batch> rest = drain(resumed);
        assertEquals(1, rest.size());
        assertEquals(25, rest.get(0).from());
        assertEquals(15, rest.get(0).lines().size());
    }

    @Test
    void withTheEnginesKeyAChangedEntryStopsTheFollowerBeforeItsBatch() throws IOException {
        write();
        Path seg = null;
        for (Path p : LogFiles.segments(dir)) {
            if (Files.readString(p).contains("\"i\":30,") || Files.readString(p).contains("\"i\":30}")) {
                seg = p;
            }
        }
        assertNotNull(seg, "the segment holding entry 30");
        String text = Files.readString(seg);
        Files.writeString(seg, text.replace("\"i\":30", "\"i\":31"));
        LogFollower f = new LogFollower(dir, 0, key.verifier());
        assertNotNull(f.poll().orElse(null));
        assertNotNull(f.poll().orElse(null));
        LogFollower.Tampered t = assertThrows(LogFollower.Tampered.class, f::poll);
        assertTrue(t.getMessage().contains("do not hash to the root of the signed checkpoint of size 40"), t.getMessage());
        assertEquals(25, f.next(), "nothing past the change was handed over");

        LogFollower other = new LogFollower(dir, 0, NoteKeys.generate("follow").verifier());
        assertThrows(LogFollower.Tampered.class, other::poll, "a checkpoint not signed by the given key is refused");
    }

    @Test
    void insideTheEngineABatchRunsToTheLatestCheckpointWithoutListing() throws IOException {
        write();
        LogFollower f = new LogFollower(dir, 3, null, () -> 25);
        LogFollower.Batch b = f.poll().orElseThrow();
        assertEquals(3, b.from());
        assertEquals(25, b.checkpoint().size());
        assertTrue(f.poll().isEmpty(), "nothing beyond what the engine says it signed");
    }

    @Test
    void aCursorResumesOnlyOnTheLogItWasWrittenFor() throws IOException {
        write();
        LogFollower f = new LogFollower(dir, 0, null);
        LogFollower.Batch b = f.poll().orElseThrow();
        ExportCursor c = new ExportCursor(dir.resolveSibling(dir.getFileName() + ".cursor"));
        assertEquals(0, c.read(dir).next());
        assertNull(c.read(dir).note(), "no cursor yet: from the start, nothing to say");
        c.write(b.to(), b.checkpoint());
        assertEquals(10, c.read(dir).next());

        Path other = dir.resolveSibling(dir.getFileName() + "-other");
        try (AuditLog log = AuditLog.open(new AuditLog.Options(other, NoteKeys.generate("other"), "agt/other", FsyncPolicy.NEVER, null,
                2048, 1_000_000, 3_600_000))) {
            for (int k = 0; k < 10; k++) {
                log.appendAndWait(Map.of("type", "note", "k", (long) k));
            }
            log.checkpoint();
        }
        ExportCursor.Resume elsewhere = c.read(other);
        assertEquals(0, elsewhere.next(), "a log replaced under the same name is exported from its start, not from 10");
        assertTrue(elsewhere.note().contains("written for another log"), elsewhere.note());

        Files.writeString(c.file(), "1");
        ExportCursor.Resume damaged = c.read(dir);
        assertEquals(0, damaged.next());
        assertTrue(damaged.note().contains("is not an export cursor"), damaged.note());
    }
}
