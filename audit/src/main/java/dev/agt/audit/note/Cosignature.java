package dev.agt.audit.note;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.OptionalLong;

/**
 * A witness's cosignature on a checkpoint, in the C2SP tlog-cosignature form: a signed-note
 * signature line {@code — NAME BASE64(KEY ID || TIMESTAMP || SIGNATURE)} where the Ed25519
 * signature covers {@code "cosignature/v1\ntime " + TIMESTAMP + "\n"} followed by the checkpoint
 * body, TIMESTAMP is seconds since the epoch (8 bytes, big-endian, in the line), and the key id
 * is the first four bytes of SHA-256(NAME || "\n" || 0x04 || PUBLIC KEY). A witness key is an
 * Ed25519 key in the signed-note files {@code agt audit keygen} writes; its cosignature key id
 * differs from its note key id by that algorithm byte, as the spec has it.
 */
public final class Cosignature {
    static final byte ALG_COSIGNATURE_V1 = 0x04;

    private Cosignature() {
    }

    public static byte[] keyId(NoteKeys.Verifier witness) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(witness.name().getBytes(StandardCharsets.UTF_8));
            d.update((byte) '\n');
            d.update(ALG_COSIGNATURE_V1);
            d.update(witness.publicKey());
            return Arrays.copyOf(d.digest(), 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] message(Checkpoint c, long time) {
        byte[] head = ("cosignature/v1\ntime " + time + "\n").getBytes(StandardCharsets.UTF_8);
        byte[] body = c.body();
        byte[] out = new byte[head.length + body.length];
        System.arraycopy(head, 0, out, 0, head.length);
        System.arraycopy(body, 0, out, head.length, body.length);
        return out;
    }

    /** The signature line (with its newline) by which {@code witness} cosigns {@code c} at {@code time}. */
    public static String line(Checkpoint c, NoteKeys.Signer witness, long time) {
        byte[] sig = witness.sign(message(c, time));
        ByteBuffer blob = ByteBuffer.allocate(4 + 8 + sig.length);
        blob.put(keyId(witness.verifier())).putLong(time).put(sig);
        return Checkpoint.DASH + witness.verifier().name() + " " + Base64.getEncoder().encodeToString(blob.array()) + "\n";
    }

    /**
     * When {@code witness} cosigned {@code c} in {@code note} (a signed note with signature lines),
     * or empty when no line of the note is a valid cosignature by that key.
     */
    public static OptionalLong verify(String note, Checkpoint c, NoteKeys.Verifier witness) {
        int split = note.indexOf("\n\n");
        if (split < 0) {
            return OptionalLong.empty();
        }
        byte[] id = keyId(witness);
        for (String line : note.substring(split + 2).split("\n")) {
            if (!line.startsWith(Checkpoint.DASH)) {
                continue;
            }
            String[] parts = line.substring(Checkpoint.DASH.length()).split(" ");
            if (parts.length != 2 || !parts[0].equals(witness.name())) {
                continue;
            }
            byte[] blob;
            try {
                blob = Base64.getDecoder().decode(parts[1]);
            } catch (IllegalArgumentException e) {
                continue;
            }
            if (blob.length != 4 + 8 + 64 || !Arrays.equals(Arrays.copyOf(blob, 4), id)) {
                continue;
            }
            long time = ByteBuffer.wrap(blob, 4, 8).getLong();
            if (witness.verify(message(c, time), Arrays.copyOfRange(blob, 12, blob.length))) {
                return OptionalLong.of(time);
            }
        }
        return OptionalLong.empty();
    }
}
