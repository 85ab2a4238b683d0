package dev.agt.cli.provenance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agt.audit.note.NoteKeys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProvenanceTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Provenance.Build BUILD = new Provenance.Build("git+https://example.org/agt.git",
            "0123456789abcdef0123456789abcdef01234567", "./mvnw -B package", "test", "17", "2026-12-04T00:00:00Z");

    @TempDir
    Path dir;
    Path agent;
    Path cli;
    Path sbom;
    NoteKeys.Signer key = NoteKeys.generate("agt-release");

    @BeforeEach
    void jars() throws IOException {
        agent = jar("agt-javaagent.jar", "dev/agt/AgtAgent.class", "agent");
        cli = jar("agt.jar", "dev/agt/cli/Main.class", "cli");
        sbom = dir.resolve("agt-javaagent.cdx.json");
        Files.writeString(sbom, """
                {"bomFormat":"CycloneDX","specVersion":"1.6","components":[
                 {"name":"asm","version":"9.11.1","purl":"pkg:maven/org.ow2.asm/asm@9.11.1?type=jar",
                  "hashes":[{"alg":"SHA-1","content":"aa"},{"alg":"SHA-256","content":"ae4e6e10d59d0a1500317764b21881ad883f8550e33c66e6142f7032c6fb566c"}]}]}
                """);
    }

    private Path jar(String name, String entry, String content) throws IOException {
        Path p = dir.resolve(name);
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(p))) {
            out.putNextEntry(new JarEntry(entry));
            out.write(content.getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
        return p;
    }

    @Test
    void aSignedJarVerifiesWithItsNameCommitAndDependencies() throws Exception {
        String envelope = Provenance.sign(List.of(agent, cli), List.of(sbom), BUILD, key);
        Provenance.Verified v = Provenance.verify(cli, envelope, key.verifier());
        assertEquals("agt.jar", v.subjectName());
        assertEquals(Provenance.sha256(cli), v.sha256());
        assertEquals("0123456789abcdef0123456789abcdef01234567", v.commit().orElseThrow());
        assertEquals(2, v.subjects());
        assertEquals(1, v.dependencies());
        var statement = JSON.readTree(Base64.getDecoder().decode(JSON.readTree(envelope).get("payload").asText()));
        assertEquals("ae4e6e10d59d0a1500317764b21881ad883f8550e33c66e6142f7032c6fb566c",
                statement.at("/predicate/buildDefinition/resolvedDependencies/0/digest/sha256").asText());
        assertEquals(Provenance.sha256(sbom), statement.at("/predicate/runDetails/byproducts/0/digest/sha256").asText());
    }

    @Test
    void aJarChangedAfterSigningIsRefused() throws Exception {
        String envelope = Provenance.sign(List.of(agent, cli), List.of(), BUILD, key);
        Path changed = jar("agt-javaagent.jar", "dev/agt/AgtAgent.class", "agent, with one more instruction");
        var e = assertThrows(Provenance.Refused.class, () -> Provenance.verify(changed, envelope, key.verifier()));
        assertTrue(e.getMessage().contains("is not a jar this provenance names"), e.getMessage());
    }

    @Test
    void anotherKeysSignatureIsRefused() throws Exception {
        String envelope = Provenance.sign(List.of(agent), List.of(), BUILD, NoteKeys.generate("someone-else"));
        var e = assertThrows(Provenance.Refused.class, () -> Provenance.verify(agent, envelope, key.verifier()));
        assertTrue(e.getMessage().contains("no signature verifies with agt-release+"), e.getMessage());
    }

    @Test
    void aStatementRewrittenToNameAnotherJarIsRefused() throws Exception {
        Path evil = jar("evil.jar", "dev/agt/AgtAgent.class", "evil");
        ObjectNode env = (ObjectNode) JSON.readTree(Provenance.sign(List.of(agent), List.of(), BUILD, key));
        String payload = new String(Base64.getDecoder().decode(env.get("payload").asText()), StandardCharsets.UTF_8)
                .replace(Provenance.sha256(agent), Provenance.sha256(evil));
        env.put("payload", Base64.getEncoder().encodeToString(payload.getBytes(StandardCharsets.UTF_8)));
        var e = assertThrows(Provenance.Refused.class, () -> Provenance.verify(evil, JSON.writeValueAsString(env), key.verifier()));
        assertTrue(e.getMessage().contains("was changed after it was signed"), e.getMessage());
    }

    @Test
    void theSignatureCoversThePayloadType() throws Exception {
        ObjectNode env = (ObjectNode) JSON.readTree(Provenance.sign(List.of(agent), List.of(), BUILD, key));
        env.put("payloadType", "application/json");
        var e = assertThrows(Provenance.Refused.class, () -> Provenance.verify(agent, JSON.writeValueAsString(env), key.verifier()));
        assertTrue(e.getMessage().contains("payloadType"), e.getMessage());
    }

    @Test
    void malformedProvenanceIsRefusedWithAReason() {
        for (String bad : List.of("", "not json", "[]", "{\"payloadType\":\"application/vnd.in-toto+json\"}",
                "{\"payloadType\":\"application/vnd.in-toto+json\",\"payload\":\"%%%\",\"signatures\":[]}",
                "{\"payloadType\":\"application/vnd.in-toto+json\",\"payload\":\"e30=\",\"signatures\":[{\"sig\":\"???\"}]}")) {
            var e = assertThrows(Provenance.Refused.class, () -> Provenance.verify(agent, bad, key.verifier()), bad);
            assertTrue(!e.getMessage().isBlank(), bad);
        }
    }
}
