package dev.agt.identity;

import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.NoSuchProviderException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.SignatureException;
import java.security.interfaces.EdECPrivateKey;
import java.security.spec.EdECPrivateKeySpec;
import java.security.spec.NamedParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;

/**
 * Ed25519 with the JDK's own implementation (JDK 15+), on raw 32-byte seeds and public keys: the
 * project's one signature implementation, for agent keys and delegation tokens here and for the
 * audit log's signed checkpoints (which is why it is public). RFC 8032 signatures are
 * deterministic, so the bytes are those of any other correct implementation: keys, checkpoints and
 * tokens made with BouncyCastle by earlier builds verify, and are signed again, unchanged.
 *
 * <p>Why the JDK's: this module runs inside the javaagent, in other people's applications, where a
 * second copy of a crypto library is weight and a clash risk; the JDK's needs nothing. It is slower
 * than BouncyCastle's on JDK 17 (about 0.5 ms against 0.07 ms a signature or a verification), and
 * nothing that waits for an answer feels it: a handshake verifies one signature per session, a
 * proof check one (well inside its 1 ms goal), and checkpoints are signed by the log's background
 * thread, at most one per thousand entries (at 90,000 entries a second, some 5% of one core).
 *
 * <p>The JDK's {@code SunEC} provider is asked for by name: an application inside which the
 * javaagent runs may have installed another provider first (BouncyCastle often is), and keys must
 * behave the same whatever the application did. When {@code SunEC} is missing, the default
 * provider is used and the results are checked (below).
 *
 * <p>The JDK has no public API that derives a public key from a seed. {@link #publicKey} hands the
 * seed to the key pair generator as its "random" bytes: the generator draws exactly the 32-byte
 * private key from it (RFC 8032 section 5.1.5). That is an implementation detail, so it is
 * checked: the generated private key must be the seed, or this fails rather than return a key
 * that belongs to some other seed.
 */
public final class Ed25519 {
    public static final int KEY_BYTES = 32;
    public static final int SIGNATURE_BYTES = 64;
    /** DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): SEQUENCE, AlgorithmIdentifier 1.3.101.112, BIT STRING. */
    private static final byte[] SPKI_PREFIX = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
    private static final SecureRandom RANDOM = new SecureRandom();

    private Ed25519() {
    }

    /** A new 32-byte seed (RFC 8032's private key) from the platform's secure random source. */
    public static byte[] newSeed() {
        byte[] seed = new byte[KEY_BYTES];
        RANDOM.nextBytes(seed);
        return seed;
    }

    /** The 32-byte public key of a seed. */
    public static byte[] publicKey(byte[] seed) {
        checkLength(seed, "seed");
        try {
            KeyPairGenerator g = generator();
            g.initialize(NamedParameterSpec.ED25519, new FixedBytes(seed));
            KeyPair kp = g.generateKeyPair();
            byte[] priv = ((EdECPrivateKey) kp.getPrivate()).getBytes().orElse(new byte[0]);
            if (!Arrays.equals(priv, seed)) {
                throw new IllegalStateException("the JDK's Ed25519 key pair generator (" + g.getProvider().getName()
                        + ") did not take the seed as the private key; cannot derive public keys here");
            }
            byte[] spki = kp.getPublic().getEncoded();
            if (spki.length != SPKI_PREFIX.length + KEY_BYTES
                    || !Arrays.equals(Arrays.copyOf(spki, SPKI_PREFIX.length), SPKI_PREFIX)) {
                throw new IllegalStateException("unexpected Ed25519 public key encoding from " + g.getProvider().getName());
            }
            return Arrays.copyOfRange(spki, SPKI_PREFIX.length, spki.length);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 is not available in this JDK: " + e.getMessage(), e);
        }
    }

    /** The 64-byte signature of {@code message} by the key of {@code seed}. */
    public static byte[] sign(byte[] seed, byte[] message) {
        checkLength(seed, "seed");
        try {
            KeyFactory kf = factory();
            PrivateKey key = kf.generatePrivate(new EdECPrivateKeySpec(NamedParameterSpec.ED25519, seed));
            Signature s = signature();
            s.initSign(key);
            s.update(message);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 signing failed: " + e.getMessage(), e);
        }
    }

    /** False for a wrong signature, a signature of the wrong length or a key the JDK cannot decode. */
    public static boolean verify(byte[] publicKey, byte[] message, byte[] signature) {
        checkLength(publicKey, "public key");
        if (signature.length != SIGNATURE_BYTES) {
            return false;
        }
        byte[] spki = Arrays.copyOf(SPKI_PREFIX, SPKI_PREFIX.length + KEY_BYTES);
        System.arraycopy(publicKey, 0, spki, SPKI_PREFIX.length, KEY_BYTES);
        try {
            KeyFactory kf = factory();
            PublicKey key = kf.generatePublic(new X509EncodedKeySpec(spki));
            Signature s = signature();
            s.initVerify(key);
            s.update(message);
            return s.verify(signature);
        } catch (InvalidKeyException | SignatureException | java.security.spec.InvalidKeySpecException e) {
            return false;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 verification is not available: " + e.getMessage(), e);
        }
    }

    private static KeyPairGenerator generator() throws NoSuchAlgorithmException {
        try {
            return KeyPairGenerator.getInstance("Ed25519", "SunEC");
        } catch (NoSuchProviderException e) {
            return KeyPairGenerator.getInstance("Ed25519");
        }
    }

    private static KeyFactory factory() throws NoSuchAlgorithmException {
        try {
            return KeyFactory.getInstance("Ed25519", "SunEC");
        } catch (NoSuchProviderException e) {
            return KeyFactory.getInstance("Ed25519");
        }
    }

    private static Signature signature() throws NoSuchAlgorithmException {
        try {
            return Signature.getInstance("Ed25519", "SunEC");
        } catch (NoSuchProviderException e) {
            return Signature.getInstance("Ed25519");
        }
    }

    private static void checkLength(byte[] key, String what) {
        if (key.length != KEY_BYTES) {
            throw new IllegalArgumentException("an Ed25519 " + what + " is " + KEY_BYTES + " bytes, got " + key.length);
        }
    }

    /** "Random" bytes that are the seed: see the class comment. */
    private static final class FixedBytes extends SecureRandom {
        private static final long serialVersionUID = 1L;
        private final byte[] bytes;
        private boolean used;

        FixedBytes(byte[] bytes) {
            this.bytes = bytes.clone();
        }

        @Override
        public synchronized void nextBytes(byte[] out) {
            if (used || out.length != bytes.length) {
                throw new IllegalStateException("the Ed25519 key pair generator asked for other random bytes than the seed");
            }
            used = true;
            System.arraycopy(bytes, 0, out, 0, out.length);
        }
    }
}
