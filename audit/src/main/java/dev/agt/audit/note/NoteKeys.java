package dev.agt.audit.note;

import java.io.IOException;
import dev.agt.identity.Ed25519;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Set;

/**
 * Ed25519 keys for signed notes (C2SP signed-note), in the note ecosystem's text formats:
 * a verifier key {@code NAME+HASH+BASE64(0x01 || public key)} and a signer key
 * {@code PRIVATE+KEY+NAME+HASH+BASE64(0x01 || seed)}, where HASH is the 4-byte key id in hex:
 * the first four bytes of SHA-256(NAME || "\n" || 0x01 || public key). Private key files must
 * have mode 0600 (or narrower); anything wider is refused, because a readable signing key lets
 * anyone forge checkpoints. Signatures are the project's one Ed25519 ({@link Ed25519}, the JDK's).
 */
public final class NoteKeys {
    static final byte ALG_ED25519 = 0x01;

    private NoteKeys() {
    }

    /** A verifier: name, key id and public key. */
    public record Verifier(String name, byte[] keyId, byte[] publicKey) {
        public boolean verify(byte[] message, byte[] signature) {
            return Ed25519.verify(publicKey, message, signature);
        }

        public String encode() {
            return name + "+" + HexFormat.of().formatHex(keyId) + "+" + Base64.getEncoder().encodeToString(prefixed(publicKey));
        }

        public String keyIdHex() {
            return HexFormat.of().formatHex(keyId);
        }
    }

    /** A signer: a verifier plus the private seed. */
    public record Signer(Verifier verifier, byte[] seed) {
        public byte[] sign(byte[] message) {
            return Ed25519.sign(seed, message);
        }

        public String encode() {
            return "PRIVATE+KEY+" + verifier.name() + "+" + verifier.keyIdHex() + "+"
                    + Base64.getEncoder().encodeToString(prefixed(seed));
        }
    }

    public static Signer generate(String name) {
        checkName(name);
        byte[] seed = Ed25519.newSeed();
        byte[] pub = Ed25519.publicKey(seed);
        return new Signer(new Verifier(name, keyId(name, pub), pub), seed);
    }

    static void checkName(String name) {
        if (name.isEmpty() || name.contains("+") || name.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
            throw new IllegalArgumentException("key name must be non-empty, without spaces, control characters or '+'");
        }
    }

    public static byte[] keyId(String name, byte[] publicKey) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(name.getBytes(StandardCharsets.UTF_8));
            d.update((byte) '\n');
            d.update(ALG_ED25519);
            d.update(publicKey);
            return Arrays.copyOf(d.digest(), 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] prefixed(byte[] key) {
        byte[] out = new byte[key.length + 1];
        out[0] = ALG_ED25519;
        System.arraycopy(key, 0, out, 1, key.length);
        return out;
    }

    public static Verifier parseVerifier(String text) throws KeyFileException {
        String[] parts = text.trim().split("\\+", 3); // the base64 key may itself contain '+'
        if (parts.length != 3) {
            throw new KeyFileException("not a verifier key (expected NAME+KEYID+BASE64)");
        }
        byte[] key = decodeKey(parts[2], Ed25519.KEY_BYTES);
        byte[] id = keyId(parts[0], key);
        if (!HexFormat.of().formatHex(id).equals(parts[1])) {
            throw new KeyFileException("verifier key id " + parts[1] + " does not match its name and key");
        }
        return new Verifier(parts[0], id, key);
    }

    public static Signer parseSigner(String text) throws KeyFileException {
        String[] parts = text.trim().split("\\+", 5);
        if (parts.length != 5 || !parts[0].equals("PRIVATE") || !parts[1].equals("KEY")) {
            throw new KeyFileException("not a signing key (expected PRIVATE+KEY+NAME+KEYID+BASE64)");
        }
        byte[] seed = decodeKey(parts[4], Ed25519.KEY_BYTES);
        byte[] pub = Ed25519.publicKey(seed);
        byte[] id = keyId(parts[2], pub);
        if (!HexFormat.of().formatHex(id).equals(parts[3])) {
            throw new KeyFileException("signing key id " + parts[3] + " does not match its name and key");
        }
        return new Signer(new Verifier(parts[2], id, pub), seed);
    }

    private static byte[] decodeKey(String b64, int len) throws KeyFileException {
        byte[] raw;
        try {
            raw = Base64.getDecoder().decode(b64);
        } catch (IllegalArgumentException e) {
            throw new KeyFileException("key is not valid base64");
        }
        if (raw.length != len + 1 || raw[0] != ALG_ED25519) {
            throw new KeyFileException("key is not an Ed25519 key (algorithm byte 0x01 and " + len + " bytes)");
        }
        return Arrays.copyOfRange(raw, 1, raw.length);
    }

    /** Reads a signing key, refusing a file that group or others can read. */
    public static Signer readSigner(Path file) throws IOException {
        Set<PosixFilePermission> perms;
        try {
            perms = Files.getPosixFilePermissions(file);
        } catch (NoSuchFileException e) {
            throw new KeyFileException(file + ": no such key file (create one with 'agt audit keygen')");
        }
        Set<PosixFilePermission> wide = Set.of(PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE,
                PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE,
                PosixFilePermission.OTHERS_EXECUTE);
        if (perms.stream().anyMatch(wide::contains)) {
            throw new KeyFileException(file + ": mode " + PosixFilePermissions.toString(perms)
                    + " lets others read the signing key; run 'chmod 600 " + file + "'");
        }
        try {
            return parseSigner(Files.readString(file, StandardCharsets.UTF_8));
        } catch (KeyFileException e) {
            throw new KeyFileException(file + ": " + e.getMessage());
        }
    }

    public static Verifier readVerifier(Path file) throws IOException {
        try {
            return parseVerifier(Files.readString(file, StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            throw new KeyFileException(file + ": no such public key file");
        } catch (KeyFileException e) {
            throw new KeyFileException(file + ": " + e.getMessage());
        }
    }

    /** Writes a new key pair; never overwrites. The private file is created with mode 0600. */
    public static void write(Signer signer, Path privateFile, Path publicFile) throws IOException {
        if (Files.exists(privateFile) || Files.exists(publicFile)) {
            throw new FileAlreadyExistsException(Files.exists(privateFile) ? privateFile.toString() : publicFile.toString(),
                    null, "refusing to overwrite an existing key");
        }
        // created with mode 0600 from the start: never readable by others, not even for an instant
        try (var ch = Files.newByteChannel(privateFile, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
            ch.write(java.nio.ByteBuffer.wrap((signer.encode() + "\n").getBytes(StandardCharsets.UTF_8)));
        }
        Files.setPosixFilePermissions(privateFile, PosixFilePermissions.fromString("rw-------")); // umask may have narrowed it
        Files.writeString(publicFile, signer.verifier().encode() + "\n", StandardOpenOption.CREATE_NEW);
    }
}
