package dev.agt.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agt.protocol.Decision;
import dev.agt.protocol.EngineAddress;
import dev.agt.protocol.EngineClient;
import dev.agt.protocol.Outcome;
import dev.agt.protocol.Request;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code agt audit export --format ocsf}: every family's decisions and outcomes from a real
 * engine's log conform to their OCSF classes as the published schema defines them, an event leads
 * back to a checked proof, a follower killed mid-run loses nothing, and a changed log stops the export.
 */
class OcsfExportIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    Agt.EngineProcess engine() throws Exception {
        Files.writeString(dir.resolve("policy.yaml"), """
                version: 1
                rules:
                  - {id: work, effect: allow, family: file, paths: ["/work/**"]}
                  - {id: no-env, effect: deny, family: file, paths: ["**/.env"]}
                  - {id: api, effect: allow, family: net, actions: [resolve, connect], hosts: ["api.example.com"], ports: [443]}
                  - {id: git, effect: allow, family: process, executables: ["/usr/bin/git"]}
                  - {id: files-server, effect: allow, family: mcp}
                  - {id: search-tool, effect: allow, family: tool, tools: [search]}
                  - {id: models, effect: allow, family: model}
                """);
        Agt.EngineProcess e = new Agt.EngineProcess(dir, "--policy", "policy.yaml", "--socket", dir.resolve("e.sock").toString(),
                "--audit-dir", "audit", "--key", "keys/engine.key");
        e.awaitReady();
        return e;
    }

    /** One request of every family and most actions, and outcomes of each kind; returns how many entries they made. */
    int traffic(EngineClient c, String tag) throws Exception {
        List<Request> requests = List.of(
                Request.of("file", "read", Map.of("path", "/work/notes-" + tag + ".txt")),
                Request.of("file", "read", Map.of("path", "/work/.env")),
                Request.of("file", "write", Map.of("path", "/work/out.txt")),
                Request.of("file", "rename", Map.of("path", "/work/a.txt", "dest", "/work/b.txt")),
                Request.of("file", "list", Map.of("path", "/work/")),
                Request.of("net", "connect", Map.of("host", "api.example.com", "ip", "93.184.216.34", "port", 443L, "transport", "tcp")),
                Request.of("net", "connect", Map.of("ip", "10.1.2.3", "port", 22L, "transport", "tcp")),
                Request.of("net", "connect", Map.of("transport", "unix", "path", "/run/docker.sock")),
                Request.of("net", "resolve", Map.of("host", "api.example.com")),
                Request.of("net", "listen", Map.of("ip", "127.0.0.1", "port", 8080L, "transport", "tcp")),
                Request.of("net", "send", Map.of("ip", "8.8.8.8", "port", 53L, "transport", "udp")),
                Request.of("process", "exec", Map.of("executable", "/usr/bin/git", "argv", List.of("git", "status"))),
                Request.of("process", "exec", Map.of("executable", "/usr/bin/curl", "argv", List.of("curl", "http://evil.example"))),
                Request.of("process", "signal", Map.of("pid", 4242L, "executable", "/usr/bin/sleep")),
                Request.of("native", "load", Map.of("path", "/usr/lib/x86_64-linux-gnu/libz.so.1")),
                Request.of("native", "restricted", Map.of("method", "java.lang.foreign.Linker.nativeLinker")),
                Request.of("mcp", "call", Map.of("server", "files", "tool", "read_file", "arguments", Map.of("path", "/work/x"))),
                Request.of("mcp", "list", Map.of("server", "files")),
                Request.of("mcp", "read", Map.of("server", "files", "arguments", Map.of("uri", "file:///work/x"))),
                Request.of("tool", "call", Map.of("tool", "search", "arguments", Map.of("q", "agt"))),
                Request.of("tool", "call", Map.of("tool", "deploy")),
                Request.of("model", "chat", Map.of("provider", "openai", "model", "gpt-4o", "endpoint", "api.openai.com")));
        long deniedSeq = -1;
        for (Request r : requests) {
            Decision d = c.decide(r, 5000);
            assertTrue(d.auditSeq() >= 0, "logged: " + r + " " + d);
            if (!d.allowed() && deniedSeq < 0) {
                deniedSeq = d.auditSeq();
            }
        }
        c.outcome(Outcome.passedMonitor(deniedSeq, "denied", "monitor mode"), 5000);
        c.outcome(Outcome.deniedLocally("sandbox-unavailable", "bubblewrap is missing",
                Request.of("process", "exec", Map.of("executable", "/usr/bin/make", "argv", List.of("make")))), 5000);
        return requests.size() + 2;
    }

    List<JsonNode> read(Path file) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String l : Files.readAllLines(file)) {
            out.add(JSON.readTree(l));
        }
        return out;
    }

    @Test
    void everyFamilyConformsToItsOcsfClassAndAnEventLeadsToACheckedProof() throws Exception {
        Files.createDirectories(dir.resolve("keys"));
        assertEquals(0, Agt.run(dir, "audit", "keygen", "--out", "keys/engine", "--name", "ocsf-engine").exit());
        int made;
        try (Agt.EngineProcess e = engine();
             EngineClient c = EngineClient.connect(EngineAddress.parse(dir.resolve("e.sock").toString()), "siem-fed", Map.of(), 5000)) {
            made = traffic(c, "a");
            e.terminate();
            assertEquals(0, e.awaitExit(), e.stderr.toString());
        }
        Agt.Result export = Agt.run(dir, "audit", "export", "audit", "--format", "ocsf", "--pubkey", "keys/engine.pub", "--out", "ocsf.jsonl");
        assertEquals(0, export.exit(), export.toString());
        List<JsonNode> events = read(dir.resolve("ocsf.jsonl"));
        assertEquals(made, events.size(), "one event per decision and outcome: " + export);
        assertTrue(export.err().contains("engine events passed over"), export.toString());

        OcsfSchema schema = new OcsfSchema();
        Set<String> classes = new TreeSet<>();
        List<String> problems = new ArrayList<>();
        for (JsonNode ev : events) {
            schema.problems(ev).forEach(p -> problems.add(ev.at("/unmapped/agt/family").asText() + "/" + ev.at("/unmapped/agt/action").asText()
                    + " #" + ev.at("/unmapped/agt/seq").asText() + ": " + p));
            classes.add(ev.path("class_uid").asText());
            assertEquals(schema.version(), ev.at("/metadata/version").asText());
        }
        assertTrue(problems.isEmpty(), "every event conforms to OCSF " + schema.version() + ":\n" + String.join("\n", problems));
        assertEquals(Set.of("1001", "1005", "1007", "4001", "4003", "6003"), classes, "every family has its class");

        JsonNode env = events.stream().filter(ev -> ev.at("/file/path").asText().equals("/work/.env")).findFirst().orElseThrow();
        assertEquals(2, env.path("action_id").asInt(), env.toPrettyString());
        assertEquals(2, env.path("disposition_id").asInt());
        assertEquals(2, env.path("status_id").asInt());
        assertEquals("no-env", env.at("/unmapped/agt/rule").asText());
        assertEquals(".env", env.at("/file/name").asText());
        JsonNode monitored = events.stream().filter(ev -> ev.at("/unmapped/agt/entry_type").asText().equals("outcome")
                && ev.path("action_id").asInt() == 3).findFirst().orElseThrow();
        assertEquals("/work/.env", monitored.at("/file/path").asText(), "an outcome takes its call from the decision it follows: " + monitored);
        JsonNode model = events.stream().filter(ev -> ev.has("ai_model")).findFirst().orElseThrow();
        assertEquals("gpt-4o", model.at("/ai_model/name").asText());
        assertTrue(model.at("/metadata/profiles").toString().contains("ai_operation"));
        JsonNode dns = events.stream().filter(ev -> ev.path("class_uid").asInt() == 4003).findFirst().orElseThrow();
        assertEquals("api.example.com", dns.at("/query/hostname").asText());

        // the round trip: from the SIEM's record to a proof checked against the engine's key
        long seq = env.at("/unmapped/agt/seq").asLong();
        long size = env.at("/unmapped/agt/checkpoint/size").asLong();
        assertEquals(seq, env.at("/metadata/sequence").asLong());
        Agt.Result prove = Agt.run(dir, "audit", "prove", "audit", Long.toString(seq), "--checkpoint", Long.toString(size));
        assertEquals(0, prove.exit(), prove.toString());
        JsonNode proof = JSON.readTree(prove.out());
        assertTrue(proof.path("checkpoint").asText().contains("\n" + size + "\n" + env.at("/unmapped/agt/checkpoint/root").asText() + "\n"),
                "the proof is against the very checkpoint the event names: " + proof.path("checkpoint").asText());
        assertTrue(proof.path("entry").asText().contains("/work/.env"));
        Files.writeString(dir.resolve("proof.json"), prove.out());
        Agt.Result check = Agt.run(dir, "audit", "check-proof", "proof.json", "--pubkey", "keys/engine.pub");
        assertEquals(0, check.exit(), check.toString());
        assertTrue(check.out().startsWith("ok: entry #" + seq + " is in the log"), check.toString());

        // a log changed after it was signed is not exported past the change
        Path segment;
        try (var s = Files.list(dir.resolve("audit/log"))) {
            segment = s.sorted().findFirst().orElseThrow();
        }
        String text = Files.readString(segment);
        Files.writeString(segment, text.replace("/work/.env", "/work/.ENV"));
        Agt.Result tampered = Agt.run(dir, "audit", "export", "audit", "--format", "ocsf", "--pubkey", "keys/engine.pub", "--out", "t.jsonl");
        assertEquals(1, tampered.exit(), tampered.toString());
        assertTrue(tampered.err().contains("TAMPERED"), tampered.toString());
        assertTrue(read(dir.resolve("t.jsonl")).stream().noneMatch(ev -> ev.toString().contains(".ENV")), "nothing unverified is written");

        Agt.Result bad = Agt.run(dir, "audit", "export", "audit", "--format", "cef");
        assertEquals(2, bad.exit(), bad.toString());
        assertTrue(bad.err().contains("unknown --format 'cef'"), bad.toString());
    }

    @Test
    void aFollowerKilledMidRunResumesFromItsCursorAndLosesNothing() throws Exception {
        Files.createDirectories(dir.resolve("keys"));
        assertEquals(0, Agt.run(dir, "audit", "keygen", "--out", "keys/engine", "--name", "ocsf-engine").exit());
        try (Agt.EngineProcess e = engine();
             EngineClient c = EngineClient.connect(EngineAddress.parse(dir.resolve("e.sock").toString()), "followed", Map.of(), 5000)) {
            int first = traffic(c, "before");
            Process follower = follow();
            Await.until("the follower exported the first round", Duration.ofSeconds(30), () -> lines(), n -> n >= first);
            int made = first;
            follower.destroyForcibly();
            follower.waitFor(10, TimeUnit.SECONDS);
            made += traffic(c, "during");     // logged while no follower runs
            Process again = follow();
            made += traffic(c, "after");
            int all = made;
            Await.until("the restarted follower caught up", Duration.ofSeconds(30), () -> lines(), n -> n >= all);
            // and recorded it: a follower stopped between writing a batch and moving its cursor sends the batch again
            long last = maxSeq();
            Await.until("the cursor moved past the last exported entry", Duration.ofSeconds(30), this::cursorNext, n -> n > last);
            again.destroy();
            again.waitFor(10, TimeUnit.SECONDS);
            e.terminate();
            e.awaitExit();
        }
        List<JsonNode> events = read(dir.resolve("follow.jsonl"));
        Set<Long> seqs = new TreeSet<>();
        for (JsonNode ev : events) {
            seqs.add(ev.at("/unmapped/agt/seq").asLong());
        }
        // every decision and outcome the engine logged is there: the log says which entries those are
        Set<Long> logged = new TreeSet<>();
        long seq = 0;
        for (Path seg : sortedSegments()) {
            for (String l : Files.readAllLines(seg)) {
                String type = JSON.readTree(l).path("type").asText();
                if (type.equals("decision") || type.equals("outcome")) {
                    logged.add(seq);
                }
                seq++;
            }
        }
        assertEquals(logged, seqs, "every call the log holds was exported, across the follower's death");
        assertTrue(events.stream().anyMatch(ev -> ev.at("/file/path").asText().equals("/work/notes-during.txt")));
        String[] cursorFields = Files.readString(dir.resolve("cursor")).trim().split(" ");
        assertEquals("agt/ocsf-engine", cursorFields[1], "the cursor names the log it is for");
        long cursor = Long.parseLong(cursorFields[0]);
        assertTrue(cursor > logged.stream().mapToLong(Long::longValue).max().orElseThrow(), "the cursor is past the last exported entry: " + cursor);
    }

    private Process follow() throws IOException {
        return new ProcessBuilder(Agt.java(), "-jar", Agt.JAR.toString(), "audit", "export", "audit", "--format", "ocsf", "--follow",
                "--poll", "100", "--cursor", "cursor", "--pubkey", "keys/engine.pub", "--out", "follow.jsonl")
                .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(dir.resolve("follower.out").toFile()).start();
    }

    private long cursorNext() throws IOException {
        Path c = dir.resolve("cursor");
        return Files.exists(c) ? Long.parseLong(Files.readString(c).trim().split(" ")[0]) : 0;
    }

    private long maxSeq() throws IOException {
        long max = -1;
        for (String l : Files.readAllLines(dir.resolve("follow.jsonl"))) {
            try {
                max = Math.max(max, JSON.readTree(l).at("/unmapped/agt/seq").asLong());
            } catch (IOException partlyWritten) {
                // being written
            }
        }
        return max;
    }

    private long lines() throws IOException {
        Path f = dir.resolve("follow.jsonl");
        if (!Files.exists(f)) {
            return 0;
        }
        Set<Long> seen = new TreeSet<>();
        for (String l : Files.readAllLines(f)) {
            try {
                seen.add(JSON.readTree(l).at("/unmapped/agt/seq").asLong());
            } catch (IOException partlyWritten) {
                // the follower is writing this line now
            }
        }
        return seen.size();
    }

    private List<Path> sortedSegments() throws IOException {
        try (var s = Files.list(dir.resolve("audit/log"))) {
            return s.sorted().toList();
        }
    }
}
