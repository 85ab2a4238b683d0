package dev.agt.audit.merkle;

import java.io.IOException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;

/**
 * Inclusion and consistency proofs of RFC 9162 section 2.1 (same tree as RFC 6962): generation
 * from a {@link LeafHashes} source and verification. Generation trusts its caller (bad sizes are
 * an {@link IllegalArgumentException}); verification trusts nothing and reports every problem
 * as a {@link ProofException}.
 */
public final class Proofs {

    private Proofs() {}

    /** MTH(D[from:to]) computed from leaf hashes: O(to - from) hashes, O(log(to - from)) memory. */
    public static byte[] subtreeRoot(long from, long to, LeafHashes leaves) throws IOException {
        if (from < 0 || to < from) {
            throw new IllegalArgumentException("agt: merkle: bad leaf range [" + from + ", " + to + ")");
        }
        // MTH of a list is the root of a compact range over that list, whatever its offset.
        CompactRange range = new CompactRange();
        for (long i = from; i < to; i++) {
            range.append(leafAt(leaves, i));
        }
        return range.root();
    }

    /** The audit path of leaf {@code index} in the tree of the first {@code size} leaves, leaf end first. */
    public static List<byte[]> inclusion(long index, long size, LeafHashes leaves) throws IOException {
        if (index < 0 || index >= size) {
            throw new IllegalArgumentException(
                    "agt: merkle: leaf index " + index + " is not inside a tree of size " + size);
        }
        return hashAll(ProofShape.inclusion(index, size), leaves);
    }

    /** Proof that the tree of {@code size1} leaves is a prefix of the tree of {@code size2}. */
    public static List<byte[]> consistency(long size1, long size2, LeafHashes leaves) throws IOException {
        if (size1 < 0 || size1 > size2) {
            throw new IllegalArgumentException(
                    "agt: merkle: no consistency proof from size " + size1 + " to size " + size2);
        }
        if (size1 == 0 || size1 == size2) {
            return List.of();
        }
        return hashAll(ProofShape.consistency(size1, size2), leaves);
    }

