package dev.agt.audit.merkle;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** The two RFC 6962 hash functions (SHA-256 with domain-separation prefixes) and the empty-tree root. */
public final class Hashes {

    /** Length in bytes of every hash this package produces or accepts. */
    public static final int SIZE = 32;

    // The 0x00/0x01 prefixes keep a leaf from ever being passed off as an interior node
    // (second-preimage protection, RFC 6962 section 2.1).
    private static final byte LEAF_PREFIX = 0x00;
    private static final byte NODE_PREFIX = 0x01;

    // MessageDigest is stateful and not thread-safe; one per thread avoids both locking and
    // the provider lookup that getInstance does on every call.
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(Hashes::newDigest);

    private static final byte[] EMPTY_ROOT = newDigest().digest();

    private Hashes() {}

    /** SHA-256(0x00 || data): the hash of one log entry. */
    public static byte[] leaf(byte[] data) {
        MessageDigest md = SHA256.get();
        md.update(LEAF_PREFIX);
        md.update(data);
        return md.digest();
    }

    /** SHA-256(0x00 || data[off, off + len)): the hash of one log entry held in a larger buffer. */
    public static byte[] leaf(byte[] data, int off, int len) {
        MessageDigest md = SHA256.get();
        md.update(LEAF_PREFIX);
        md.update(data, off, len);
        return md.digest();
    }

    /** SHA-256(0x01 || left || right): the hash of an interior node. */
    public static byte[] node(byte[] left, byte[] right) {
        MessageDigest md = SHA256.get();
        md.update(NODE_PREFIX);
        md.update(left);
        md.update(right);
        return md.digest();
    }

    /** SHA-256 of the empty string: the root of a tree with no leaves. A fresh copy each call. */
    public static byte[] emptyRoot() {
        return EMPTY_ROOT.clone();
    }

    static boolean isEmptyRoot(byte[] hash) {
        return MessageDigest.isEqual(EMPTY_ROOT, hash);
    }

    private static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            // Every Java SE implementation must provide SHA-256 (MessageDigest javadoc).
            throw new IllegalStateException("agt: this JVM has no SHA-256 MessageDigest", e);
        }
    }
}
