package dev.agt.engine.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pin file: survives restarts, is replaced whole, and a damaged one fails closed without being overwritten. */
class ToolPinsTest {
    static final String A = "a".repeat(64);
    static final String B = "b".repeat(64);

    @TempDir
    Path dir;

    static ToolPins.Pin pin(String fp) {
        return new ToolPins.Pin(fp, "2026-01-01T00:00:00Z", fp, "2026-01-01T00:00:00Z", List.of());
    }

    @Test
    void pinsSurviveARestartAndTheFileIsWrittenPrivatelyAndWhole() throws Exception {
        Path state = dir.resolve("audit.state");
        ToolPins p = new ToolPins(state);
        assertNull(p.get("srv", "t"));
        assertFalse(Files.exists(state), "nothing is written before there is something to keep");
        p.change(m -> m.put(new ToolPins.Key("srv", "t"), pin(A)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(state)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(p.file())));
        try (Stream<Path> s = Files.list(state)) {
            assertEquals(List.of(p.file()), s.toList(), "no temp file is left behind");
        }
        ToolPins again = new ToolPins(state);
        assertEquals(pin(A), again.get("srv", "t"));
        assertNull(again.problem());
    }

    static void assertFalse(boolean b, String message) {
        assertTrue(!b, message);
    }

    @Test
    void anUnchangedStoreIsNotRewritten() throws Exception {
        ToolPins p = new ToolPins(dir);
        p.change(m -> m.put(new ToolPins.Key("srv", "t"), pin(A)));
        var before = Files.getLastModifiedTime(p.file());
        Files.setLastModifiedTime(p.file(), java.nio.file.attribute.FileTime.fromMillis(0));
        p.change(m -> m.put(new ToolPins.Key("srv", "t"), pin(A)));
        assertEquals(0, Files.getLastModifiedTime(p.file()).toMillis(), "same content, no write (was " + before + ")");
    }

    @Test
    void aCorruptFileFailsClosedIsNeverOverwrittenAndRemovingItStartsAfresh() throws Exception {
        ToolPins p = new ToolPins(dir);
        p.change(m -> m.put(new ToolPins.Key("srv", "t"), pin(A)));
        String good = Files.readString(p.file());
        for (String bad : List.of(good.substring(0, good.length() / 2), "[]", good.replace("\"version\" : 1", "\"version\" : 2"),
                good.replace(A, "xyz"), good.replace("\"findings\"", "\"extra\" : 1, \"findings\""),
                "{\"version\":1,\"tools\":[" + entry() + "," + entry() + "]}")) {
            Files.writeString(p.file(), bad);
            ToolPins broken = new ToolPins(dir);
            assertNotNull(broken.problem(), bad);
            assertTrue(broken.problem().contains(p.file().toString()) && broken.problem().contains("every mcp request is denied"),
                    broken.problem());
            ToolPins.Unavailable e = assertThrows(ToolPins.Unavailable.class, () -> broken.get("srv", "t"));
            assertEquals(broken.problem(), e.getMessage());
            assertThrows(ToolPins.Unavailable.class, () -> broken.change(m -> m.put(new ToolPins.Key("srv", "u"), pin(B))));
            assertEquals(bad, Files.readString(p.file()), "a damaged store is left for the operator, not re-pinned");
        }
        ToolPins broken = new ToolPins(dir);
        Files.delete(p.file());
        assertNull(broken.get("srv", "t"), "once removed, the store starts afresh without a restart");
        assertNull(broken.problem());
    }

    static String entry() {
        return "{\"server\":\"s\",\"tool\":\"t\",\"pin\":\"" + A + "\",\"pinned_at\":\"x\",\"seen\":\"" + A + "\",\"seen_at\":\"x\",\"findings\":[]}";
    }

    @Test
    void aFailedWriteChangesNothingAndIsRetried() throws Exception {
        Path state = dir.resolve("state");
        ToolPins p = new ToolPins(state);
        p.change(m -> m.put(new ToolPins.Key("srv", "t"), pin(A)));
        // a non-empty directory where the file goes: the rename fails for any user, root included
        Files.delete(p.file());
        Files.createDirectories(p.file().resolve("in-the-way"));
        ToolPins.Unavailable e = assertThrows(ToolPins.Unavailable.class,
                () -> p.change(m -> m.put(new ToolPins.Key("srv", "u"), pin(B))));
        assertTrue(e.getMessage().startsWith("cannot write the tool pin store"), e.getMessage());
        assertNull(p.get("srv", "u"), "what could not be written is not taken either");
        assertEquals(pin(A), p.get("srv", "t"));
        try (Stream<Path> s = Files.list(state)) {
            assertEquals(List.of(p.file()), s.toList(), "the temp file is removed after a failed rename");
        }
        Files.delete(p.file().resolve("in-the-way"));
        Files.delete(p.file());
        p.change(m -> m.put(new ToolPins.Key("srv", "u"), pin(B)));
        ToolPins reread = new ToolPins(state);
        assertEquals(pin(B), reread.get("srv", "u"));
        assertEquals(pin(A), reread.get("srv", "t"), "the retry writes the whole store");
    }

    @Test
    void aFullStoreRefusesRatherThanForgets() throws Exception {
        ToolPins p = new ToolPins(dir, 2);
        p.change(m -> {
            m.put(new ToolPins.Key("s", "a"), pin(A));
            return m.put(new ToolPins.Key("s", "b"), pin(A));
        });
        ToolPins.Unavailable e = assertThrows(ToolPins.Unavailable.class, () -> p.change(m -> m.put(new ToolPins.Key("s", "c"), pin(A))));
        assertTrue(e.getMessage().contains("is full (2 tools)"), e.getMessage());
        assertNotNull(p.get("s", "a"));
    }
}
