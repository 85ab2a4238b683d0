package dev.agt.audit.merkle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The golden RFC 6962 proof vectors in src/test/resources/testdata/rfc6962 (see its README and LICENSE): every case must
 * verify or fail exactly as its {@code wantErr} says. Happy paths from the numbered folders come
 * from the eight-leaf reference tree, so there the generator must also reproduce the proof.
 */
class Rfc6962VectorsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    static Path vectorDir() {
        String configured = System.getProperty("agt.testdata");
        Path base = configured == null || configured.isBlank() ? Path.of("src/test/resources/testdata") : Path.of(configured);
        Path dir = base.resolve("rfc6962").toAbsolutePath().normalize();
        // A missing directory must fail the build, not skip: otherwise the vectors silently stop running.
        assertTrue(Files.isDirectory(dir), "agt: RFC 6962 vectors not found at " + dir
                + "; set -Dagt.testdata to a directory holding rfc6962/");
        return dir;
    }

    static List<Path> vectorFiles(String kind) {
        Path root = vectorDir().resolve(kind);
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(p -> p.toString().endsWith(".json")).sorted().collect(Collectors.toList());
        } catch (IOException e) {
            throw new UncheckedIOException("agt: cannot list " + root, e);
        }
    }

    static Stream<Named<Path>> inclusionVectors() {
        return named(vectorFiles("inclusion"));
    }

    static Stream<Named<Path>> consistencyVectors() {
        return named(vectorFiles("consistency"));
    }

    private static Stream<Named<Path>> named(List<Path> files) {
        Path dir = vectorDir();
        return files.stream().map(p -> Named.of(dir.relativize(p).toString(), p));
    }

    @Test
    void findsDozensOfVectorsOfEachKindWithBothOutcomes() throws IOException {
        for (String kind : List.of("inclusion", "consistency")) {
            List<Path> files = vectorFiles(kind);
            assertTrue(files.size() >= 90, kind + ": expected about 98 vector files, found " + files.size());
            int failing = 0;
            for (Path f : files) {
                failing += JSON.readTree(f.toFile()).get("wantErr").asBoolean() ? 1 : 0;
            }
            assertTrue(failing > 50 && files.size() - failing >= 5,
                    kind + ": expected many failing and several passing cases, got " + failing + " of " + files.size());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("inclusionVectors")
    void inclusion(Path file) throws Exception {
        JsonNode v = JSON.readTree(file.toFile());
        String what = file + ": " + v.get("desc").asText();
        long index = v.get("leafIdx").asLong();
        long size = v.get("treeSize").asLong();
        byte[] leafHash = bytes(v.get("leafHash"));
        byte[] root = bytes(v.get("root"));
        List<byte[]> proof = hashes(v.get("proof"));
        if (v.get("wantErr").asBoolean()) {
            assertThrows(ProofException.class, () -> Proofs.verifyInclusion(index, size, leafHash, proof, root),
                    what);
            return;
        }
        assertDoesNotThrow(() -> Proofs.verifyInclusion(index, size, leafHash, proof, root), what);
        if (fromReferenceTree(file)) {
            // Also pins down that leafIdx is 0-based: the reference leaf at leafIdx is the vector's leaf.
            List<byte[]> leaves = ReferenceTree.referenceLeafHashes();
            assertArrayEquals(leaves.get((int) index), leafHash);
            assertArrayEquals(root, Proofs.subtreeRoot(0, size, ReferenceTree.source(leaves)));
            assertProofEquals(proof, Proofs.inclusion(index, size, ReferenceTree.source(leaves)));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("consistencyVectors")
    void consistency(Path file) throws Exception {
        JsonNode v = JSON.readTree(file.toFile());
        String what = file + ": " + v.get("desc").asText();
        long size1 = v.get("size1").asLong();
        long size2 = v.get("size2").asLong();
        byte[] root1 = bytes(v.get("root1"));
        byte[] root2 = bytes(v.get("root2"));
        List<byte[]> proof = hashes(v.get("proof"));
        if (v.get("wantErr").asBoolean()) {
            assertThrows(ProofException.class, () -> Proofs.verifyConsistency(size1, size2, root1, root2, proof),
                    what);
            return;
        }
        assertDoesNotThrow(() -> Proofs.verifyConsistency(size1, size2, root1, root2, proof), what);
        if (fromReferenceTree(file)) {
            LeafHashes leaves = ReferenceTree.source(ReferenceTree.referenceLeafHashes());
            assertArrayEquals(root1, Proofs.subtreeRoot(0, size1, leaves));
            assertArrayEquals(root2, Proofs.subtreeRoot(0, size2, leaves));
            assertProofEquals(proof, Proofs.consistency(size1, size2, leaves));
        }
    }

    /** Folders 0..4 are generated from the eight-leaf reference tree; the others are hand-made. */
    private static boolean fromReferenceTree(Path file) {
        return file.getParent().getFileName().toString().matches("[0-9]")
                && file.getParent().getParent().getFileName().toString().matches("inclusion|consistency");
    }

    private static void assertProofEquals(List<byte[]> wantOrNull, List<byte[]> got) {
        List<byte[]> want = wantOrNull == null ? List.of() : wantOrNull;
        assertEquals(want.size(), got.size(), "proof length");
        for (int i = 0; i < want.size(); i++) {
            assertArrayEquals(want.get(i), got.get(i), "proof[" + i + "]");
        }
    }

    private static byte[] bytes(JsonNode node) {
        return node == null || node.isNull() ? null : Base64.getDecoder().decode(node.asText());
    }

    /** A JSON null stays null, so the verifiers' null-means-empty rule is exercised too. */
    private static List<byte[]> hashes(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        List<byte[]> out = new ArrayList<>();
        node.forEach(h -> out.add(bytes(h)));
        return out;
    }
}
