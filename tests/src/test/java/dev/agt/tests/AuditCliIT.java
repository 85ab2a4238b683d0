package dev.agt.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.agt.protocol.EngineAddress;
import dev.agt.protocol.EngineClient;
import dev.agt.protocol.Request;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a security reviewer runs: keygen, verify, prove, check-proof, show, tail. */
class AuditCliIT {
    @TempDir
    Path dir;

    void runEngineWithTraffic(Path witness) throws Exception {
        Files.writeString(dir.resolve("policy.yaml"), """
                version: 1
                rules:
                  - {id: work, effect: allow, family: file, paths: ["/work/**"]}
                  - {id: no-env, effect: deny, family: file, paths: ["**/.env"]}
                """);
        List<String> args = new ArrayList<>(List.of("--policy", "policy.yaml", "--socket", dir.resolve("e.sock").toString(),
                "--audit-dir", "audit", "--key", "keys/engine.key"));
        if (witness != null) {
            args.addAll(List.of("--checkpoint-copy", witness.toString()));
        }
        try (Agt.EngineProcess e = new Agt.EngineProcess(dir, args.toArray(String[]::new))) {
            e.awaitReady();
            try (EngineClient c = EngineClient.connect(EngineAddress.parse(dir.resolve("e.sock").toString()), "reviewed", Map.of(), 5000)) {
                for (int i = 0; i < 30; i++) {
                    c.decide(Request.of("file", "read", Map.of("path", i % 5 == 0 ? "/work/.env" : "/work/f" + i)), 5000);
                }
            }
            e.terminate();
            assertEquals(0, e.awaitExit(), e.stderr.toString());
        }
    }

    @Test
    void keygenVerifyProveAndCheck() throws Exception {
        Files.createDirectories(dir.resolve("keys"));
        Agt.Result kg = Agt.run(dir, "audit", "keygen", "--out", "keys/engine", "--name", "review-engine");
        assertEquals(0, kg.exit(), kg.toString());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("keys/engine.key"))));
        Agt.Result again = Agt.run(dir, "audit", "keygen", "--out", "keys/engine");
        assertEquals(2, again.exit(), "never overwrites a key: " + again);

        runEngineWithTraffic(dir.resolve("witness"));
        Agt.Result ok = Agt.run(dir, "audit", "verify", "audit", "--pubkey", "keys/engine.pub", "--checkpoint-copy", "witness");
        assertEquals(0, ok.exit(), ok.toString());
        assertTrue(ok.out().contains("consistent with the checkpoint copy"), ok.toString());
        Agt.Result json = Agt.run(dir, "audit", "verify", "audit", "--pubkey", "keys/engine.pub", "--json");
        assertTrue(json.out().contains("\"ok\" : true"), json.toString());

        Agt.Result proof = Agt.run(dir, "audit", "prove", "audit", "5");
        assertEquals(0, proof.exit(), proof.toString());
        Files.writeString(dir.resolve("proof.json"), proof.out());
        Agt.Result check = Agt.run(dir, "audit", "check-proof", "proof.json", "--pubkey", "keys/engine.pub");
        assertEquals(0, check.exit(), check.toString());
        assertTrue(check.out().startsWith("ok: entry #5 is in the log agt/review-engine"), check.toString());
        Files.writeString(dir.resolve("forged.json"), proof.out().replace("\\\"/work/f", "\\\"/work/g"));
        Agt.Result forged = Agt.run(dir, "audit", "check-proof", "forged.json", "--pubkey", "keys/engine.pub");
        assertEquals(1, forged.exit(), forged.toString());
        assertTrue(forged.out().startsWith("INVALID: "), forged.toString());

        Agt.Result denied = Agt.run(dir, "audit", "show", "audit", "--effect", "deny");
        assertEquals(0, denied.exit());
        long lines = denied.out().lines().count();
        assertEquals(6, lines, denied.out());
        assertTrue(denied.out().lines().allMatch(l -> l.contains("DENY  no-env (denied)")), denied.out());
        Agt.Result tail = Agt.run(dir, "audit", "tail", "audit", "-n", "1");
        assertTrue(tail.out().contains("event engine-stop"), tail.toString());

        // tamper with one entry: verify fails and names it
        Path seg;
        try (var s = Files.list(dir.resolve("audit/log"))) {
            seg = s.sorted().findFirst().orElseThrow();
        }
        List<String> entries = new ArrayList<>(Files.readAllLines(seg));
        int idx = -1;
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i).contains("\"effect\":\"deny\"")) {
                idx = i;
                break;
            }
        }
        entries.set(idx, entries.get(idx).replace("\"effect\":\"deny\"", "\"effect\":\"allow\""));
        Files.write(seg, entries);
        Agt.Result bad = Agt.run(dir, "audit", "verify", "audit", "--pubkey", "keys/engine.pub");
        assertEquals(1, bad.exit(), bad.toString());
        assertTrue(bad.out().startsWith("TAMPERED at #" + idx + ": modified"), bad.toString());
    }

    @Test
    void withoutAKeyTheEngineCreatesOneAndVerifyFindsItsPublicHalf() throws Exception {
        Files.writeString(dir.resolve("policy.yaml"), "version: 1\nrules:\n  - {id: w, effect: allow, family: file, paths: [\"/w/**\"]}\n");
        try (Agt.EngineProcess e = new Agt.EngineProcess(dir, "--policy", "policy.yaml", "--socket", dir.resolve("e.sock").toString(),
                "--audit-dir", "audit")) {
            e.awaitReady();
            e.terminate();
            assertEquals(0, e.awaitExit());
            assertTrue(e.stderr.toString().contains("created the log signing key"), e.stderr.toString());
        }
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("audit.key"))));
        Agt.Result ok = Agt.run(dir, "audit", "verify", "audit");
        assertEquals(0, ok.exit(), ok.toString());
        Files.setPosixFilePermissions(dir.resolve("audit.key"), PosixFilePermissions.fromString("rw-r--r--"));
        try (Agt.EngineProcess e = new Agt.EngineProcess(dir, "--policy", "policy.yaml", "--socket", dir.resolve("e.sock").toString(),
                "--audit-dir", "audit")) {
            assertEquals(2, e.awaitExit());
            assertTrue(e.stderr.toString().contains("chmod 600"), e.stderr.toString());
        }
    }
}
