package dev.agt.audit.witness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agt.audit.merkle.ProofException;
import dev.agt.audit.merkle.Proofs;
import dev.agt.audit.note.Checkpoint;
import dev.agt.audit.note.Cosignature;
import dev.agt.audit.note.NoteKeys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * A witness in the C2SP tlog-witness model: a checkpoint comes in with the size the submitter
 * believes the witness last cosigned and a consistency proof from it; the witness checks the
 * log's signature, that the old size is the one it holds, and that the new checkpoint extends
 * the one it cosigned; only then does it record the new one (on disk, before answering) and
 * return its cosignature. It never cosigns two checkpoints that disagree: a fork is refused and
 * both signed checkpoints are kept under {@code STATE/forks/} as evidence.
 *
 * <p>Answers follow the spec's HTTP codes: 200 with the cosignature line; 409 with the size the
 * witness holds ({@code text/x.tlog.size}) when the old size is not it, and when a checkpoint
 * of the same size has another root (a fork); 404 for a log it does not know; 403 when the
 * log's signature does not verify; 422 when the proof does not prove consistency (a fork, or a
 * broken proof); 400 for a malformed request.
 */
public final class Witness {
    /** An HTTP answer. */
    public record Answer(int status, String contentType, String body) {
    }

    /** The checkpoint this witness last cosigned for a log. */
    public record Held(long size, byte[] root, String note) {
    }

    /**
     * Where a witness keeps what it cosigned: a directory ({@link #directory}) or a database. A
     * store shared by two witness processes must make {@link #advance} a compare-and-set, so that
     * they cannot each cosign one side of a fork.
     */
    public interface State extends AutoCloseable {
        /** The checkpoint last cosigned for {@code origin}, or null. */
        Held held(String origin) throws IOException;

        /**
         * Records {@code next} for {@code origin} if what is held is still {@code expected} (null:
         * nothing); false when another writer got there first. Durable before it returns.
         */
        boolean advance(String origin, Held expected, Held next) throws IOException;

        /** Keeps both signed checkpoints of a fork this witness refused. */
        void evidence(String origin, String cosigned, String offered) throws IOException;

        @Override
        void close() throws IOException;
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private final NoteKeys.Signer key;
    private final State state;
    private final Map<String, NoteKeys.Verifier> logs = new LinkedHashMap<>();
    private final LongSupplier clock;

    /** {@code logKeys}: the logs this witness follows; a log's origin is {@code agt/KEYNAME}, as agt engines name theirs. */
    public Witness(NoteKeys.Signer key, Path state, List<NoteKeys.Verifier> logKeys, LongSupplier clockSeconds) throws IOException {
        this(key, directory(state), logKeys, clockSeconds);
    }

    public Witness(NoteKeys.Signer key, State state, List<NoteKeys.Verifier> logKeys, LongSupplier clockSeconds) {
        this.key = key;
        this.state = state;
        this.clock = clockSeconds;
        for (NoteKeys.Verifier v : logKeys) {
            logs.put("agt/" + v.name(), v);
        }
    }

    /** Lets the state go (a witness that stops). */
    public void close() throws IOException {
        state.close();
    }

    /** State in a directory: one JSON file per log, fsynced with its rename, and the directory locked to one witness. */
    public static State directory(Path dir) throws IOException {
        return new DirectoryState(dir);
    }

    private static final class DirectoryState implements State {
        private final Path state;
        private final java.nio.channels.FileChannel lockChannel;
        private final java.nio.channels.FileLock lock;

