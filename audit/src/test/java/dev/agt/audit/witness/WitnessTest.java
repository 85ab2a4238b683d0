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
}
