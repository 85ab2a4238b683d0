package dev.agt.audit.witness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.agt.audit.merkle.CompactRange;
import dev.agt.audit.merkle.Hashes;
import dev.agt.audit.merkle.Proofs;
import dev.agt.audit.note.Checkpoint;
import dev.agt.audit.note.Cosignature;
import dev.agt.audit.note.NoteKeys;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The witness: cosigns checkpoints that extend what it cosigned, refuses forks and keeps them as evidence. */
class WitnessTest {
    static final NoteKeys.Signer LOG = NoteKeys.generate("engine-a");
    static final NoteKeys.Signer WITNESS = NoteKeys.generate("witness-1");

    @TempDir
    Path state;

    /** A log: its leaves, and signed checkpoints of its prefixes. */
    static final class Log {
        final List<byte[]> leaves = new ArrayList<>();

        Log(String tag, int n) {
            for (int i = 0; i < n; i++) {
                leaves.add(Hashes.leaf((tag + i).getBytes(StandardCharsets.UTF_8)));
            }
        }

        Checkpoint at(int size) {
            CompactRange r = new CompactRange();
            leaves.subList(0, size).forEach(r::append);
            return new Checkpoint("agt/" + LOG.verifier().name(), size, r.root());
        }

        String request(long old, int size, NoteKeys.Signer signer) throws Exception {
            StringBuilder b = new StringBuilder("old " + old + "\n");
            if (old > 0 && old < size) {
                for (byte[] h : Proofs.consistency(old, size, i -> leaves.get((int) i))) {
                    b.append(Base64.getEncoder().encodeToString(h)).append('\n');
                }
            }
            return b.append('\n').append(at(size).sign(signer)).toString();
        }
    }

    Witness witness() throws Exception {
        return new Witness(WITNESS, state, List.of(LOG.verifier()), () -> 1_780_000_000L);
    }

