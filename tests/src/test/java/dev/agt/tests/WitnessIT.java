package dev.agt.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.agt.protocol.EngineAddress;
import dev.agt.protocol.EngineClient;
import dev.agt.protocol.Request;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Witnesses, as an operator runs them: two {@code agt witness} processes with their own keys; an
 * engine's log cosigned by both ({@code agt audit cosign}) and verified with their keys, then
 * grown and cosigned again through a consistency proof; a log rolled back or replaced no longer
 * verifies, naming the cosigned checkpoint; a second history under the same key is refused by
 * the witnesses, which keep both signed checkpoints as evidence.
 */
class WitnessIT {
    @TempDir
    Path dir;

    /** Runs an engine on {@code audit} (key keys/engine.key) for {@code n} decisions. */
    void traffic(String audit, int n) throws Exception {
        Files.writeString(dir.resolve("policy.yaml"), "version: 1\nrules:\n  - {id: work, effect: allow, family: file, paths: [\"/work/**\"]}\n");
        try (Agt.EngineProcess e = new Agt.EngineProcess(dir, "--policy", "policy.yaml", "--socket", dir.resolve("e.sock").toString(),
                "--audit-dir", audit, "--key", "keys/engine.key")) {
            e.awaitReady();
            try (EngineClient c = EngineClient.connect(EngineAddress.parse(dir.resolve("e.sock").toString()), "worker", Map.of(), 5000)) {
                for (int i = 0; i < n; i++) {
                    c.decide(Request.of("file", "read", Map.of("path", "/work/" + audit + "-" + i)), 5000);
                }
            }
            e.terminate();
            assertEquals(0, e.awaitExit(), e.stderr.toString());
        }
    }

    /** A running witness process and its base URL. */
    record WitnessProcess(Process process, String url) implements AutoCloseable {
        @Override
        public void close() {
            process.destroy();
        }
    }

    WitnessProcess witness(String name) throws Exception {
        Process p = new ProcessBuilder(Agt.java(), "-jar", Agt.JAR.toString(), "witness", "--key", "keys/" + name + ".key", "--state", name + "-state",
                "--log-key", "keys/engine.pub").directory(dir.toFile()).redirectError(dir.resolve(name + ".err").toFile()).start();
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = r.readLine();
        assertTrue(line != null && line.startsWith("agt witness ready: "), line + " " + Files.readString(dir.resolve(name + ".err")));
        return new WitnessProcess(p, line.substring("agt witness ready: ".length()).split(" ")[0]);
    }

    Agt.Result cosign(String audit, WitnessProcess... ws) throws Exception {
        List<String> args = new ArrayList<>(List.of("audit", "cosign", audit, "--pubkey", "keys/engine.pub"));
        for (WitnessProcess w : ws) {
            args.addAll(List.of("--witness", w.url()));
        }
        args.addAll(List.of("--witness-key", "keys/w1.pub", "--witness-key", "keys/w2.pub"));
        return Agt.run(dir, args.toArray(String[]::new));
    }

    Agt.Result verify(String audit) throws Exception {
        return Agt.run(dir, "audit", "verify", audit, "--pubkey", "keys/engine.pub", "--cosigned", "audit.cosigned",
                "--witness-key", "keys/w1.pub", "--witness-key", "keys/w2.pub", "--witnesses", "2");
    }

