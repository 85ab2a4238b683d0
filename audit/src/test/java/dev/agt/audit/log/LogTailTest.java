package dev.agt.audit.log;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.agt.audit.FsyncPolicy;
import dev.agt.audit.log.AuditLog;
import dev.agt.audit.log.LogFiles;
import dev.agt.audit.note.NoteKeys;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shipper's reader: forward across many small segments, from anywhere, with lines longer than its buffer. */
class LogTailTest {
    @TempDir
    Path dir;

    /** Writes {@code n} entries into segments of about 4 KiB (every 7th entry longer than the reader's 64 KiB buffer); returns the lines. */
    List<byte[]> write(int n) throws IOException {
        try (AuditLog log = AuditLog.open(new AuditLog.Options(dir, NoteKeys.generate("tail"), "agt/tail", FsyncPolicy.NEVER, null, 4096, 50, 60_000))) {
            for (int i = 0; i < n; i++) {
                log.appendAndWait(Map.of("type", "note", "i", (long) i, "pad", i % 7 == 3 ? "x".repeat(70_000) : "y".repeat(i % 50)));
            }
        }
        List<byte[]> lines = new ArrayList<>();
        for (Path seg : LogFiles.segments(dir)) {
            byte[] all = Files.readAllBytes(seg);
            int start = 0;
            for (int i = 0; i < all.length; i++) {
                if (all[i] == '\n') {
                    lines.add(Arrays.copyOfRange(all, start, i));
                    start = i + 1;
                }
            }
        }
        return lines;
    }

    @Test
    void readsEveryEntryAcrossSegmentsInPiecesOrFromAnywhere() throws IOException {
        List<byte[]> lines = write(300);
        assertTrue(LogFiles.segments(dir).size() > 20, "the test needs many segments");
        LogTail tail = new LogTail(dir);
        List<byte[]> got = new ArrayList<>();
        for (long from = 0; from < lines.size(); from += 37) {
            got.addAll(tail.read(from, Math.min(lines.size(), from + 37)));
        }
        assertEquals(lines.size(), got.size());
        for (int i = 0; i < lines.size(); i++) {
            assertArrayEquals(lines.get(i), got.get(i), "entry " + i);
        }
        // a fresh reader started in the middle of the log (a resume) finds the same bytes
        for (int at : new int[] {0, 1, 3, 150, 299}) {
            assertArrayEquals(lines.get(at), new LogTail(dir).read(at, at + 1).get(0), "entry " + at);
        }
    }

    @Test
    void entriesNotOnDiskYetAreAnErrorNotAShortRead() throws IOException {
        List<byte[]> lines = write(20);
        IOException e = assertThrows(IOException.class, () -> new LogTail(dir).read(10, lines.size() + 5));
        assertTrue(e.getMessage().contains("not in the log yet"), e.getMessage());
    }

    @Test
    void aLineStillBeingWrittenIsNotRead() throws IOException {
        List<byte[]> lines = write(10);
        List<Path> segs = LogFiles.segments(dir);
        Path last = segs.get(segs.size() - 1);
        Files.write(last, "{\"seq\":10,\"type\":\"no".getBytes(java.nio.charset.StandardCharsets.UTF_8), java.nio.file.StandardOpenOption.APPEND);
        LogTail tail = new LogTail(dir);
        assertEquals(10, tail.read(0, 10).size());
        IOException e = assertThrows(IOException.class, () -> tail.read(10, 11));
        assertTrue(e.getMessage().contains("not in the log yet"), e.getMessage());
        assertArrayEquals(lines.get(9), new LogTail(dir).read(9, 10).get(0));
    }
}
