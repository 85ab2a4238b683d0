package dev.agt.audit.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agt.audit.note.Checkpoint;
import dev.agt.audit.note.KeyFileException;
import dev.agt.audit.note.NoteKeys;
import dev.agt.audit.verify.ProofFiles;
import dev.agt.audit.verify.Verifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditLogTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void entriesAreChainedSignedAndVerify() throws Exception {
        LogFixture.build(dir, null, 2500, 64L << 20, 1000);
        List<Long> sizes = LogFiles.checkpoints(dir).stream().map(LogFiles::checkpointSize).toList();
        assertEquals(2500L, sizes.get(sizes.size() - 1), "a checkpoint at close covers everything: " + sizes);
        long prev = 0;
        for (long s : sizes) {
            assertTrue(s - prev <= 2 * 1000 + 7, "never more than two intervals (plus a group) unsigned: " + sizes);
            prev = s;
        }
        assertTrue(sizes.size() >= 2, "checkpoints during the run, not only at close: " + sizes);
        Verifier.Report r = Verifier.verify(dir, LogFixture.KEY.verifier(), null);
        assertTrue(r.ok(), r.toString());
        assertEquals(2500, r.entries());
        assertEquals(2500, r.signedSize());
        assertTrue(r.warnings().isEmpty(), r.warnings().toString());
        List<String> lines = Files.readAllLines(LogFiles.segments(dir).get(0));
        JsonNode first = JSON.readTree(lines.get(0));
        assertEquals(LogScan.ZERO, first.get("prev").asText());
        assertEquals(0, first.get("seq").asLong());
        // canonical: keys sorted, no spaces
        assertTrue(lines.get(0).startsWith("{\"agent\":{\"auth\":\"local-peercred\",\"id\":\"agent-0\""), lines.get(0));
    }

    @Test
    void checkpointsAreC2spSignedNotes() throws Exception {
        LogFixture.build(dir, null, 10, 64L << 20, 1000);
        String note = Files.readString(LogFiles.checkpoints(dir).get(0), StandardCharsets.UTF_8);
        String[] lines = note.split("\n");
        assertEquals("agt/test-engine", lines[0]);
        assertEquals("10", lines[1]);
        assertEquals(44, lines[2].length(), "base64 of a 32-byte root");
        assertEquals("", lines[3]);
        assertTrue(lines[4].startsWith("\u2014 test-engine "), lines[4]);
        Checkpoint cp = Checkpoint.open(note, LogFixture.KEY.verifier());
        assertEquals(10, cp.size());
        NoteKeys.Signer other = NoteKeys.generate("test-engine");
        Checkpoint.NoteException e = assertThrows(Checkpoint.NoteException.class, () -> Checkpoint.open(note, other.verifier()));
        assertEquals("unknown-key", e.kind(), "same name, different key: the key id tells them apart");
    }

    @Test
    void segmentsRotateBySizeAndTheChainCrossesThem() throws Exception {
        LogFixture.build(dir, null, 400, 8 * 1024, 100);
        List<Path> segs = LogFiles.segments(dir);
        assertTrue(segs.size() > 5, "segments: " + segs);
        long expected = 0;
        for (Path s : segs) {
            assertEquals(expected, LogFiles.firstSeq(s), "segment names carry their first sequence number");
            expected += Files.readAllLines(s).size();
        }
        assertEquals(400, expected);
        assertTrue(Verifier.verify(dir, LogFixture.KEY.verifier(), null).ok());
    }

    @Test
    void reopeningContinuesTheSameChain() throws Exception {
        LogFixture.build(dir, null, 50, 64L << 20, 1000);
        try (AuditLog log = AuditLog.open(LogFixture.options(dir, null, 64L << 20, 1000))) {
            assertEquals(50, log.nextSeq());
            assertEquals(0, log.recovery().tornBytesRemoved());
            assertTrue(log.recovery().checkpointMatched());
            List<Long> seqs = LogFixture.fill(log, 50, 10);
            assertEquals(50L, seqs.get(0));
        }
        Verifier.Report r = Verifier.verify(dir, LogFixture.KEY.verifier(), null);
        assertTrue(r.ok(), r.toString());
        assertEquals(60, r.entries());
    }

    @Test
    void aTornLastRecordIsCutOffOnOpen() throws Exception {
        LogFixture.build(dir, null, 20, 64L << 20, 1000);
        Path seg = LogFiles.segments(dir).get(0);
        long good = Files.size(seg);
        Files.write(seg, "{\"agent\":{\"auth\":\"loc".getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND);
        Verifier.Report before = Verifier.verify(dir, LogFixture.KEY.verifier(), null);
        assertTrue(before.ok(), "an unfinished last record was never acknowledged: " + before);
        assertTrue(before.warnings().stream().anyMatch(w -> w.contains("unfinished record")), before.warnings().toString());
        try (AuditLog log = AuditLog.open(LogFixture.options(dir, null, 64L << 20, 1000))) {
            assertEquals(21, log.recovery().tornBytesRemoved());
            assertEquals(good, Files.size(seg));
            LogFixture.fill(log, 20, 5);
        }
        assertTrue(Verifier.verify(dir, LogFixture.KEY.verifier(), null).ok());
    }

    @Test
    void aDamagedLogIsNotExtended() throws Exception {
        LogFixture.build(dir, null, 30, 64L << 20, 1000);
        Path seg = LogFiles.segments(dir).get(0);
        List<String> lines = new java.util.ArrayList<>(Files.readAllLines(seg));
        lines.set(10, lines.get(10).replace("\"allow\"", "\"alloW\""));
        Files.write(seg, lines);
        AuditLog.DamagedLogException e = assertThrows(AuditLog.DamagedLogException.class,
                () -> AuditLog.open(LogFixture.options(dir, null, 64L << 20, 1000)));
        assertTrue(e.getMessage().contains("#10"), e.getMessage());
    }

    @Test
    void aLogShorterThanItsCheckpointIsNotExtended() throws Exception {
        LogFixture.build(dir, null, 30, 64L << 20, 1000);
        Path seg = LogFiles.segments(dir).get(0);
        List<String> lines = Files.readAllLines(seg);
        Files.write(seg, lines.subList(0, 25));
        AuditLog.DamagedLogException e = assertThrows(AuditLog.DamagedLogException.class,
                () -> AuditLog.open(LogFixture.options(dir, null, 64L << 20, 1000)));
        assertTrue(e.getMessage().contains("entries were removed"), e.getMessage());
    }

    @Test
    void anotherKeyCannotContinueTheLog() throws Exception {
        LogFixture.build(dir, null, 5, 64L << 20, 1000);
        AuditLog.Options other = new AuditLog.Options(dir, NoteKeys.generate("intruder"), "agt/intruder",
                dev.agt.audit.FsyncPolicy.NEVER, null, 64L << 20, 1000, 1000);
        assertThrows(AuditLog.DamagedLogException.class, () -> AuditLog.open(other));
    }

    @Test
    void inclusionAndConsistencyProofsCheckOfflineAndCatchLies() throws Exception {
        LogFixture.build(dir, null, 2500, 64L << 20, 1000);
        Map<String, Object> proof = ProofFiles.inclusion(dir, 1234, -1);
        assertTrue((Long) proof.get("tree_size") > 1234L);
        String json = JSON.writeValueAsString(proof);
        assertTrue(ProofFiles.check(json, LogFixture.KEY.verifier()).startsWith("ok: entry #1234"));
        String lie = json.replace("\\\"effect\\\":\\\"allow\\\"", "\\\"effect\\\":\\\"alloW\\\"");
        assertFalse(lie.equals(json));
        assertThrows(ProofFiles.BadProofException.class, () -> ProofFiles.check(lie, LogFixture.KEY.verifier()));
        assertThrows(ProofFiles.BadProofException.class, () -> ProofFiles.check(json, NoteKeys.generate("x").verifier()));

        long firstSize = LogFiles.checkpointSize(LogFiles.checkpoints(dir).get(0));
        String cons = JSON.writeValueAsString(ProofFiles.consistency(dir, firstSize, 2500));
        assertTrue(ProofFiles.check(cons, LogFixture.KEY.verifier()).startsWith("ok: the log"));
        assertThrows(ProofFiles.BadProofException.class, () -> ProofFiles.inclusion(dir, 2600, -1));

        // one read of the log proves many entries, each exactly as the single-entry call does
        ProofFiles.Prover prover = ProofFiles.Prover.open(dir, s -> s % 500 == 0 || s == 1234);
        assertEquals(json, JSON.writeValueAsString(prover.inclusion(1234, -1)));
        for (long s = 0; s < 2500; s += 500) {
            assertTrue(ProofFiles.check(JSON.writeValueAsString(prover.inclusion(s, -1)), LogFixture.KEY.verifier())
                    .startsWith("ok: entry #" + s + " "));
        }
    }

    @Test
    void privateKeysMustBeOwnerOnly() throws Exception {
        NoteKeys.Signer s = NoteKeys.generate("k");
        Path priv = dir.resolve("e.key");
        NoteKeys.write(s, priv, dir.resolve("e.pub"));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(priv)));
        assertEquals(s.verifier().keyIdHex(), NoteKeys.readSigner(priv).verifier().keyIdHex());
        Files.setPosixFilePermissions(priv, PosixFilePermissions.fromString("rw-r--r--"));
        KeyFileException e = assertThrows(KeyFileException.class, () -> NoteKeys.readSigner(priv));
        assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
        assertThrows(java.nio.file.FileAlreadyExistsException.class, () -> NoteKeys.write(s, priv, dir.resolve("e.pub")));
        Files.writeString(dir.resolve("bad.key"), "PRIVATE+KEY+x+00000000+AAAA");
        Files.setPosixFilePermissions(dir.resolve("bad.key"), PosixFilePermissions.fromString("rw-------"));
        assertThrows(KeyFileException.class, () -> NoteKeys.readSigner(dir.resolve("bad.key")));
    }
}
