package dev.agt.identity;

import java.math.BigInteger;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * Agent ids as {@code did:key} (W3C CCG did:key method): {@code did:key:z} followed by the base58btc
 * encoding of the multicodec prefix {@code ed25519-pub} (varint 0xed, i.e. the bytes 0xed 0x01) and
 * the 32-byte Ed25519 public key. A did:key carries its own key, so anyone can check a signature
 * made by it without looking anything up.
 *
 * <p>Decoding is strict: only {@code ed25519-pub} keys, only the {@code z} (base58btc) multibase,
 * only the canonical encoding (re-encoding gives the same text), and no key of small order or with
 * a non-canonical coordinate: for such a key a signature that verifies can be made without any
 * private key, so a DID built on one would not identify anybody.
 */
public final class DidKey {
    public static final String PREFIX = "did:key:";
    private static final byte[] ED25519_PUB = {(byte) 0xed, 0x01};
    private static final BigInteger P = BigInteger.TWO.pow(255).subtract(BigInteger.valueOf(19));
    /**
     * Encodings of the eight points of small order (the 8-torsion of edwards25519), with the two
     * "negative zero" encodings of the points whose x is 0. Computed independently and listed in
     * libsodium's blocklist, less its non-canonical entries (refused separately).
     */
    private static final List<byte[]> SMALL_ORDER = List.of(
            hex("0000000000000000000000000000000000000000000000000000000000000000"),
            hex("0000000000000000000000000000000000000000000000000000000000000080"),
            hex("0100000000000000000000000000000000000000000000000000000000000000"),
            hex("0100000000000000000000000000000000000000000000000000000000000080"),
            hex("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
            hex("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"),
            hex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),
            hex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85"),
            hex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),
            hex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa"));

    private DidKey() {
    }

    /** The did:key of a 32-byte Ed25519 public key. */
    public static String of(byte[] publicKey) {
        if (publicKey.length != Ed25519.KEY_BYTES) {
            throw new IllegalArgumentException("an Ed25519 public key is 32 bytes, got " + publicKey.length);
        }
        byte[] b = new byte[ED25519_PUB.length + publicKey.length];
        System.arraycopy(ED25519_PUB, 0, b, 0, ED25519_PUB.length);
        System.arraycopy(publicKey, 0, b, ED25519_PUB.length, publicKey.length);
        return PREFIX + "z" + Base58.encode(b);
    }

    /**
     * The public key a did:key carries.
     *
     * @throws IdentityException ({@code bad-did}) saying what is wrong with the text
     */
    public static byte[] publicKey(String did) throws IdentityException {
        if (did == null || did.isEmpty()) {
            throw bad(did, "is empty");
        }
        if (!did.startsWith(PREFIX)) {
            throw bad(did, "does not start with '" + PREFIX + "'");
        }
        String id = did.substring(PREFIX.length());
        if (id.isEmpty() || id.charAt(0) != 'z') {
            throw bad(did, "must use the base58btc multibase ('z' after '" + PREFIX + "')");
        }
        byte[] raw;
        try {
            raw = Base58.decode(id.substring(1), PREFIX.length() + 1);
        } catch (IllegalArgumentException e) {
            throw bad(did, e.getMessage());
        }
        if (raw.length < 2 || raw[0] != ED25519_PUB[0] || raw[1] != ED25519_PUB[1]) {
            throw bad(did, "is not an Ed25519 key (multicodec prefix "
                    + (raw.length < 2 ? "missing" : String.format("0x%02x 0x%02x", raw[0] & 0xff, raw[1] & 0xff))
                    + ", expected ed25519-pub 0xed 0x01)");
        }
        if (raw.length != ED25519_PUB.length + Ed25519.KEY_BYTES) {
            throw bad(did, "carries " + (raw.length - 2) + " key bytes; an Ed25519 public key is 32");
        }
        byte[] key = Arrays.copyOfRange(raw, 2, raw.length);
        if (!of(key).equals(did)) {
            throw bad(did, "is not in canonical form (leading '1's?)");
        }
        byte[] y = key.clone();
        y[31] &= 0x7f;
        byte[] be = new byte[32];
        for (int i = 0; i < 32; i++) {
            be[i] = y[31 - i];
        }
        if (new BigInteger(1, be).compareTo(P) >= 0) {
            throw bad(did, "has a non-canonical Ed25519 point encoding");
        }
        for (byte[] weak : SMALL_ORDER) {
            if (Arrays.equals(weak, key)) {
                throw bad(did, "is an Ed25519 key of small order, for which signatures can be made without a private key");
            }
        }
        return key;
    }

    /** Checks only the form; see {@link #publicKey}. */
    public static void check(String did) throws IdentityException {
        publicKey(did);
    }

    /**
     * Whether {@code signature} is an Ed25519 signature of {@code message} by the key {@code did}
     * carries.
     *
     * @throws IdentityException when {@code did} is not a usable did:key
     */
    public static boolean verify(String did, byte[] message, byte[] signature) throws IdentityException {
        return Ed25519.verify(publicKey(did), message, signature);
    }

    private static IdentityException bad(String did, String what) {
        String shown = did == null ? "" : did.length() > 80 ? did.substring(0, 80) + "..." : did;
        return new IdentityException(IdentityException.BAD_DID, "'" + shown + "' is not a usable did:key: it " + what);
    }

    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s);
    }
}
