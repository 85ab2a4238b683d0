package dev.agt.audit.verify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agt.audit.log.EntryLine;
import dev.agt.audit.log.LogFiles;
import dev.agt.audit.merkle.Hashes;
import dev.agt.audit.merkle.ProofException;
import dev.agt.audit.merkle.Proofs;
import dev.agt.audit.note.Checkpoint;
import dev.agt.audit.note.NoteKeys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Self-contained proof documents (JSON) that a reviewer can check offline with only the
 * engine's public key: an inclusion proof carries the entry itself, its Merkle audit path and
 * the signed checkpoint it leads to; a consistency proof carries two signed checkpoints and the
 * path between them.
 */
public final class ProofFiles {
    static final ObjectMapper JSON = new ObjectMapper();

    private ProofFiles() {
    }

    /** Thrown when a proof cannot be made or does not hold; the message says why. */
    public static final class BadProofException extends Exception {
        private static final long serialVersionUID = 1L;

        public BadProofException(String message) {
            super(message);
        }
    }

    private static List<Path> checkpointFiles(Path dir) throws IOException {
        return LogFiles.checkpoints(dir);
    }

    /** The checkpoint file of exactly {@code size}, or the smallest one above {@code seq} when size is -1. */
    static Path pick(Path dir, long seq, long size) throws IOException, BadProofException {
        return pick(checkpointFiles(dir), seq, size);
    }

    private static Path pick(List<Path> checkpoints, long seq, long size) throws BadProofException {
        for (Path p : checkpoints) {
            long s = LogFiles.checkpointSize(p);
            if (size >= 0 ? s == size : s > seq) {
                return p;
            }
        }
        throw new BadProofException(size >= 0 ? "no checkpoint of size " + size
                : "entry #" + seq + " is not covered by a checkpoint yet (the engine signs at least every second)");
    }

    public static Map<String, Object> inclusion(Path dir, long seq, long checkpointSize) throws IOException, BadProofException {
        return Prover.open(dir, s -> s == seq).inclusion(seq, checkpointSize);
    }

    /**
     * Inclusion proofs of many entries from one read of the log (a report proves every blocked
     * call; one read per proof would reread the log each time). {@code agt audit prove} goes
     * through here too, so a report carries exactly the document that command prints.
     */
    public static final class Prover {
        private final List<Path> checkpoints;
        private final LeafIndex leaves;

        private Prover(List<Path> checkpoints, LeafIndex leaves) {
            this.checkpoints = checkpoints;
            this.leaves = leaves;
        }

        /**
         * Reads the log once, keeping the lines of the entries {@code willProve} names.
         *
         * @throws IOException when the log cannot be read or does not hold together as a chain
         */
        public static Prover open(Path dir, java.util.function.LongPredicate willProve) throws IOException {
            List<Path> checkpoints = checkpointFiles(dir); // before the entries: each names a size the log then had
            return new Prover(checkpoints, LeafIndex.withLines(dir, willProve));
        }

        /** The proof of entry {@code seq} against the checkpoint of {@code checkpointSize}, or the first covering it when -1. */
        public Map<String, Object> inclusion(long seq, long checkpointSize) throws IOException, BadProofException {
            Path cpFile = pick(checkpoints, seq, checkpointSize);
            long size = LogFiles.checkpointSize(cpFile);
            if (seq < 0 || seq >= size) {
                throw new BadProofException("entry #" + seq + " is not below checkpoint size " + size);
            }
            if (leaves.size() < size) {
                throw new BadProofException("the log is shorter than its checkpoint " + size + "; run 'agt audit verify'");
            }
            List<byte[]> proof = Proofs.inclusion(seq, size, leaves);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("type", "inclusion");
            m.put("seq", seq);
            m.put("entry", new String(leaves.line(seq), StandardCharsets.UTF_8));
            m.put("leaf_hash", b64(leaves.get(seq)));
            m.put("tree_size", size);
            m.put("proof", b64(proof));
            m.put("checkpoint", Files.readString(cpFile, StandardCharsets.UTF_8));
            return m;
        }
    }

