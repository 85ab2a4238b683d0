package dev.agt.identity;

import java.math.BigInteger;
import java.util.Arrays;

/** Base58 with the Bitcoin alphabet (multibase {@code base58btc}). */
final class Base58 {
    static final String ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    private static final BigInteger FIFTY_EIGHT = BigInteger.valueOf(58);
    /** Inputs here are keys (a did:key is 48 characters): anything longer is refused before any arithmetic. */
    static final int MAX_CHARS = 128;

    private Base58() {
    }

    static String encode(byte[] in) {
        int zeros = 0;
        while (zeros < in.length && in[zeros] == 0) {
            zeros++;
        }
        StringBuilder b = new StringBuilder();
        BigInteger n = new BigInteger(1, in);
        while (n.signum() > 0) {
            BigInteger[] qr = n.divideAndRemainder(FIFTY_EIGHT);
            b.append(ALPHABET.charAt(qr[1].intValue()));
            n = qr[0];
        }
        for (int i = 0; i < zeros; i++) {
            b.append('1');
        }
        return b.reverse().toString();
    }

    /**
     * @param offset added to positions in messages (where {@code s} starts in the text it came from)
     * @throws IllegalArgumentException naming the first character outside the alphabet by its
     *                                  1-based column
     */
    static byte[] decode(String s, int offset) {
        if (s.length() > MAX_CHARS) {
            throw new IllegalArgumentException("is too long (" + s.length() + " base58 characters; at most " + MAX_CHARS + ")");
        }
        BigInteger n = BigInteger.ZERO;
        for (int i = 0; i < s.length(); i++) {
            int d = ALPHABET.indexOf(s.charAt(i));
            if (d < 0) {
                throw new IllegalArgumentException("has '" + printable(s.charAt(i)) + "' at column " + (offset + i + 1)
                        + ", which is not in the base58btc alphabet (it has no 0, O, I or l)");
            }
            n = n.multiply(FIFTY_EIGHT).add(BigInteger.valueOf(d));
        }
        int zeros = 0;
        while (zeros < s.length() && s.charAt(zeros) == '1') {
            zeros++;
        }
        byte[] body = n.signum() == 0 ? new byte[0] : n.toByteArray();
        if (body.length > 1 && body[0] == 0) {
            body = Arrays.copyOfRange(body, 1, body.length); // BigInteger's sign byte
        }
        byte[] out = new byte[zeros + body.length];
        System.arraycopy(body, 0, out, zeros, body.length);
        return out;
    }

    static String printable(char c) {
        return c < 0x20 || c == 0x7f ? String.format("\\u%04x", (int) c) : String.valueOf(c);
    }
}