    @Test
    void itCosignsACheckpointThatExtendsTheOneItCosignedAndNothingElse() throws Exception {
        Witness w = witness();
        Log log = new Log("a", 20);
        Witness.Answer first = w.add(log.request(0, 5, LOG));
        assertEquals(200, first.status(), first.body());
        String note = log.at(5).sign(LOG) + first.body();
        assertEquals(1_780_000_000L, Cosignature.verify(note, log.at(5), WITNESS.verifier()).getAsLong());
        assertTrue(Cosignature.verify(note, log.at(6), WITNESS.verifier()).isEmpty(), "a cosignature covers its checkpoint only");
        assertEquals(200, w.add(log.request(5, 12, LOG)).status());
        // the submitter's idea of the old size is stale: the witness names its own
        Witness.Answer stale = w.add(log.request(5, 15, LOG));
        assertEquals(409, stale.status());
        assertEquals("12\n", stale.body());
        assertEquals("text/x.tlog.size", stale.contentType());
        // one witness per state directory: a second could cosign the other side of a fork
        java.io.IOException taken = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class, this::witness);
        assertTrue(taken.getMessage().contains("another witness holds"), taken.getMessage());
        // a witness that restarts keeps what it cosigned
        w.close();
        Witness again = witness();
        assertEquals(200, again.add(log.request(12, 20, LOG)).status());
    }

    @Test
    void aForkIsRefusedAndKeptAsEvidenceAndTheTrueLogGoesOn() throws Exception {
        Witness w = witness();
        Log log = new Log("a", 20);
        assertEquals(200, w.add(log.request(0, 8, LOG)).status());
        // another history under the same key: its first 8 entries differ
        Log other = new Log("b", 20);
        Witness.Answer extended = w.add(other.request(8, 14, LOG));
        assertEquals(422, extended.status(), "a checkpoint that does not extend the cosigned one: " + extended.body());
        Witness.Answer sameSize = w.add(other.request(8, 8, LOG));
        assertEquals(409, sameSize.status(), "another root at the cosigned size");
        try (Stream<Path> forks = Files.list(state.resolve("forks"))) {
            List<Path> evidence = forks.toList();
            assertEquals(2, evidence.size());
            for (Path e : evidence) {
                String text = Files.readString(e);
                // both signed checkpoints: the one it cosigned, and the one that contradicts it
                assertTrue(text.contains(log.at(8).sign(LOG)), text);
                assertTrue(text.contains(other.at(14).sign(LOG)) || text.contains(other.at(8).sign(LOG)), text);
            }
        }
        assertEquals(200, w.add(log.request(8, 14, LOG)).status(), "the true log is still cosigned");
    }

    @Test
    void unknownLogsBadSignaturesAndMalformedRequestsAreRefused() throws Exception {
        Witness w = witness();
        Log log = new Log("a", 10);
        assertEquals(403, w.add(log.request(0, 4, NoteKeys.generate("engine-a"))).status(), "signed by another key of the same name");
        String foreign = "old 0\n\n" + new Checkpoint("agt/elsewhere", 4, log.at(4).root()).sign(NoteKeys.generate("elsewhere"));
        assertEquals(404, w.add(foreign).status());
        for (String bad : List.of("", "old x\n\nnote", "old 0\nnot-base64!\n\n" + log.at(4).sign(LOG), "nothing")) {
            assertEquals(400, w.add(bad).status(), bad);
        }
        assertEquals(400, w.add(log.request(0, 4, LOG).replace("old 0\n", "old 0\n" + Base64.getEncoder().encodeToString(new byte[32]) + "\n")).status(),
                "a first checkpoint comes with no proof");
    }

    /**
     * A state shared with another witness process, which advances it between this witness's read
     * and its write: the first advance loses, as a compare-and-set in a database would.
     */
    static final class Raced implements Witness.State {
        final java.util.Map<String, Witness.Held> held = new java.util.HashMap<>();
        final List<String> evidence = new ArrayList<>();
        Witness.Held sneak;

        @Override
        public Witness.Held held(String origin) {
            return held.get(origin);
        }

        @Override
        public boolean advance(String origin, Witness.Held expected, Witness.Held next) {
            if (sneak != null) {
                held.put(origin, sneak); // the other process got there first
                sneak = null;
                return false;
            }
            if (held.get(origin) != expected) {
                return false;
            }
            held.put(origin, next);
            return true;
        }

        @Override
        public void evidence(String origin, String cosigned, String offered) {
            evidence.add(offered);
        }

        @Override
        public void close() {
        }
    }

    @Test
    void aWitnessThatLosesTheRaceChecksAgainstWhatTheOtherCosigned() throws Exception {
        Log log = new Log("a", 20);
        Log fork = new Log("a", 20); // the same first 5 entries, then another history
        for (int i = 5; i < 20; i++) {
            fork.leaves.set(i, Hashes.leaf(("b" + i).getBytes(StandardCharsets.UTF_8)));
        }
        Raced state = new Raced();
        Witness w = new Witness(WITNESS, state, List.of(LOG.verifier()), () -> 1_780_000_000L);
        // the other process cosigned the same checkpoint first: this one answers with the size it now holds, as for any stale
        // old size, and the client's retry from there is cosigned
        state.sneak = new Witness.Held(5, log.at(5).root(), log.at(5).sign(LOG));
        Witness.Answer lost = w.add(log.request(0, 5, LOG));
        assertEquals(409, lost.status(), lost.body());
        assertEquals("5\n", lost.body());
        assertEquals(200, w.add(log.request(5, 5, LOG)).status());
        // the other process cosigned size 8 of the log; this request offers size 8 of a fork: refused, and kept as evidence
        state.sneak = new Witness.Held(8, log.at(8).root(), log.at(8).sign(LOG));
        Witness.Answer a = w.add(fork.request(5, 8, LOG));
        assertEquals(409, a.status(), a.body());
        assertEquals("8\n", a.body(), "the size the other process cosigned");
        // the client's retry from size 8 offers the fork's checkpoint of the same size: refused as a fork
        Witness.Answer retry = w.add(fork.request(8, 8, LOG));
        assertEquals(409, retry.status(), retry.body());
        assertEquals(8, state.held.get("agt/" + LOG.verifier().name()).size());
        assertTrue(java.util.Arrays.equals(log.at(8).root(), state.held.get("agt/" + LOG.verifier().name()).root()), "the log's side stays");
        assertEquals(1, state.evidence.size(), "the fork is kept as evidence");
    }
}
