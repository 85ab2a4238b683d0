package dev.agt.audit.verify;

import dev.agt.audit.log.LogFiles;
import dev.agt.audit.log.LogScan;
import dev.agt.audit.note.Checkpoint;
import dev.agt.audit.note.NoteKeys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code agt audit verify}: recomputes every entry's hash, the chain, the sequence, the Merkle
 * root at every checkpoint, every checkpoint's signature by the pinned key, and -- given a
 * witness directory -- that every witnessed checkpoint still matches the log. Reports the first
 * bad sequence number and what is wrong with it.
 */
public final class Verifier {

    /** The outcome. {@code ok} is false when {@code firstBad} names a problem. */
    public record Report(boolean ok, long entries, int checkpoints, long signedSize, String keyId, String firstTime,
                         String lastTime, long firstBad, String kind, String message, List<String> warnings) {
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("ok", ok);
            m.put("entries", entries);
            m.put("checkpoints", checkpoints);
            m.put("signed_size", signedSize);
            m.put("key_id", keyId);
            m.put("first_time", firstTime);
            m.put("last_time", lastTime);
            if (!ok) {
                m.put("first_bad_seq", firstBad);
                m.put("problem", kind);
                m.put("message", message);
            }
            m.put("warnings", warnings);
            return m;
        }
    }

    private Verifier() {
    }

    /**
     * Checkpoints cosigned by witnesses ({@code agt audit cosign}): the notes in {@code dir}, each
     * counted when at least {@code required} of {@code witnesses} cosigned it.
     */
    public record Cosigned(Path dir, List<NoteKeys.Verifier> witnesses, int required) {
    }

    public static Report verify(Path dir, NoteKeys.Verifier key, Path witness) throws IOException {
        return verify(dir, key, witness, null);
    }

    public static Report verify(Path dir, NoteKeys.Verifier key, Path witness, Cosigned cosigned) throws IOException {
        List<String> warnings = new ArrayList<>();
        Map<Long, Checkpoint> cps = new LinkedHashMap<>();
        Set<Long> sizes = new HashSet<>();
        String keyId = key.keyIdHex();
        List<Path> files = LogFiles.checkpoints(dir);
        // 1. checkpoints: each must be signed by the pinned key
        for (Path f : files) {
            Checkpoint c;
            try {
                c = Checkpoint.open(Files.readString(f, StandardCharsets.UTF_8), key);
            } catch (Checkpoint.NoteException e) {
                long at = LogFiles.checkpointSize(f);
                long bad = previousSize(cps, at);
                String kind = e.kind().equals("unknown-key") ? "unknown-key" : e.kind().equals("bad-signature") ? "bad-signature" : "malformed-checkpoint";
                return fail(0, cps.size(), keyId, bad, kind, "checkpoint " + f.getFileName() + ": " + e.getMessage(), warnings);
            }
            if (c.size() != LogFiles.checkpointSize(f)) {
                return fail(0, cps.size(), keyId, Math.min(c.size(), LogFiles.checkpointSize(f)), "malformed-checkpoint",
                        "checkpoint " + f.getFileName() + " says size " + c.size(), warnings);
            }
            cps.put(c.size(), c);
            sizes.add(c.size());
        }
        Map<Long, Checkpoint> witnessed = new LinkedHashMap<>();
        if (witness != null) {
            for (Path f : LogFiles.list(witness, "[0-9]{13}\\.note")) {
                try {
                    Checkpoint c = Checkpoint.open(Files.readString(f, StandardCharsets.UTF_8), key);
                    witnessed.put(c.size(), c);
                    sizes.add(c.size());
                } catch (Checkpoint.NoteException e) {
                    warnings.add("copied checkpoint " + f.getFileName() + " ignored: " + e.getMessage());
                }
            }
            if (witnessed.isEmpty()) {
                warnings.add("the checkpoint copy holds no checkpoint signed by the pinned key");
            }
        }
        Map<Long, Checkpoint> countersigned = new LinkedHashMap<>();
        Map<Long, String> cosignedBy = new LinkedHashMap<>();
        if (cosigned != null) {
            java.util.Set<String> distinct = new java.util.HashSet<>();
            for (NoteKeys.Verifier w : cosigned.witnesses()) {
                distinct.add(w.keyIdHex() + w.name());
            }
            if (distinct.size() != cosigned.witnesses().size() || cosigned.required() < 1 || cosigned.required() > distinct.size()) {
                throw new IllegalArgumentException("give each witness key once, and require from 1 to " + distinct.size() + " cosignatures");
            }
            for (Path f : LogFiles.list(cosigned.dir(), "[0-9]{13}\\.note")) {
                String note = Files.readString(f, StandardCharsets.UTF_8);
                Checkpoint c;
                try {
                    c = Checkpoint.open(note, key);
                } catch (Checkpoint.NoteException e) {
                    warnings.add("cosigned checkpoint " + f.getFileName() + " ignored: " + e.getMessage());
                    continue;
                }
                List<String> by = new ArrayList<>();
                for (NoteKeys.Verifier w : cosigned.witnesses()) {
                    java.util.OptionalLong t = dev.agt.audit.note.Cosignature.verify(note, c, w);
                    if (t.isPresent()) {
                        by.add(w.name() + " at " + java.time.Instant.ofEpochSecond(t.getAsLong()));
                    }
                }
                if (by.size() < cosigned.required()) {
                    warnings.add("checkpoint " + c.size() + " (" + f + ") has " + by.size() + " of the " + cosigned.required()
                            + " cosignatures required; not counted");
                    continue;
                }
                countersigned.put(c.size(), c);
                cosignedBy.put(c.size(), f + ", cosigned by " + String.join(", ", by));
                sizes.add(c.size());
            }
            if (countersigned.isEmpty()) {
                return fail(0, cps.size(), keyId, 0, "unwitnessed", "no checkpoint in " + cosigned.dir() + " carries " + cosigned.required()
                        + " valid cosignature(s) by the witness keys given", warnings);
            }
        }
        // 2. the log itself
        LogScan.Result scan = LogScan.scan(dir, sizes);
        if (scan.broken() != null) {
            LogScan.Break b = scan.broken();
            if (b.linkAt() > 0) {
                b = whichSideOfTheLink(dir, b, cps);
            }
            return fail(scan.entries(), cps.size(), keyId, b.seq(), b.kind(), b.message(), warnings, scan);
        }
        if (scan.tornBytes() > 0) {
            warnings.add("the last segment ends with " + scan.tornBytes() + " bytes of an unfinished record (a crash mid-write; "
                    + "the engine removes it on its next start; it was never acknowledged)");
        }
        // 3. every checkpoint and witnessed checkpoint against the recomputed roots
        long signed = 0;
        for (Map<Long, Checkpoint> set : List.of(cps, witnessed, countersigned)) {
            boolean isWitness = set != cps;
            for (Checkpoint c : set.values()) {
                String what = set == countersigned ? "the checkpoint of size " + c.size() + " (" + cosignedBy.get(c.size()) + ")"
                        : (isWitness ? "copied checkpoint " : "checkpoint ") + c.size();
                if (c.size() > scan.entries()) {
                    return fail(scan.entries(), cps.size(), keyId, scan.entries(), "truncated",
                            "the log ends at #" + (scan.entries() - 1) + " but " + what + " was signed over " + c.size()
                                    + " entries", warnings, scan);
                }
                byte[] root = scan.roots().get(c.size());
                if (!Arrays.equals(root, c.root())) {
                    // All links hold, so a root mismatch means the last entry it covers was
                    // altered -- or the whole log was replaced by another one (a fork).
                    boolean fork = isWitness || c.size() < scan.entries();
                    return fail(scan.entries(), cps.size(), keyId, Math.max(0, c.size() - 1), fork ? "fork" : "modified",
                            "the log does not match " + what + (fork ? ": it has been replaced or rewritten" : ""), warnings, scan);
                }
                if (!isWitness) {
                    signed = Math.max(signed, c.size());
                }
            }
        }
        // 4. Successive checkpoints are consistent by construction here: every root above was
        //    recomputed from this one sequence of entries, so each is the root of a prefix of the
        //    next. (Rebuilding a consistency proof per pair would rescan the log per pair.)
        if (cps.isEmpty()) {
            return fail(scan.entries(), 0, keyId, 0, "unsigned", "the log has no signed checkpoint", warnings, scan);
        }
        if (signed < scan.entries()) {
            warnings.add("entries #" + signed + "..#" + (scan.entries() - 1)
                    + " are not covered by a checkpoint yet (written after the last one; the engine signs at least every second and at shutdown)");
        }
        return new Report(true, scan.entries(), cps.size(), signed, keyId, scan.firstTime(), scan.lastTime(), -1, null, null, warnings);
    }

    /**
     * Entry #n records #n-1's hash; when they disagree, either #n-1 was changed or #n's record
     * of it was. A signed checkpoint over both tells which: if putting the recorded hash back
     * in place of #n-1's leaf reproduces the signed root, #n-1 is the one that changed (and the
     * recorded hash is its original); otherwise #n is.
     */
    private static LogScan.Break whichSideOfTheLink(Path dir, LogScan.Break b, Map<Long, Checkpoint> cps) throws IOException {
        long n = b.linkAt();
        Checkpoint cover = null;
        for (Checkpoint c : cps.values()) {
            if (c.size() > n && (cover == null || c.size() < cover.size())) {
                cover = c;
            }
        }
        if (cover == null) {
            return b;
        }
        List<byte[]> leaves = RawLeaves.read(dir, cover.size());
        if (leaves.size() < cover.size()) {
            return b;
        }
        byte[] recorded;
        try {
            recorded = java.util.HexFormat.of().parseHex(b.claimedPrev());
        } catch (IllegalArgumentException e) {
            recorded = null;
        }
        if (recorded != null && recorded.length == 32) {
            leaves.set((int) (n - 1), recorded);
            dev.agt.audit.merkle.CompactRange r = new dev.agt.audit.merkle.CompactRange();
            leaves.forEach(r::append);
            if (Arrays.equals(r.root(), cover.root())) {
                return b; // #n-1 changed
            }
        }
        return new LogScan.Break(n, "modified", "#" + n + "'s record of #" + (n - 1) + "'s hash was altered");
    }

    private static long previousSize(Map<Long, Checkpoint> cps, long at) {
        long best = 0;
        for (long s : cps.keySet()) {
            if (s < at) {
                best = Math.max(best, s);
            }
        }
        return best;
    }

    private static Report fail(long entries, int checkpoints, String keyId, long bad, String kind, String message, List<String> warnings) {
        return new Report(false, entries, checkpoints, 0, keyId, null, null, bad, kind, message, warnings);
    }

    private static Report fail(long entries, int checkpoints, String keyId, long bad, String kind, String message, List<String> warnings,
                               LogScan.Result scan) {
        return new Report(false, entries, checkpoints, 0, keyId, scan.firstTime(), scan.lastTime(), bad, kind, message, warnings);
    }
}
