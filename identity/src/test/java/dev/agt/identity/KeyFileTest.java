package dev.agt.identity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyFileTest {
    @TempDir
    Path dir;

    @Test
    void writtenOwnerOnlyAndReadBack() throws Exception {
        AgentKey k = AgentKey.generate("research");
        Path f = dir.resolve("research.key");
        k.write(f);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        AgentKey back = AgentKey.read(f);
        assertEquals(k.did(), back.did());
        assertEquals("research", back.name());
        assertArrayEquals(k.sign(new byte[] {1, 2}), back.sign(new byte[] {1, 2}));
        assertFalse(Files.readString(f).isEmpty());
        assertFalse(k.toString().contains(Files.readString(f).lines().filter(l -> l.startsWith("seed: ")).findFirst().orElseThrow()
                .substring(6)), "toString never shows the seed");
    }

    @Test
    void aDelegateKeyCarriesItsChain() throws Exception {
        AgentKey root = AgentKey.generate("root");
        AgentKey child = root.delegate(AgentKey.generate("root/child"), Scope.of(Map.of(Scope.Field.FAMILIES, List.of("file"))),
                Duration.ofHours(1));
        Path f = dir.resolve("child.key");
        child.write(f);
        AgentKey back = AgentKey.read(f);
        assertEquals(child.chain(), back.chain());
        assertEquals(List.of("file"), back.scope().get(Scope.Field.FAMILIES).orElseThrow());
    }

    @Test
    void neverOverwrites() throws Exception {
        Path f = dir.resolve("a.key");
        AgentKey.generate("a").write(f);
        String before = Files.readString(f);
        IdentityException e = assertThrows(IdentityException.class, () -> AgentKey.generate("b").write(f));
        assertTrue(e.getMessage().contains("already exists"), e.getMessage());
        assertEquals(before, Files.readString(f));
    }

    @Test
    void aKeyOthersMayReadIsRefusedWithTheModeAndTheFix() throws Exception {
        Path f = dir.resolve("wide.key");
        AgentKey.generate("wide").write(f);
        for (String mode : new String[] {"rw-r--r--", "rw-rw----", "rw----r--", "rw-----w-"}) {
            Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(mode));
            IdentityException e = assertThrows(IdentityException.class, () -> AgentKey.read(f));
            assertEquals(IdentityException.KEY_FILE, e.code());
            assertTrue(e.getMessage().contains(mode), e.getMessage());
            assertTrue(e.getMessage().contains("chmod 600 " + f), e.getMessage());
        }
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        assertTrue(assertThrows(IdentityException.class, () -> AgentKey.read(f)).getMessage().contains("mode 0644"));
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("r--------"));
        assertEquals("wide", AgentKey.read(f).name(), "narrower than 0600 is fine");
        IdentityException missing = assertThrows(IdentityException.class, () -> AgentKey.read(dir.resolve("none.key")));
        assertTrue(missing.getMessage().contains("no such agent key file"), missing.getMessage());
    }

    @Test
    void damagedFilesAreRefusedAtLineAndColumn() throws Exception {
        AgentKey k = AgentKey.generate("x");
        String text = KeyFile.format(k);
        assertProblem(text.replace("agt-agent-key: 1", "agt-agent-key: 2"), "f.key:2:16: key file version 2");
        assertProblem(text.replace("name: x", "name: x\nname: y"), "f.key:4:1: 'name' appears twice");
        assertProblem(text.replace("name: x", "nmae: x"), "f.key:3:1: unknown key 'nmae'");
        assertProblem(text.replace("seed: ", "seed: AAAA"), "seed is 35 bytes");
        assertProblem(text.replace("did: ", "did: x"), "f.key:4:6: 'xdid:key:");
        AgentKey other = AgentKey.generate("x");
        assertProblem(text.replace(k.did(), other.did()), "f.key:4:6: did " + other.did() + " is not the seed's");
        assertProblem(text + "chain: abc.def\n", "f.key:6:8: chain token: ");
        assertProblem("name: x\n", "f.key:1:1: not an agt agent key file");
        assertProblem("agt-agent-key: 1\nname: x\n", "the key file needs name, did and seed");
    }

    @Test
    void aChainTokenIsCheckedForItsEncodingAndItsPayloadIsReadWhenUsed() throws Exception {
        AgentKey root = AgentKey.generate("root");
        AgentKey child = root.delegate(AgentKey.generate("root/child"), Scope.UNRESTRICTED, Duration.ofMinutes(5));
        String token = child.chain().get(0);
        String sig = token.substring(token.indexOf('.'));
        String text = KeyFile.format(child);
        assertProblem(text.replace(sig, ".AAAA"), "f.key:6:8: chain token: the signature is 3 bytes");
        assertProblem(text.replace(sig, sig + "="), "f.key:6:8: chain token: the signature is not base64url");
        // a well-encoded token whose payload is not JSON: the file reads (the agent's start-up reads no
        // JSON), and the payload is refused as soon as the chain is used, here and by the engine
        String notJson = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString("{\"child\":".getBytes()) + sig;
        AgentKey damaged = KeyFile.parse("f.key", text.replace(token, notJson));
        IdentityException e = assertThrows(IdentityException.class, damaged::scope);
        assertEquals(IdentityException.MALFORMED_TOKEN, e.code(), e.getMessage());
        assertTrue(e.getMessage().contains("not JSON"), e.getMessage());
        Registry r = Registry.empty().with(Registry.Entry.create(root.did(), "root", Map.of(), java.time.Instant.now()));
        IdentityException refused = assertThrows(IdentityException.class, () -> Delegation.verify(damaged.did(), damaged.chain(), r,
                java.time.Instant.now(), Scope.PatternCover.EQUAL));
        assertEquals(IdentityException.MALFORMED_TOKEN, refused.code(), refused.getMessage());
    }

    @Test
    @SuppressWarnings("unchecked")
    void theAgentsStartAndLaunchPathsLoadNoJsonParser() throws Exception {
        AgentKey root = AgentKey.generate("root");
        AgentKey child = root.delegate(AgentKey.generate("root/child"), Scope.of(Map.of(Scope.Field.FAMILIES, List.of("file"))),
                Duration.ofMinutes(5));
        java.net.URL main = AgentKey.class.getProtectionDomain().getCodeSource().getLocation();
        java.net.URL tests = AgentStartPath.class.getProtectionDomain().getCodeSource().getLocation();
        // this module's classes and its tests' over the JDK alone: no Jackson to be found
        try (java.net.URLClassLoader isolated = new java.net.URLClassLoader(new java.net.URL[] {main, tests},
                ClassLoader.getPlatformClassLoader())) {
            assertThrows(ClassNotFoundException.class, () -> Class.forName("com.fasterxml.jackson.core.JsonFactory", false, isolated));
            java.util.function.Function<String, String> start = (java.util.function.Function<String, String>) isolated
                    .loadClass(AgentStartPath.class.getName()).getDeclaredConstructor().newInstance();
            assertEquals(child.did() + " 1", start.apply(KeyFile.format(child)));
            // the control: the same loader cannot read a payload, so the test above could fail
            java.util.function.Function<String, String> read = (java.util.function.Function<String, String>) isolated
                    .loadClass(AgentStartPath.ReadPayload.class.getName()).getDeclaredConstructor().newInstance();
            assertThrows(NoClassDefFoundError.class, () -> read.apply(child.chain().get(0)));
        }
    }

    static void assertProblem(String text, String expected) {
        IdentityException e = assertThrows(IdentityException.class, () -> KeyFile.parse("f.key", text));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
