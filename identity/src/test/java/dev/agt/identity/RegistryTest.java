package dev.agt.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegistryTest {
    static final Instant T = Instant.parse("2026-05-01T10:00:00Z");

    @TempDir
    Path dir;

    /** Written by an earlier build; must read and be written back byte for byte. */
    static final String OLD_REGISTRY = """
            {
              "version": 1,
              "agents": [
                {"created":"2026-05-01T10:00:00Z","did":"did:key:z6Mkon3Necd6NkkyfoGoHxid2znGc59LU3K7mubaRcFbLfLX","labels":{"team":"r\u00e9search","zone":"eu"},"name":"research","revoked":false},
                {"created":"2026-05-01T10:00:00Z","did":"did:key:z6Mko9hTggMwjSTEaJaPUfE6tqcy2xvU6BnNq3e3o8qVBiyH","labels":{},"name":"ops","revoked":true,"revoked_at":"2026-05-01T10:01:00Z"}
              ]
            }
            """;

    @Test
    void aRegistryFromAnEarlierBuildReadsAndIsWrittenBackByteForByte() throws Exception {
        Registry r = Registry.parse("agents.json", OLD_REGISTRY);
        assertEquals(OLD_REGISTRY, r.format());
        assertEquals("r\u00e9search", r.find("research").orElseThrow().labels().get("team"));
        assertEquals(Delegation.Status.REVOKED, r.status("did:key:z6Mko9hTggMwjSTEaJaPUfE6tqcy2xvU6BnNq3e3o8qVBiyH"));
    }

    @Test
    void writtenAtomicallyOwnerOnlyAndReadBack() throws Exception {
        String a = AgentKey.generate("a").did();
        String b = AgentKey.generate("b").did();
        Registry r = Registry.empty().with(Registry.Entry.create(a, "research", Map.of("team", "research"), T))
                .with(Registry.Entry.create(b, "ops", Map.of(), T)).revoke("ops", T.plusSeconds(60));
        Path f = dir.resolve("agents.json");
        r.write(f);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        Registry back = Registry.read(f);
        assertEquals(r.entries(), back.entries());
        assertEquals(Delegation.Status.ACTIVE, back.status(a));
        assertEquals(Delegation.Status.REVOKED, back.status(b));
        assertEquals(Delegation.Status.UNKNOWN, back.status(AgentKey.generate("c").did()));
        assertEquals("research", back.find(a).orElseThrow().name());
        assertEquals(b, back.find("ops").orElseThrow().did());
        try (var s = Files.list(dir)) {
            assertEquals(List.of("agents.json"), s.map(p -> p.getFileName().toString()).toList(), "no temp file left behind");
        }
        assertEquals(0, Registry.read(dir.resolve("missing.json")).entries().size(), "no file: nobody registered");
    }

    @Test
    void duplicatesAndBadNamesAreRefused() throws Exception {
        String a = AgentKey.generate("a").did();
        Registry r = Registry.empty().with(Registry.Entry.create(a, "research", Map.of(), T));
        assertTrue(assertThrows(IdentityException.class, () -> r.with(Registry.Entry.create(AgentKey.generate("x").did(), "research", Map.of(), T)))
                .getMessage().contains("already registered"));
        assertTrue(assertThrows(IdentityException.class, () -> r.with(Registry.Entry.create(a, "other", Map.of(), T)))
                .getMessage().contains("already registered as 'research'"));
        assertTrue(assertThrows(IdentityException.class, () -> Registry.Entry.create(a, "did:key:x", Map.of(), T))
                .getMessage().contains("may not start with 'did:'"));
        assertTrue(assertThrows(IdentityException.class, () -> Registry.Entry.create(a, "ok", Map.of("bad key", "v"), T))
                .getMessage().contains("label name 'bad key'"));
        assertEquals(IdentityException.UNKNOWN_AGENT, assertThrows(IdentityException.class, () -> r.revoke("nobody", T)).code());
    }

    @Test
    void aDamagedFileIsRefusedAtLineAndColumn() throws Exception {
        String a = AgentKey.generate("a").did();
        String entry = "{\"created\":\"2026-05-01T10:00:00Z\",\"did\":\"" + a + "\",\"labels\":{},\"name\":\"x\",\"revoked\":false}";
        assertProblem("{\"version\": 1, \"agents\": [\n  " + entry + ",\n  " + entry.replace("\"x\"", "\"y\"") + "]}",
                "agents.json:3:" + (entry.indexOf("\"did\"") + 9) + ": " + a + " is registered twice (also at 2:");
        assertProblem("{\"version\": 2, \"agents\": []}", "agents.json:1:13: registry version 2");
        assertProblem("{\"version\": 1, \"agents\": [" + entry.replace("\"labels\"", "\"lables\"") + "]}", "unknown field 'lables'");
        assertProblem("{\"version\": 1, \"agents\": [" + entry.replace("2026-05-01T10:00:00Z", "yesterday") + "]}",
                "created must be a UTC time");
        assertProblem("{\"version\": 1, \"agents\": [" + entry.replace("\"revoked\":false", "\"revoked\":false,\"revoked_at\":\"2026-05-01T10:00:00Z\"") + "]}",
                "revoked_at is only for a revoked agent");
        assertProblem("{\"version\": 1,\n \"agents\": [,]}", "agents.json:2:13: Unexpected character (','");
        assertProblem("{\"version\": 1, \"version\": 1, \"agents\": []}", "agents.json:1:16: duplicate key 'version'");
        assertProblem("{\"version\": 1, \"agents\": []}\n}", "agents.json:2:1: unexpected text after the JSON value");
        assertProblem("{\"version\": 1.0, \"agents\": []}", "agents.json:1:13: only integers are numbers here");
    }

    @Test
    void concurrentUpdatesNeverLoseOneAnother() throws Exception {
        Path f = dir.resolve("agents.json");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<?>> fs = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            int n = i;
            fs.add(pool.submit(() -> Registry.update(f, r -> r.with(Registry.Entry.create(AgentKey.generate("a").did(), "agent-" + n, Map.of(), T)))));
        }
        for (Future<?> x : fs) {
            x.get();
        }
        pool.shutdown();
        assertEquals(16, Registry.read(f).entries().size());
    }

    static void assertProblem(String text, String expected) {
        IdentityException e = assertThrows(IdentityException.class, () -> Registry.parse("agents.json", text));
        assertEquals(IdentityException.REGISTRY, e.code());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
