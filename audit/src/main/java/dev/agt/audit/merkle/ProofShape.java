package dev.agt.audit.merkle;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Which subtrees a proof consists of, as leaf ranges, in the order the RFC lists them. Generation
 * hashes these ranges; verification only needs how many there are, to reject a proof of the
 * wrong length up front with a message that says so.
 *
 * <p>Both walks follow the RFC recursions top-down without recursing: at each step the current
 * range [from, to) splits at k, the largest power of two below its size. The recursion emits the
 * sibling after the sub-proof, so the walk collects siblings top-down and reverses at the end.
 */
final class ProofShape {

    /** Leaves [from, to) of the tree. */
    record Range(long from, long to) {}

    private ProofShape() {}

    /** PATH(index, D[0:size]) of RFC 9162 section 2.1.3.1; requires 0 <= index < size. */
    static List<Range> inclusion(long index, long size) {
        List<Range> siblings = new ArrayList<>(64);
        long from = 0;
        long to = size;
        while (to - from > 1) {
            long mid = from + Long.highestOneBit(to - from - 1);
            if (index < mid) {
                siblings.add(new Range(mid, to));
                to = mid;
            } else {
                siblings.add(new Range(from, mid));
                from = mid;
            }
        }
        Collections.reverse(siblings);
        return siblings;
    }

    /** PROOF(size1, D[0:size2]) of RFC 9162 section 2.1.4.1; requires 0 < size1 < size2. */
    static List<Range> consistency(long size1, long size2) {
        List<Range> nodes = new ArrayList<>(64);
        long from = 0;
        long to = size2;
        // The RFC's flag b: true while the old tree is still a left prefix of the current range,
        // in which case the verifier already knows its root (it is root1) and it is not sent.
        boolean oldRootKnown = true;
        while (size1 != to) {
            long mid = from + Long.highestOneBit(to - from - 1);
            if (size1 <= mid) {
                nodes.add(new Range(mid, to));
                to = mid;
            } else {
                nodes.add(new Range(from, mid));
                from = mid;
                oldRootKnown = false;
            }
        }
        if (!oldRootKnown) {
            nodes.add(new Range(from, to));
        }
        Collections.reverse(nodes);
        return nodes;
    }
}
