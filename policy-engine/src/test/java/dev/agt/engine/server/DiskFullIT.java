package dev.agt.engine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.agt.audit.FsyncPolicy;
import dev.agt.audit.note.NoteKeys;
import dev.agt.audit.verify.Verifier;
import dev.agt.protocol.Decision;
import dev.agt.protocol.EngineClient;
import dev.agt.protocol.Reasons;
import dev.agt.protocol.Request;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A real full disk: the audit directory on a 256 KiB tmpfs. Needs root (to mount); skipped with
 * a message elsewhere. While the log cannot be written every call is denied
 * {@code audit-unavailable}; once space is back, calls are allowed again and the log verifies.
 */
class DiskFullIT {
    @RegisterExtension
    final EngineFixture f = new EngineFixture();
    Path mount;

    static int run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor(30, TimeUnit.SECONDS) ? p.exitValue() : -1;
    }

    @AfterEach
    void unmount() throws Exception {
        f.stopEngine(); // its log is on the tmpfs: closed before the unmount
        if (mount != null) {
            run("umount", mount.toString());
        }
    }

    @Test
    void aFullDiskDeniesEveryCallAndServiceResumesWhenSpaceReturns() throws Exception {
        Path m = Files.createDirectories(f.file("small-disk"));
        int rc = run("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", m.toString());
        assumeTrue(rc == 0, "DiskFullIT skipped: mounting a tmpfs needs root (mount exited " + rc + ")");
        mount = m;
        f.writePolicy("version: 1\nrules:\n  - {id: work, effect: allow, family: file, paths: [\"/work/**\"]}\n");
        NoteKeys.Signer key = NoteKeys.generate("disk-test");
        NoteKeys.write(key, f.file("k.key"), f.file("k.pub"));
        Path audit = m.resolve("audit");
        f.start(new EngineConfig(f.policyFile(), Map.of(), f.socket(), null, null, audit, FsyncPolicy.INTERVAL, 0, false, f.file("k.key"), null));
        List<Decision> got = new ArrayList<>();
        try (EngineClient c = EngineClient.connect(f.address(), "disk", Map.of(), 5000)) {
            Request r = Request.of("file", "read", Map.of("path", "/work/a"));
            Decision first = c.decide(r, 5000);
            assertTrue(first.allowed(), first.toString());
            got.add(first);

            Path filler = m.resolve("filler");
            try (OutputStream out = Files.newOutputStream(filler)) {
                byte[] block = new byte[4096];
                while (true) {
                    out.write(block);
                    out.flush();
                }
            } catch (IOException full) {
                // the disk is full now
            }
            Decision denied = null;
            for (int i = 0; i < 200 && denied == null; i++) {
                Decision d = c.decide(r, 5000);
                got.add(d);
                if (!d.allowed()) {
                    denied = d;
                }
            }
            assertTrue(denied != null, "no call was denied with the disk full");
            assertEquals(Reasons.AUDIT_UNAVAILABLE, denied.code(), denied.toString());
            assertFalse(c.decide(r, 5000).allowed(), "still full, still denied");

            Files.delete(filler);
            Decision back = c.decide(r, 5000);
            assertTrue(back.allowed(), "service resumes once the log can be written: " + back);
            got.add(back);
        }
        f.stopEngine();
        Verifier.Report report = Verifier.verify(audit, key.verifier(), null);
        assertTrue(report.ok(), report.toString());
        for (Decision d : got) {
            if (d.allowed()) {
                assertTrue(d.auditSeq() >= 0 && d.auditSeq() < report.entries(), "allowed decision #" + d.auditSeq() + " is in the log");
            } else {
                assertEquals(-1, d.auditSeq(), "a denial for want of the log has no entry: " + d);
            }
        }
    }
}