    @Test
    void twoWitnessesCosignTheLogAndNeitherCosignsAFork() throws Exception {
        Files.createDirectories(dir.resolve("keys"));
        for (String k : List.of("engine", "w1", "w2")) {
            assertEquals(0, Agt.run(dir, "audit", "keygen", "--out", "keys/" + k, "--name", "agt-" + k).exit());
        }
        traffic("audit", 40);
        try (WitnessProcess w1 = witness("w1"); WitnessProcess w2 = witness("w2")) {
            Agt.Result first = cosign("audit", w1, w2);
            assertEquals(0, first.exit(), first.toString());
            assertTrue(first.out().contains("2 of 2 witnesses cosigned"), first.out());
            Agt.Result ok = verify("audit");
            assertEquals(0, ok.exit(), ok.toString());
            assertTrue(ok.out().contains("consistent with the checkpoints 2 of 2 witnesses cosigned"), ok.out());
            // one witness's key given twice does not make two witnesses
            Agt.Result twice = Agt.run(dir, "audit", "verify", "audit", "--pubkey", "keys/engine.pub", "--witness-key", "keys/w1.pub",
                    "--witness-key", "keys/w1.pub", "--witnesses", "2");
            assertEquals(2, twice.exit(), twice.toString());
            assertTrue(twice.err().contains("give each witness key once"), twice.toString());
            // the log grows; the witnesses cosign again, from the size each holds, through a consistency proof
            Path before = dir.resolve("audit-before");
            copy(dir.resolve("audit"), before);
            traffic("audit", 25);
            assertEquals(0, cosign("audit", w1, w2).exit());
            assertEquals(0, verify("audit").exit());

            // rolled back: the earlier copy of the log no longer verifies against what the witnesses cosigned
            Agt.Result rolledBack = Agt.run(dir, "audit", "verify", "audit-before", "--pubkey", "keys/engine.pub", "--cosigned", "audit.cosigned",
                    "--witness-key", "keys/w1.pub", "--witness-key", "keys/w2.pub");
            assertEquals(1, rolledBack.exit(), rolledBack.toString());
            assertTrue(rolledBack.out().contains("truncated") && rolledBack.out().contains("cosigned by agt-w1"), rolledBack.out());

            // another history under the same key: refused by both witnesses, with evidence
            traffic("forked", 70);
            Agt.Result fork = Agt.run(dir, "audit", "cosign", "forked", "--pubkey", "keys/engine.pub", "--out", "audit.cosigned",
                    "--witness", w1.url(), "--witness", w2.url(), "--witness-key", "keys/w1.pub", "--witness-key", "keys/w2.pub");
            assertEquals(1, fork.exit(), "no witness cosigned the fork: " + fork);
            assertTrue(fork.err().contains("HTTP 422") && fork.err().contains("not consistent"), fork.err());
            for (String w : List.of("w1", "w2")) {
                try (Stream<Path> forks = Files.list(dir.resolve(w + "-state/forks"))) {
                    List<Path> evidence = forks.toList();
                    assertEquals(1, evidence.size(), w);
                    assertTrue(Files.readString(evidence.get(0)).contains("offered, and refused:"), w);
                }
            }
            // and the replaced log does not verify against the cosigned checkpoints
            Agt.Result replaced = Agt.run(dir, "audit", "verify", "forked", "--pubkey", "keys/engine.pub", "--cosigned", "audit.cosigned",
                    "--witness-key", "keys/w1.pub", "--witness-key", "keys/w2.pub");
            assertEquals(1, replaced.exit(), replaced.toString());
            assertTrue(replaced.out().contains("fork") && replaced.out().contains(".note, cosigned by"), replaced.out());
        }
    }

    /**
     * The engine itself sends its checkpoints to the witnesses as it runs: status says up to which
     * size 2 of its 3 witnesses cosigned, the one that cannot be reached is logged as
     * witness-refused, and the log verifies with the witnesses' keys afterwards. Decisions never
     * waited for a witness.
     */
    @Test
    void anEngineHasItsCheckpointsCosignedAsItRuns() throws Exception {
        Files.createDirectories(dir.resolve("keys"));
        for (String k : List.of("engine", "w1", "w2", "w3")) {
            assertEquals(0, Agt.run(dir, "audit", "keygen", "--out", "keys/" + k, "--name", "agt-" + k).exit());
        }
        Files.writeString(dir.resolve("policy.yaml"), "version: 1\nrules:\n  - {id: work, effect: allow, family: file, paths: [\"/work/**\"]}\n");
        int dead;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            dead = s.getLocalPort();
        }
        String sock = dir.resolve("e.sock").toString();
        try (WitnessProcess w1 = witness("w1"); WitnessProcess w2 = witness("w2");
             Agt.EngineProcess e = new Agt.EngineProcess(dir, "--policy", "policy.yaml", "--socket", sock, "--audit-dir", "audit",
                     "--key", "keys/engine.key", "--witness", w1.url(), "--witness-key", "keys/w1.pub", "--witness", w2.url(), "--witness-key", "keys/w2.pub",
                     "--witness", "http://127.0.0.1:" + dead, "--witness-key", "keys/w3.pub", "--witnesses", "2", "--witness-interval", "1s")) {
            e.awaitReady();
            try (EngineClient c = EngineClient.connect(EngineAddress.parse(sock), "worker", Map.of(), 5000)) {
                for (int i = 0; i < 50; i++) {
                    assertTrue(c.decide(Request.of("file", "read", Map.of("path", "/work/f" + i)), 5000).allowed());
                }
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            String status = "";
            while (System.nanoTime() < deadline) {
                status = Agt.run(dir, "engine", "status", "--socket", sock).out();
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("witnessed: up to size ([0-9]+) by 2 of 3").matcher(status);
                if (m.find() && Long.parseLong(m.group(1)) >= 50) {
                    break;
                }
                Thread.sleep(300);
            }
            assertTrue(status.contains("witnessed: up to size") && !status.contains("up to size -1"), status);
            e.terminate();
            assertEquals(0, e.awaitExit(), e.stderr.toString());
        }
        Agt.Result ok = Agt.run(dir, "audit", "verify", "audit", "--pubkey", "keys/engine.pub", "--witness-key", "keys/w1.pub", "--witness-key", "keys/w2.pub");
        assertEquals(0, ok.exit(), ok.toString());
        Agt.Result log = Agt.run(dir, "audit", "show", "audit", "--json");
        assertTrue(log.out().lines().anyMatch(l -> l.contains("\"event\":\"witness-refused\"") && l.contains(String.valueOf(dead))
                && l.contains("unreachable")), log.out());
    }

    static void copy(Path from, Path to) throws Exception {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
    }
}
