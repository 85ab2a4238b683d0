package dev.agt.audit.merkle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Tree math against the RFC 6962 reference tree, a naive MTH oracle and random (seeded) cases. */
class MerkleTreeTest {

    /** Roots of the reference tree for sizes 1..8, published with the RFC 6962 test data. */
    private static final List<String> REFERENCE_ROOTS = List.of(
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328");

    private static final int MAX_SIZE = 2000;
    private static List<byte[]> leaves;
    private static LeafHashes source;

    @BeforeAll
    static void randomTree() {
        leaves = ReferenceTree.randomLeafHashes(MAX_SIZE, new Random(6962));
        source = ReferenceTree.source(leaves);
    }

    @Test
    void hashesFollowRfc6962() {
        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", hex(Hashes.emptyRoot()));
        assertEquals(REFERENCE_ROOTS.get(0), hex(Hashes.leaf(new byte[0])));
        byte[] l = Hashes.leaf(new byte[] {1});
        byte[] r = Hashes.leaf(new byte[] {2});
        byte[] concatenated = new byte[65];
        concatenated[0] = 1;
        System.arraycopy(l, 0, concatenated, 1, 32);
        System.arraycopy(r, 0, concatenated, 33, 32);
        assertArrayEquals(sha256(concatenated), Hashes.node(l, r));
        // emptyRoot hands out copies: scribbling on one must not change the constant.
        Hashes.emptyRoot()[0] ^= 1;
        assertEquals("e3b0", hex(Hashes.emptyRoot()).substring(0, 4));
    }

    @Test
    void referenceTreeRootsForSizes1To8() throws IOException {
        List<byte[]> reference = ReferenceTree.referenceLeafHashes();
        CompactRange range = new CompactRange();
        assertArrayEquals(Hashes.emptyRoot(), range.root());
        for (int n = 1; n <= 8; n++) {
            range.append(reference.get(n - 1));
            assertEquals(REFERENCE_ROOTS.get(n - 1), hex(range.root()), "CompactRange root, size " + n);
            assertEquals(REFERENCE_ROOTS.get(n - 1), hex(Proofs.subtreeRoot(0, n, ReferenceTree.source(reference))),
                    "subtreeRoot, size " + n);
            assertEquals(REFERENCE_ROOTS.get(n - 1), hex(ReferenceTree.naiveRoot(reference, 0, n)), "oracle, size " + n);
        }
    }

    @Test
    void compactRangeRootEqualsSubtreeRootAtEverySize() throws IOException {
        CompactRange range = new CompactRange();
        Random random = new Random(1);
        for (int n = 1; n <= MAX_SIZE; n++) {
            range.append(leaves.get(n - 1));
            assertEquals(n, range.size());
            if (n <= 64 || random.nextInt(20) == 0) {
                assertArrayEquals(Proofs.subtreeRoot(0, n, source), range.root(), "size " + n);
                assertArrayEquals(ReferenceTree.naiveRoot(leaves, 0, n), range.root(), "oracle, size " + n);
            }
        }
    }

    @Test
    void subtreeRootOfAnyRangeMatchesOracle() throws IOException {
        Random random = new Random(2);
        for (int i = 0; i < 200; i++) {
            int from = random.nextInt(MAX_SIZE);
            int to = from + random.nextInt(MAX_SIZE - from + 1);
            assertArrayEquals(ReferenceTree.naiveRoot(leaves, from, to), Proofs.subtreeRoot(from, to, source),
                    "[" + from + ", " + to + ")");
        }
    }

    @Test
    void copyIsIndependent() {
        CompactRange original = new CompactRange();
        for (int i = 0; i < 5; i++) {
            original.append(leaves.get(i));
        }
        byte[] rootOf5 = original.root();
        CompactRange copy = original.copy();
        copy.append(leaves.get(5));
        assertArrayEquals(rootOf5, original.root());
        assertEquals(5, original.size());
        assertArrayEquals(ReferenceTree.naiveRoot(leaves, 0, 6), copy.root());
        original.append(leaves.get(5));
        original.append(leaves.get(6));
        assertArrayEquals(ReferenceTree.naiveRoot(leaves, 0, 6), copy.root());
    }

    @Test
    void appendRejectsMalformedLeafHashesWithoutChangingTheRange() {
        CompactRange range = new CompactRange();
        range.append(leaves.get(0));
        assertThrows(IllegalArgumentException.class, () -> range.append(new byte[31]));
        assertThrows(IllegalArgumentException.class, () -> range.append(null));
        assertEquals(1, range.size());
        assertArrayEquals(leaves.get(0), range.root());
    }

    @Test
    void everyInclusionProofVerifiesAndTamperingIsRejected() throws IOException {
        Random random = new Random(3);
        List<long[]> cases = new ArrayList<>();
        for (int size = 1; size <= 33; size++) {
            for (int index = 0; index < size; index++) {
                cases.add(new long[] {index, size});
            }
        }
        for (int i = 0; i < 200; i++) {
            int size = 1 + random.nextInt(MAX_SIZE - 1);
            cases.add(new long[] {random.nextInt(size), size});
        }
        for (long[] c : cases) {
            long index = c[0];
            long size = c[1];
            String what = "leaf " + index + " of " + size;
            byte[] leaf = leaves.get((int) index);
            byte[] root = Proofs.subtreeRoot(0, size, source);
            List<byte[]> proof = Proofs.inclusion(index, size, source);
            assertDoesNotThrow(() -> Proofs.verifyInclusion(index, size, leaf, proof, root), what);

            for (List<byte[]> bad : tamperings(proof, random)) {
                assertRejected(() -> Proofs.verifyInclusion(index, size, leaf, bad, root), what);
            }
            long otherIndex = size == 1 ? 1 : (index + 1 + random.nextInt((int) size - 1)) % size;
            assertRejected(() -> Proofs.verifyInclusion(otherIndex, size, leaf, proof, root), what + " as " + otherIndex);
            assertRejected(() -> Proofs.verifyInclusion(index, size, leaves.get((int) otherIndex % MAX_SIZE), proof, root),
                    what + " with another leaf");
            assertRejected(() -> Proofs.verifyInclusion(index, index, leaf, proof, root), what + " claiming size " + index);
            // A different size paired with that size's genuine root. (With the same root a wrong size can
            // pass when both sizes give the path the same shape, e.g. leaf 0 of 3 and of 4: the size is
            // bound by the signed checkpoint, not by the proof.)
            long otherSize = index + 1 + random.nextInt(MAX_SIZE - (int) index);
            if (otherSize != size) {
                byte[] otherRoot = Proofs.subtreeRoot(0, otherSize, source);
                assertRejected(() -> Proofs.verifyInclusion(index, otherSize, leaf, proof, otherRoot),
                        what + " claiming size " + otherSize);
            }
        }
    }

    @Test
    void everyConsistencyProofVerifiesAndTamperingIsRejected() throws IOException {
        Random random = new Random(4);
        List<long[]> cases = new ArrayList<>();
        for (int size2 = 0; size2 <= 33; size2++) {
            for (int size1 = 0; size1 <= size2; size1++) {
                cases.add(new long[] {size1, size2});
            }
        }
        for (int i = 0; i < 200; i++) {
            int size2 = 1 + random.nextInt(MAX_SIZE);
            cases.add(new long[] {1 + random.nextInt(size2), size2});
        }
        for (long[] c : cases) {
            long size1 = c[0];
            long size2 = c[1];
            String what = size1 + " -> " + size2;
            byte[] root1 = Proofs.subtreeRoot(0, size1, source);
            byte[] root2 = Proofs.subtreeRoot(0, size2, source);
            List<byte[]> proof = Proofs.consistency(size1, size2, source);
            assertDoesNotThrow(() -> Proofs.verifyConsistency(size1, size2, root1, root2, proof), what);
            assertEquals(size1 == 0 || size1 == size2, proof.isEmpty(), what + ": proof length " + proof.size());

            for (List<byte[]> bad : tamperings(proof, random)) {
                assertRejected(() -> Proofs.verifyConsistency(size1, size2, root1, root2, bad), what);
            }
            if (size1 != size2) {
                assertRejected(() -> Proofs.verifyConsistency(size2, size1, root2, root1, proof), what + " reversed");
                assertRejected(() -> Proofs.verifyConsistency(size1, size2, root2, root1, proof), what + " swapped roots");
                // Every tree extends the empty one, so only a non-empty old tree constrains root2.
                if (size1 > 0) {
                    byte[] flipped = root2.clone();
                    flipped[random.nextInt(32)] ^= (byte) (1 << random.nextInt(8));
                    assertRejected(() -> Proofs.verifyConsistency(size1, size2, root1, flipped, proof),
                            what + " other root2");
                    byte[] flipped1 = root1.clone();
                    flipped1[random.nextInt(32)] ^= (byte) (1 << random.nextInt(8));
                    assertRejected(() -> Proofs.verifyConsistency(size1, size2, flipped1, root2, proof),
                            what + " other root1");
                }
            }
            // Wrong sizes, each paired with that size's genuine root (see the inclusion test for why).
            // Only a non-empty proof can be misused: an empty one proves true claims about size 0.
            if (proof.isEmpty()) {
                continue;
            }
            long otherSize1 = 1 + random.nextInt((int) size2);
            if (otherSize1 != size1) {
                byte[] otherRoot1 = Proofs.subtreeRoot(0, otherSize1, source);
                assertRejected(() -> Proofs.verifyConsistency(otherSize1, size2, otherRoot1, root2, proof),
                        what + " claiming size1 " + otherSize1);
            }
            long otherSize2 = size1 + random.nextInt(MAX_SIZE - (int) size1 + 1);
            if (otherSize2 != size2) {
                byte[] otherRoot2 = Proofs.subtreeRoot(0, otherSize2, source);
                assertRejected(() -> Proofs.verifyConsistency(size1, otherSize2, root1, otherRoot2, proof),
                        what + " claiming size2 " + otherSize2);
            }
        }
    }

    @Test
    void malformedInputIsAProofExceptionNeverARuntimeException() {
        byte[] h = leaves.get(0);
        List<byte[]> withNull = new ArrayList<>();
        withNull.add(null);
        assertRejected(() -> Proofs.verifyInclusion(0, 2, h, withNull, h), "null element");
        assertRejected(() -> Proofs.verifyInclusion(0, 2, h, List.of(new byte[33]), h), "long element");
        assertRejected(() -> Proofs.verifyInclusion(0, 1, null, null, null), "null hashes");
        assertRejected(() -> Proofs.verifyInclusion(-1, 1, h, null, h), "negative index");
        assertRejected(() -> Proofs.verifyInclusion(0, -1, h, null, h), "negative size");
        assertRejected(() -> Proofs.verifyInclusion(Long.MAX_VALUE - 1, Long.MAX_VALUE, h, null, h), "huge tree");
        assertRejected(() -> Proofs.verifyConsistency(1, 2, h, h, withNull), "null element");
        assertRejected(() -> Proofs.verifyConsistency(1, 2, h, h, List.of(new byte[0])), "empty element");
        assertRejected(() -> Proofs.verifyConsistency(1, 2, null, h, null), "null root1");
        assertRejected(() -> Proofs.verifyConsistency(-1, 2, h, h, null), "negative size");
        assertRejected(() -> Proofs.verifyConsistency(3, Long.MAX_VALUE, h, h, null), "huge tree");
        assertDoesNotThrow(() -> Proofs.verifyInclusion(0, 1, h, null, h.clone()), "null proof is empty");
        assertDoesNotThrow(() -> Proofs.verifyConsistency(0, 5, Hashes.emptyRoot(), h, null), "null proof is empty");
    }

    @Test
    void generatorRejectsImpossibleRequestsAndBadLeafSources() {
        assertThrows(IllegalArgumentException.class, () -> Proofs.inclusion(3, 3, source));
        assertThrows(IllegalArgumentException.class, () -> Proofs.consistency(4, 3, source));
        assertThrows(IllegalArgumentException.class, () -> Proofs.subtreeRoot(5, 4, source));
        IOException e = assertThrows(IOException.class, () -> Proofs.subtreeRoot(0, 2, i -> new byte[7]));
        assertTrue(e.getMessage().contains("7 bytes for index 0"), e.getMessage());
    }

    /** The proof with one bit flipped, one element dropped, one added, and two elements swapped. */
    private static List<List<byte[]>> tamperings(List<byte[]> proof, Random random) {
        List<List<byte[]>> out = new ArrayList<>();
        List<byte[]> added = new ArrayList<>(proof);
        added.add(random.nextInt(proof.size() + 1), leaves.get(random.nextInt(MAX_SIZE)));
        out.add(added);
        if (proof.isEmpty()) {
            return out;
        }
        List<byte[]> flipped = new ArrayList<>(proof);
        int at = random.nextInt(proof.size());
        byte[] element = proof.get(at).clone();
        element[random.nextInt(32)] ^= (byte) (1 << random.nextInt(8));
        flipped.set(at, element);
        out.add(flipped);
        List<byte[]> dropped = new ArrayList<>(proof);
        dropped.remove(random.nextInt(proof.size()));
        out.add(dropped);
        if (proof.size() > 1) {
            List<byte[]> swapped = new ArrayList<>(proof);
            swapped.set(0, proof.get(1));
            swapped.set(1, proof.get(0));
            out.add(swapped);
        }
        return out;
    }

    private static void assertRejected(Executable verification, String what) {
        ProofException e = assertThrows(ProofException.class, verification, what);
        assertTrue(e.getMessage().startsWith("agt: merkle: "), e.getMessage());
        assertFalse(e.getMessage().isBlank());
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    private static byte[] sha256(byte[] data) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(data);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
