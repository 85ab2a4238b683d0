package dev.agt.audit.merkle;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

/** Test trees: the eight RFC 6962 reference leaves, random trees, and a naive MTH oracle. */
final class ReferenceTree {

    /** Leaf data of the RFC 6962 reference tree, as hex. */
    static final List<String> LEAF_DATA = List.of(
            "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f");

    private ReferenceTree() {}

    static List<byte[]> referenceLeafHashes() {
        List<byte[]> hashes = new ArrayList<>();
        for (String hex : LEAF_DATA) {
            hashes.add(Hashes.leaf(HexFormat.of().parseHex(hex)));
        }
        return hashes;
    }

    static List<byte[]> randomLeafHashes(int count, Random random) {
        List<byte[]> hashes = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            byte[] data = new byte[random.nextInt(40)];
            random.nextBytes(data);
            hashes.add(Hashes.leaf(data));
        }
        return hashes;
    }

    static LeafHashes source(List<byte[]> hashes) {
        return index -> hashes.get(Math.toIntExact(index));
    }

    /**
     * MTH(D[from:to]) straight from the recursive definition in RFC 9162 section 2.1.1, as an
     * oracle independent of the iterative code under test.
     */
    static byte[] naiveRoot(List<byte[]> hashes, int from, int to) {
        int n = to - from;
        if (n == 0) {
            return Hashes.emptyRoot();
        }
        if (n == 1) {
            return hashes.get(from);
        }
        int k = 1;
        while (k * 2 < n) {
            k *= 2;
        }
        return Hashes.node(naiveRoot(hashes, from, from + k), naiveRoot(hashes, from + k, to));
    }
}
