package dev.agt.engine.bundle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agt.audit.note.NoteKeys;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Signed policy bundles: what opens, and every way a changed, foreign or stripped bundle is refused. */
class BundleTest {
    static final ObjectMapper JSON = new ObjectMapper();
    final NoteKeys.Signer key = NoteKeys.generate("ops-bundles");
    final NoteKeys.Signer other = NoteKeys.generate("ops-bundles");

    @TempDir
    Path dir;
    byte[] bundle;

    @BeforeEach
    void build() throws Exception {
        Files.writeString(dir.resolve("policy.yaml"), "version: 1\ninclude: [base.yaml]\nrules: []\n");
        Files.writeString(dir.resolve("base.yaml"), "version: 1\nrules:\n  - {id: tmp, effect: allow, family: file, paths: [/tmp/**]}\n");
        Files.createDirectories(dir.resolve(".git"));
        Files.writeString(dir.resolve(".git/config"), "not part of a policy");
        bundle = Bundle.build(dir, "policy.yaml", 3, key);
    }

    @Test
    void aBundleOpensWithItsKeyAndHoldsExactlyThePolicyFiles() throws Exception {
        Bundle b = Bundle.open(bundle, key.verifier());
        assertEquals(3, b.version());
        assertEquals(java.util.Set.of("policy.yaml", "base.yaml"), b.files().keySet(), "hidden files are left out");
        assertArrayEquals(Files.readAllBytes(dir.resolve("base.yaml")), b.files().get("base.yaml"));
        assertEquals(64, b.hash().length());
        Path out = b.extract(dir.resolve("out"));
        assertEquals(Files.readString(dir.resolve("policy.yaml")), Files.readString(out));
        assertEquals(b.hash(), Bundle.open(bundle, key.verifier()).hash(), "the hash is the manifest's, stable");
    }

    static void refused(String why, byte[] bytes, NoteKeys.Verifier key) {
        Bundle.Refused r = assertThrows(Bundle.Refused.class, () -> Bundle.open(bytes, key));
        assertTrue(r.getMessage().contains(why), r.getMessage());
    }

    ObjectNode tree() throws Exception {
        return (ObjectNode) JSON.readTree(bundle);
    }

    @Test
    void aChangedByteAnywhereIsRefused() throws Exception {
        // in a file's content (the manifest still names the old hash)
        ObjectNode t = tree();
        byte[] base = Base64.getDecoder().decode(t.path("files").path("base.yaml").asText());
        base[base.length - 3] ^= 1;
        ((ObjectNode) t.get("files")).put("base.yaml", Base64.getEncoder().encodeToString(base));
        refused("does not match its SHA-256", JSON.writeValueAsBytes(t), key.verifier());
        // in the manifest (the signature covers it)
        t = tree();
        ((ObjectNode) t.get("manifest")).put("version", 4);
        refused("no valid signature", JSON.writeValueAsBytes(t), key.verifier());
        // in the manifest's file list and the file together (a consistent forgery without the key)
        t = tree();
        String evil = "version: 1\nrules:\n  - {id: all, effect: allow, family: net}\n";
        ((ObjectNode) t.get("files")).put("base.yaml", Base64.getEncoder().encodeToString(evil.getBytes(StandardCharsets.UTF_8)));
        for (var f : t.get("manifest").get("files")) {
            if (f.path("path").asText().equals("base.yaml")) {
                ((ObjectNode) f).put("sha256", Bundle.sha256(evil.getBytes(StandardCharsets.UTF_8))).put("bytes", evil.length());
            }
        }
        refused("no valid signature", JSON.writeValueAsBytes(t), key.verifier());
        // a byte flipped anywhere in the file (every seventh, in turn) is refused
        for (int i = 0; i < bundle.length; i += 7) {
            byte[] copy = bundle.clone();
            copy[i] ^= 0x20;
            int at = i;
            assertThrows(Bundle.Refused.class, () -> Bundle.open(copy, key.verifier()), () -> "a flipped byte at " + at + " opened");
        }
    }

    @Test
    void aWrongKeyAStrippedSignatureAndAForeignOneAreRefused() throws Exception {
        refused("no valid signature by ops-bundles+" + other.verifier().keyIdHex(), bundle, other.verifier());
        ObjectNode t = tree();
        t.remove("signatures");
        refused("unsigned", JSON.writeValueAsBytes(t), key.verifier());
        t = tree();
        t.set("signatures", JSON.createArrayNode());
        refused("unsigned", JSON.writeValueAsBytes(t), key.verifier());
        // signed by another key that claims the right name
        byte[] foreign = Bundle.build(dir, "policy.yaml", 3, other);
        refused("no valid signature", foreign, key.verifier());
        // a good signature moved onto another manifest
        ObjectNode good = tree();
        ObjectNode moved = (ObjectNode) JSON.readTree(Bundle.build(dir, "policy.yaml", 9, other));
        moved.set("signatures", good.get("signatures"));
        refused("no valid signature", JSON.writeValueAsBytes(moved), key.verifier());
    }

    @Test
    void malformedBundlesAreRefusedWithAReasonNeverAnException() throws Exception {
        refused("not JSON", "{".getBytes(StandardCharsets.UTF_8), key.verifier());
        refused("not a JSON object", "[]".getBytes(StandardCharsets.UTF_8), key.verifier());
        refused("format", "{\"format\":\"zip\"}".getBytes(StandardCharsets.UTF_8), key.verifier());
        refused("Duplicate field", new String(bundle, StandardCharsets.UTF_8).replaceFirst("\\{", "{\"format\":\"x\",").getBytes(StandardCharsets.UTF_8),
                key.verifier());
        ObjectNode t = tree();
        t.put("extra", 1);
        refused("unknown field 'extra'", JSON.writeValueAsBytes(t), key.verifier());
        t = tree();
        ((ObjectNode) t.get("files")).put("smuggled.yaml", "AAAA");
        refused("which the manifest does not name", JSON.writeValueAsBytes(t), key.verifier());
    }

    @Test
    void aPathOutsideTheBundleIsRefusedEvenWhenSigned() throws Exception {
        ObjectNode t = tree();
        ObjectNode manifest = (ObjectNode) t.get("manifest");
        ((ArrayNode) manifest.get("files")).addObject().put("path", "../escape.yaml").put("sha256", Bundle.sha256(new byte[0])).put("bytes", 0);
        ((ObjectNode) t.get("files")).put("../escape.yaml", "");
        @SuppressWarnings("unchecked")
        java.util.Map<String, Object> m = JSON.convertValue(manifest, java.util.Map.class);
        t.set("signatures", JSON.createArrayNode().add(JSON.createObjectNode().put("key", "ops-bundles+" + key.verifier().keyIdHex())
                .put("signature", Base64.getEncoder().encodeToString(key.sign(Bundle.signed(m))))));
        refused("unsafe file path", JSON.writeValueAsBytes(t), key.verifier());
    }
}
