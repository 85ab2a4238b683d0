package dev.agt.audit.merkle;

import java.util.ArrayList;
import java.util.List;

/**
 * Incremental root of an append-only tree: keeps O(log n) subtree hashes (a compact range from 0).
 *
 * <p>A tree of n leaves is, left to right, one perfect subtree per set bit of n, largest first
 * (13 = 8 + 4 + 1). Only those roots ("peaks") are kept. Appending merges the new leaf with the
 * peaks of equal height, exactly as a binary increment carries, so append costs O(1) hashes
 * amortized. The RFC 6962 root folds the peaks from the right, because MTH splits at the largest
 * power of two below n, which is the boundary after the first peak.
 *
 * <p>Not thread-safe.
 */
public final class CompactRange {

    private final List<byte[]> peaks;
    private long size;

    public CompactRange() {
        this(new ArrayList<>(), 0);
    }

    private CompactRange(List<byte[]> peaks, long size) {
        this.peaks = peaks;
        this.size = size;
    }

    /** Appends the hash of the next leaf (as from {@link Hashes#leaf}); it must be 32 bytes. */
    public void append(byte[] leafHash) {
        if (leafHash == null || leafHash.length != Hashes.SIZE) {
            throw new IllegalArgumentException("agt: merkle: a leaf hash must be " + Hashes.SIZE + " bytes, got "
                    + (leafHash == null ? "null" : leafHash.length + " bytes"));
        }
        // Defensive copy: peaks are shared with copies and handed to Hashes, never mutated.
        byte[] carry = leafHash.clone();
        for (long s = size; (s & 1) == 1; s >>>= 1) {
            carry = Hashes.node(peaks.remove(peaks.size() - 1), carry);
        }
        peaks.add(carry);
        size++;
    }

    public long size() {
        return size;
    }

    /** MTH of all leaves so far; {@link Hashes#emptyRoot()} when empty. At most 63 hashes. */
    public byte[] root() {
        if (peaks.isEmpty()) {
            return Hashes.emptyRoot();
        }
        int last = peaks.size() - 1;
        byte[] acc = peaks.get(last);
        for (int i = last - 1; i >= 0; i--) {
            acc = Hashes.node(peaks.get(i), acc);
        }
        return last == 0 ? acc.clone() : acc;
    }

    /** An independent range with the same leaves; appending to either does not affect the other. */
    public CompactRange copy() {
        return new CompactRange(new ArrayList<>(peaks), size);
    }
}