    /** RFC 9162 section 2.1.3.2. A null proof is treated as empty. */
    public static void verifyInclusion(long index, long size, byte[] leafHash, List<byte[]> proof, byte[] root)
            throws ProofException {
        List<byte[]> path = proof == null ? List.of() : proof;
        if (index < 0 || size < 0) {
            throw fail("inclusion", "negative leaf index " + index + " or tree size " + size);
        }
        if (index >= size) {
            throw fail("inclusion", "leaf index " + index + " is not inside a tree of size " + size);
        }
        requireHash("inclusion", "leaf hash", leafHash);
        requireHash("inclusion", "root", root);
        requireHashes("inclusion", path);
        int want = ProofShape.inclusion(index, size).size();
        if (path.size() != want) {
            throw fail("inclusion", "proof has " + path.size() + " hashes, want " + want
                    + " for leaf " + index + " of tree size " + size);
        }
        // fn walks up from the leaf, sn from the last leaf; where they coincide the node is on the
        // right edge and may have no right sibling (a promoted node), so levels are skipped.
        long fn = index;
        long sn = size - 1;
        byte[] r = leafHash;
        for (byte[] p : path) {
            if (sn == 0) {
                throw fail("inclusion", "proof is longer than the path to the root");
            }
            if ((fn & 1) == 1 || fn == sn) {
                r = Hashes.node(p, r);
                while ((fn & 1) == 0 && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
            } else {
                r = Hashes.node(r, p);
            }
            fn >>= 1;
            sn >>= 1;
        }
        if (sn != 0) {
            throw fail("inclusion", "proof is shorter than the path to the root");
        }
        if (!MessageDigest.isEqual(r, root)) {
            throw fail("inclusion", "root mismatch: leaf " + index + " with this proof does not hash to the root"
                    + " of tree size " + size);
        }
    }

    /**
     * RFC 9162 section 2.1.4.2, plus the cases it leaves to the caller: size1 == size2 needs equal
     * roots and an empty proof; size1 == 0 needs root1 to be the empty root and an empty proof.
     * A null proof is treated as empty.
     */
    public static void verifyConsistency(long size1, long size2, byte[] root1, byte[] root2, List<byte[]> proof)
            throws ProofException {
        List<byte[]> path = proof == null ? List.of() : proof;
        if (size1 < 0 || size2 < 0) {
            throw fail("consistency", "negative tree size " + Math.min(size1, size2));
        }
        if (size1 > size2) {
            throw fail("consistency", "size1 " + size1 + " is greater than size2 " + size2);
        }
        if (root1 == null || root2 == null) {
            throw fail("consistency", (root1 == null ? "root1" : "root2") + " is missing");
        }
        if (size1 == size2) {
            // Nothing to prove: the roots are compared as given, without interpreting them.
            if (!path.isEmpty()) {
                throw fail("consistency", "sizes are equal (" + size1 + ") so the proof must be empty, got "
                        + path.size() + " hashes");
            }
            if (!MessageDigest.isEqual(root1, root2)) {
                throw fail("consistency", "sizes are equal (" + size1 + ") but the roots differ");
            }
            if (size1 == 0 && !Hashes.isEmptyRoot(root1)) {
                throw fail("consistency", "root of the empty tree must be SHA-256 of the empty string");
            }
            return;
        }
        requireHash("consistency", "root1", root1);
        requireHash("consistency", "root2", root2);
        requireHashes("consistency", path);
        if (size1 == 0) {
            // Every tree extends the empty tree; there is nothing to send.
            if (!path.isEmpty()) {
                throw fail("consistency", "size1 is 0 so the proof must be empty, got " + path.size() + " hashes");
            }
            if (!Hashes.isEmptyRoot(root1)) {
                throw fail("consistency", "root1 of the empty tree must be SHA-256 of the empty string");
            }
            return;
        }
        int want = ProofShape.consistency(size1, size2).size();
        if (path.size() != want) {
            throw fail("consistency", "proof has " + path.size() + " hashes, want " + want
                    + " for sizes " + size1 + " -> " + size2);
        }
        // When size1 is a power of two the old tree is a complete subtree of the new one and the
        // proof omits its root, which the verifier already has (RFC step 2, without copying the list).
        boolean seeded = (size1 & (size1 - 1)) == 0;
        long fn = size1 - 1;
        long sn = size2 - 1;
        while ((fn & 1) == 1) {
            fn >>= 1;
            sn >>= 1;
        }
        int next = seeded ? 0 : 1;
        byte[] fr = seeded ? root1 : path.get(0);
        byte[] sr = fr;
        for (; next < path.size(); next++) {
            byte[] c = path.get(next);
            if (sn == 0) {
                throw fail("consistency", "proof is longer than the path to the root");
            }
            if ((fn & 1) == 1 || fn == sn) {
                fr = Hashes.node(c, fr);
                sr = Hashes.node(c, sr);
                while ((fn & 1) == 0 && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
            } else {
                sr = Hashes.node(sr, c);
            }
            fn >>= 1;
            sn >>= 1;
        }
        if (sn != 0) {
            throw fail("consistency", "proof is shorter than the path to the root");
        }
        if (!MessageDigest.isEqual(fr, root1)) {
            throw fail("consistency", "root1 mismatch: the proof does not hash to root1 of size " + size1);
        }
        if (!MessageDigest.isEqual(sr, root2)) {
            throw fail("consistency", "root2 mismatch: the proof does not hash to root2 of size " + size2);
        }
    }

    private static List<byte[]> hashAll(List<ProofShape.Range> ranges, LeafHashes leaves) throws IOException {
        List<byte[]> out = new ArrayList<>(ranges.size());
        for (ProofShape.Range r : ranges) {
            out.add(subtreeRoot(r.from(), r.to(), leaves));
        }
        return List.copyOf(out);
    }

    private static byte[] leafAt(LeafHashes leaves, long index) throws IOException {
        byte[] h = leaves.get(index);
        if (h == null || h.length != Hashes.SIZE) {
            throw new IOException("agt: merkle: leaf hash source returned "
                    + (h == null ? "null" : h.length + " bytes") + " for index " + index + ", want " + Hashes.SIZE);
        }
        return h;
    }

    private static void requireHash(String kind, String what, byte[] hash) throws ProofException {
        if (hash == null) {
            throw fail(kind, what + " is missing");
        }
        if (hash.length != Hashes.SIZE) {
            throw fail(kind, what + " is " + hash.length + " bytes, want " + Hashes.SIZE);
        }
    }

    private static void requireHashes(String kind, List<byte[]> path) throws ProofException {
        for (int i = 0; i < path.size(); i++) {
            requireHash(kind, "proof[" + i + "]", path.get(i));
        }
    }

    private static ProofException fail(String kind, String why) {
        return new ProofException("agt: merkle: " + kind + " proof: " + why);
    }
}