    public static Map<String, Object> consistency(Path dir, long size1, long size2) throws IOException, BadProofException {
        if (size1 > size2) {
            throw new BadProofException("the first size must not exceed the second");
        }
        Path a = pick(dir, -1, size1);
        Path b = pick(dir, -1, size2);
        LeafIndex leaves = LeafIndex.of(dir);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "consistency");
        m.put("size1", size1);
        m.put("size2", size2);
        m.put("proof", b64(Proofs.consistency(size1, size2, leaves)));
        m.put("checkpoint1", Files.readString(a, StandardCharsets.UTF_8));
        m.put("checkpoint2", Files.readString(b, StandardCharsets.UTF_8));
        return m;
    }

    /** Checks a proof document; returns a one-line summary, or throws saying what does not hold. */
    public static String check(String json, NoteKeys.Verifier key) throws BadProofException {
        JsonNode n;
        try {
            n = JSON.readTree(json);
        } catch (IOException e) {
            throw new BadProofException("not a proof document: " + e.getMessage());
        }
        if (n == null || !n.isObject()) {
            throw new BadProofException("not a proof document");
        }
        String type = n.path("type").asText();
        try {
            if (type.equals("inclusion")) {
                Checkpoint cp = Checkpoint.open(n.path("checkpoint").asText(), key);
                long seq = n.path("seq").asLong(-1);
                byte[] entry = n.path("entry").asText().getBytes(StandardCharsets.UTF_8);
                EntryLine e = EntryLine.parse(entry, 0, entry.length);
                if (e == null || e.seq() != seq) {
                    throw new BadProofException("the entry is not entry #" + seq);
                }
                if (n.path("tree_size").asLong(-1) != cp.size()) {
                    throw new BadProofException("tree_size does not match the signed checkpoint");
                }
                Proofs.verifyInclusion(seq, cp.size(), Hashes.leaf(entry), hashes(n.path("proof")), cp.root());
                return "ok: entry #" + seq + " is in the log " + cp.origin() + " at tree size " + cp.size()
                        + ", signed by " + key.name() + " (" + key.keyIdHex() + ")";
            }
            if (type.equals("consistency")) {
                Checkpoint a = Checkpoint.open(n.path("checkpoint1").asText(), key);
                Checkpoint b = Checkpoint.open(n.path("checkpoint2").asText(), key);
                if (!a.origin().equals(b.origin())) {
                    throw new BadProofException("the checkpoints are of different logs: " + a.origin() + ", " + b.origin());
                }
                Proofs.verifyConsistency(a.size(), b.size(), a.root(), b.root(), hashes(n.path("proof")));
                return "ok: the log " + a.origin() + " at size " + b.size() + " extends its state at size " + a.size()
                        + ", both signed by " + key.name() + " (" + key.keyIdHex() + ")";
            }
        } catch (Checkpoint.NoteException e) {
            throw new BadProofException("checkpoint: " + e.getMessage());
        } catch (ProofException e) {
            throw new BadProofException("the proof does not hold: " + e.getMessage());
        }
        throw new BadProofException("unknown proof type '" + type + "' (inclusion or consistency)");
    }

    private static List<byte[]> hashes(JsonNode arr) throws BadProofException {
        List<byte[]> out = new ArrayList<>();
        if (arr == null || arr.isNull() || arr.isMissingNode()) {
            return out;
        }
        if (!arr.isArray()) {
            throw new BadProofException("proof must be a list of base64 hashes");
        }
        for (JsonNode h : arr) {
            try {
                out.add(Base64.getDecoder().decode(h.asText()));
            } catch (IllegalArgumentException e) {
                throw new BadProofException("proof element is not base64");
            }
        }
        return out;
    }

    static String b64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }

    static List<String> b64(List<byte[]> l) {
        return l.stream().map(ProofFiles::b64).toList();
    }
}
