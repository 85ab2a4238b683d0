package dev.agt.cli;

import static dev.agt.cli.PolicySuggestTest.agt;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agt.audit.FsyncPolicy;
import dev.agt.engine.server.Engine;
import dev.agt.engine.server.EngineConfig;
import dev.agt.engine.session.AuthMode;
import dev.agt.identity.AgentKey;
import dev.agt.identity.Registry;
import dev.agt.protocol.Authenticator;
import dev.agt.protocol.Decision;
import dev.agt.protocol.EngineAddress;
import dev.agt.protocol.EngineClient;
import dev.agt.protocol.Reasons;
import dev.agt.protocol.Request;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code agt identity}, {@code agt kill} and {@code agt revive} against a real engine. */
class IdentityCommandTest {
    @TempDir
    Path dir;

    @Test
    void createListRevokeAndKillEndToEnd() throws Exception {
        String registry = dir.resolve("agents.json").toString();
        Path key = dir.resolve("research.key");
        PolicySuggestTest.Run created = agt("identity", "create", "research", "--label", "team=research", "--registry", registry,
                "--out", key.toString());
        assertEquals(0, created.exit(), created.err());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
        AgentKey k = AgentKey.read(key);
        assertTrue(created.out().contains(k.did()), created.out());
        Registry.Entry e = Registry.read(Path.of(registry)).byName("research").orElseThrow();
        assertEquals(k.did(), e.did());
        assertEquals(Map.of("team", "research"), e.labels());

        PolicySuggestTest.Run dup = agt("identity", "create", "research", "--registry", registry, "--out", dir.resolve("other.key").toString());
        assertEquals(1, dup.exit());
        assertTrue(dup.err().contains("already registered"), dup.err());
        assertFalse(Files.exists(dir.resolve("other.key")), "a refused name leaves no key behind");
        assertEquals(1, agt("identity", "create", "again", "--registry", registry, "--out", key.toString()).exit(), "never overwrites a key");
        assertEquals(2, agt("identity", "create", "x", "--label", "team", "--registry", registry, "--out", dir.resolve("x.key").toString()).exit());
        PolicySuggestTest.Run badName = agt("identity", "create", "did:key:x", "--registry", registry, "--out", dir.resolve("y.key").toString());
        assertEquals(2, badName.exit());
        assertTrue(badName.err().contains("may not start with 'did:'"), badName.err());
        assertFalse(Files.exists(dir.resolve("y.key")));

        PolicySuggestTest.Run list = agt("identity", "list", "--registry", registry, "--json");
        assertEquals(0, list.exit(), list.err());
        JsonNode agents = Admin.JSON.readTree(list.out());
        assertEquals(1, agents.size());
        assertEquals("research", agents.get(0).get("name").asText());
        assertFalse(agents.get(0).get("revoked").asBoolean());

        Files.writeString(dir.resolve("policy.yaml"), "version: 1\nrules:\n  - {id: work, effect: allow, family: file, paths: [\"/work/**\"]}\n");
        Path sock = dir.resolve("engine.sock");
        Engine engine = new Engine(new EngineConfig(dir.resolve("policy.yaml"), Map.of(), sock, null, null, dir.resolve("audit"),
                FsyncPolicy.INTERVAL, 0, false).withIdentity(AuthMode.REQUIRED, Path.of(registry)), new PrintStream(new ByteArrayOutputStream()));
        engine.start();
        try (EngineClient c = EngineClient.connect(EngineAddress.parse(sock.toString()), "research", Map.of(), 5000,
                Authenticator.of(k.did(), k.chain(), k::sign))) {
            Request r = Request.of("file", "read", Map.of("path", "/work/a"));
            assertTrue(c.decide(r, 5000).allowed());

            PolicySuggestTest.Run kill = agt("kill", "research", "--socket", sock.toString());
            assertEquals(0, kill.exit(), kill.err());
            assertTrue(kill.out().contains("killed research") && kill.out().contains("1 connected session(s) stopped"), kill.out());
            assertEquals(Reasons.KILLED, c.decide(r, 5000).code());
            PolicySuggestTest.Run revive = agt("revive", "research", "--socket", sock.toString());
            assertEquals(0, revive.exit(), revive.err());
            assertTrue(revive.out().contains("now stopped: none"), revive.out());
            assertTrue(c.decide(r, 5000).allowed());

            PolicySuggestTest.Run revoked = agt("identity", "revoke", "research", "--registry", registry, "--socket", sock.toString());
            assertEquals(0, revoked.exit(), revoked.err());
            assertTrue(revoked.out().contains("registry loaded"), revoked.out());
            Decision d = c.decide(r, 5000);
            assertEquals(Reasons.REVOKED, d.code(), "in force when the command returns");
            assertEquals(0, agt("identity", "revoke", k.did(), "--registry", registry).exit(), "again, by DID: already revoked");
            assertTrue(agt("identity", "list", "--registry", registry).out().contains("REVOKED"));
        } finally {
            engine.close();
        }
        assertEquals(1, agt("identity", "revoke", "nobody", "--registry", registry).exit());
        assertEquals(2, agt("kill", "--socket", sock.toString()).exit(), "neither AGENT nor --all");
        assertEquals(2, agt("kill", "research", "--all", "--socket", sock.toString()).exit(), "both");
        PolicySuggestTest.Run down = agt("kill", "research", "--socket", sock.toString());
        assertEquals(2, down.exit());
        assertTrue(down.err().contains("cannot reach the engine"), down.err());
    }

    @Test
    void theEngineRefusesToStartWithAnInvalidRegistryOrAuthMode() throws Exception {
        Files.writeString(dir.resolve("policy.yaml"), "version: 1\nrules:\n  - {id: work, effect: allow, family: file, paths: [\"/work/**\"]}\n");
        Files.writeString(dir.resolve("agents.json"), "{\"version\": 1,\n \"agents\": [{\"name\": 7}]}\n");
        String[] base = {"engine", "--policy", dir.resolve("policy.yaml").toString(), "--socket", dir.resolve("e.sock").toString(),
                "--audit-dir", dir.resolve("audit").toString(), "--no-watch"};
        PolicySuggestTest.Run bad = agt(concat(base, "--registry", dir.resolve("agents.json").toString()));
        assertEquals(1, bad.exit(), bad.err());
        assertTrue(bad.err().contains("agents.json:2:"), bad.err());
        PolicySuggestTest.Run mode = agt(concat(base, "--auth", "sometimes"));
        assertEquals(2, mode.exit(), mode.err());
        assertTrue(mode.err().contains("auth must be 'local' or 'required'"), mode.err());
    }

    static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
