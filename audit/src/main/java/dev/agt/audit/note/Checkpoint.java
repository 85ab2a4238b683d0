package dev.agt.audit.note;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * A C2SP tlog-checkpoint in a C2SP signed note:
 * <pre>
 * ORIGIN
 * TREE SIZE
 * BASE64 ROOT HASH
 *
 * — KEY NAME BASE64(KEY ID || ED25519 SIGNATURE)
 * </pre>
 * The signature covers the body: the three lines, each ending in a newline.
 */
public record Checkpoint(String origin, long size, byte[] root) {
    static final String DASH = "\u2014 ";

    public byte[] body() {
        return (origin + "\n" + size + "\n" + Base64.getEncoder().encodeToString(root) + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /** The signed note text. */
    public String sign(NoteKeys.Signer signer) {
        byte[] sig = signer.sign(body());
        byte[] blob = new byte[4 + sig.length];
        System.arraycopy(signer.verifier().keyId(), 0, blob, 0, 4);
        System.arraycopy(sig, 0, blob, 4, sig.length);
        return new String(body(), StandardCharsets.UTF_8) + "\n" + DASH + signer.verifier().name() + " "
                + Base64.getEncoder().encodeToString(blob) + "\n";
    }

    /** Thrown when a note cannot be trusted; the message says why. */
    public static final class NoteException extends Exception {
        private static final long serialVersionUID = 1L;
        private final String kind;

        public NoteException(String kind, String message) {
            super(message);
            this.kind = kind;
        }

        /** {@code malformed}, {@code unknown-key} or {@code bad-signature}. */
        public String kind() {
            return kind;
        }
    }

    /**
     * The checkpoint a note states, without checking any signature: for readers that only need
     * to name it (an export that says which checkpoint covers an entry); anything that trusts it
     * uses {@link #open}.
     */
    public static Checkpoint unverified(String note) throws NoteException {
        int split = note.indexOf("\n\n");
        String[] lines = (split < 0 ? "" : note.substring(0, split + 1)).split("\n", -1);
        if (lines.length < 4 || lines[0].isEmpty() || !lines[1].matches("0|[1-9][0-9]{0,18}")) {
            throw new NoteException("malformed", "not a signed checkpoint (origin, size, root hash, a blank line, signatures)");
        }
        try {
            byte[] root = Base64.getDecoder().decode(lines[2]);
            if (root.length != 32) {
                throw new IllegalArgumentException();
            }
            return new Checkpoint(lines[0], Long.parseLong(lines[1]), root);
        } catch (IllegalArgumentException e) {
            throw new NoteException("malformed", "root hash must be 32 bytes of base64");
        }
    }

    /**
     * Parses a signed checkpoint and verifies it with {@code verifier}: at least one signature
     * line must be by that key and valid. Signatures by other keys are ignored (a witness may
     * cosign), as the signed-note spec says.
     */
    public static Checkpoint open(String note, NoteKeys.Verifier verifier) throws NoteException {
        int split = note.indexOf("\n\n");
        if (split < 0) {
            throw new NoteException("malformed", "no blank line between the checkpoint and its signatures");
        }
        String bodyText = note.substring(0, split + 1);
        String[] lines = bodyText.split("\n", -1);
        if (lines.length < 4) {
            throw new NoteException("malformed", "a checkpoint has an origin, a size and a root hash");
        }
        long size;
        byte[] root;
        try {
            if (!lines[1].matches("0|[1-9][0-9]{0,18}")) {
                throw new NumberFormatException();
            }
            size = Long.parseLong(lines[1]);
            root = Base64.getDecoder().decode(lines[2]);
        } catch (IllegalArgumentException e) {
            throw new NoteException("malformed", "bad tree size or root hash");
        }
        if (root.length != 32 || lines[0].isEmpty()) {
            throw new NoteException("malformed", "root hash must be 32 bytes and the origin non-empty");
        }
        byte[] body = bodyText.getBytes(StandardCharsets.UTF_8);
        boolean sawOurKey = false;
        List<String> sigLines = new ArrayList<>(List.of(note.substring(split + 2).split("\n")));
        for (String line : sigLines) {
            if (line.isEmpty()) {
                continue;
            }
            if (!line.startsWith(DASH)) {
                throw new NoteException("malformed", "signature lines start with an em dash");
            }
            String[] parts = line.substring(DASH.length()).split(" ");
            if (parts.length != 2) {
                throw new NoteException("malformed", "a signature line is '— NAME BASE64'");
            }
            byte[] blob;
            try {
                blob = Base64.getDecoder().decode(parts[1]);
            } catch (IllegalArgumentException e) {
                throw new NoteException("malformed", "signature is not base64");
            }
            if (blob.length < 5) {
                throw new NoteException("malformed", "signature too short");
            }
            if (!parts[0].equals(verifier.name()) || !Arrays.equals(Arrays.copyOf(blob, 4), verifier.keyId())) {
                continue;
            }
            sawOurKey = true;
            if (blob.length == 68 && verifier.verify(body, Arrays.copyOfRange(blob, 4, blob.length))) {
                return new Checkpoint(lines[0], size, root);
            }
        }
        if (sawOurKey) {
            throw new NoteException("bad-signature", "the signature by " + verifier.name() + " does not verify");
        }
        throw new NoteException("unknown-key", "not signed by the pinned key " + verifier.name() + " (" + verifier.keyIdHex() + ")");
    }
}