        DirectoryState(Path state) throws IOException {
            this.state = state;
            Files.createDirectories(state.resolve("logs"));
            Files.createDirectories(state.resolve("forks"));
            // one witness per state directory: two sharing it could each cosign one side of a fork
            lockChannel = java.nio.channels.FileChannel.open(state.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            java.nio.channels.FileLock l;
            try {
                l = lockChannel.tryLock();
            } catch (java.nio.channels.OverlappingFileLockException e) {
                l = null;
            }
            if (l == null) {
                lockChannel.close();
                throw new IOException("another witness holds " + state);
            }
            lock = l;
        }

        @Override
        public void close() throws IOException {
            lock.release();
            lockChannel.close();
        }

        private Path file(String origin) {
            return state.resolve("logs").resolve(sha256(origin) + ".json");
        }

        @Override
        public Held held(String origin) throws IOException {
            Path f = file(origin);
            if (!Files.exists(f)) {
                return null;
            }
            JsonNode n = JSON.readTree(Files.readAllBytes(f));
            if (n == null || !n.path("size").canConvertToLong() || !n.path("note").isTextual()) {
                throw new IOException(f + " is not a witness state file");
            }
            return new Held(n.path("size").asLong(), Base64.getDecoder().decode(n.path("root").asText()), n.path("note").asText());
        }

        @Override
        public boolean advance(String origin, Held expected, Held next) throws IOException {
            // the lock makes this process the only writer: what it read is still what is held
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("origin", origin);
            m.put("size", next.size());
            m.put("root", Base64.getEncoder().encodeToString(next.root()));
            m.put("note", next.note());
            Path tmp = file(origin).resolveSibling(file(origin).getFileName() + ".tmp");
            try (var ch = java.nio.channels.FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                ch.write(java.nio.ByteBuffer.wrap(JSON.writeValueAsBytes(m)));
                ch.force(true);
            }
            Files.move(tmp, file(origin), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            // and the rename itself: after a power loss the witness must not wake up holding an older size
            try (var dir = java.nio.channels.FileChannel.open(file(origin).getParent(), StandardOpenOption.READ)) {
                dir.force(true);
            }
            return true;
        }

        @Override
        public void evidence(String origin, String cosigned, String offered) throws IOException {
            Path f = state.resolve("forks").resolve(sha256(origin).substring(0, 16) + "-" + System.currentTimeMillis() + ".txt");
            Files.writeString(f, "fork of " + origin + "\n\ncosigned by this witness:\n" + cosigned + "\noffered, and refused:\n" + offered,
                    StandardCharsets.UTF_8);
        }
        }

        public NoteKeys.Verifier verifier() {
            return key.verifier();
    }

    /** One add-checkpoint request's body. */
    public synchronized Answer add(String request) {
        return add(request, true);
    }

    private Answer add(String request, boolean again) {
        int split = request.indexOf("\n\n");
        if (split < 0) {
            return bad("no blank line between the old size and proof, and the checkpoint");
        }
        String[] head = request.substring(0, split).split("\n");
        String note = request.substring(split + 2);
        if (!head[0].matches("old (0|[1-9][0-9]{0,18})")) {
            return bad("the first line is 'old SIZE'");
        }
        long old = Long.parseLong(head[0].substring(4));
        List<byte[]> proof = new ArrayList<>();
        for (int i = 1; i < head.length; i++) {
            try {
                byte[] h = Base64.getDecoder().decode(head[i]);
                if (h.length != 32) {
                    return bad("a proof line is not a 32-byte hash");
                }
                proof.add(h);
            } catch (IllegalArgumentException e) {
                return bad("a proof line is not base64");
            }
        }
        if (proof.size() > 63) {
            return bad("a consistency proof has at most 63 hashes");
        }
        String origin = note.contains("\n") ? note.substring(0, note.indexOf('\n')) : "";
        NoteKeys.Verifier logKey = logs.get(origin);
        if (logKey == null) {
            return new Answer(404, "text/plain", "this witness does not follow the log '" + origin + "'\n");
        }
        Checkpoint c;
        try {
            c = Checkpoint.open(note, logKey);
        } catch (Checkpoint.NoteException e) {
            return new Answer(e.kind().equals("malformed") ? 400 : 403, "text/plain", "checkpoint refused: " + e.getMessage() + "\n");
        }
        try {
            Held held = state.held(origin);
            long size = held == null ? 0 : held.size();
            if (old != size) {
                return new Answer(409, "text/x.tlog.size", size + "\n");
            }
            if (c.size() < old) {
                return bad("the checkpoint is smaller than the old size");
            }
            if (held != null) {
                if (c.size() == held.size()) {
                    if (!Arrays.equals(c.root(), held.root())) {
                        state.evidence(origin, held.note(), note);
                        return new Answer(409, "text/x.tlog.size", size + "\n");
                    }
                } else {
                    try {
                        Proofs.verifyConsistency(held.size(), c.size(), held.root(), c.root(), proof);
                    } catch (ProofException e) {
                        state.evidence(origin, held.note(), note);
                        return new Answer(422, "text/plain", "not consistent with the checkpoint of size " + held.size()
                                + " this witness cosigned: " + e.getMessage() + "\n");
                    }
                }
            } else if (!proof.isEmpty()) {
                return bad("a checkpoint after size 0 comes with an empty proof");
            }
            if ((held == null || c.size() > held.size()) && !state.advance(origin, held, new Held(c.size(), c.root(), note))) {
                // another witness process sharing the state moved it first: every check again, against what it holds now
                // (the same checkpoint is cosigned, a fork of it is kept as evidence, another old size is answered with the new one)
                if (again) {
                    return add(request, false);
                }
                Held now = state.held(origin);
                return new Answer(409, "text/x.tlog.size", (now == null ? 0 : now.size()) + "\n");
            }
            return new Answer(200, "text/plain", Cosignature.line(c, key, clock.getAsLong()));
        } catch (IOException e) {
            return new Answer(503, "text/plain", "the witness cannot keep its state: " + e.getMessage() + "\n");
        }
    }

    private static Answer bad(String why) {
        return new Answer(400, "text/plain", why + "\n");
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
