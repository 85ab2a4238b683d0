package dev.agt.audit.entry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.agt.identity.CanonicalJson;
import dev.agt.audit.entry.DecisionEntry.Link;
import dev.agt.audit.entry.DecisionEntry.Monitor;
import dev.agt.audit.entry.DecisionEntry.Ruling;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The stored bytes are the contract. {@code entries/engine-written.jsonl} holds real lines from
 * the engine as it wrote them before entries were records (one of each shape the policy-engine
 * tests produced: every event kind, decisions of every family with and without monitor, sandbox,
 * delegation link and MCP notes, outcomes with and without request, gap and link): each must read
 * into its record and write back to the very same bytes, or existing logs would stop reading.
 */
class EntryCodecTest {

    static List<byte[]> engineWritten() throws IOException {
        try (InputStream in = EntryCodecTest.class.getResourceAsStream("/entries/engine-written.jsonl")) {
            List<byte[]> lines = new ArrayList<>();
            for (String l : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!l.isEmpty()) {
                    lines.add(l.getBytes(StandardCharsets.UTF_8));
                }
            }
            return lines;
        }
    }

    /** The line the log stores for {@code entry}: its members, plus the {@code seq} and {@code prev} the log adds. */
    static byte[] stored(LogEntry entry, String prev) {
        Map<String, Object> m = EntryCodec.toMap(entry);
        m.put("seq", entry.seq());
        m.put("prev", prev);
        return CanonicalJson.bytes(m);
    }

    @Test
    void everyEntryTheEngineWroteReadsIntoItsRecordAndWritesBackByteForByte() throws Exception {
        Set<String> kinds = new TreeSet<>();
        for (byte[] line : engineWritten()) {
            LogEntry e = EntryCodec.read(line);
            String prev = Json.MAPPER.readTree(line).path("prev").asText();
            assertArrayEquals(line, stored(e, prev), () -> "changed in the round trip: " + new String(line, StandardCharsets.UTF_8)
                    + "\n                      became " + new String(stored(e, prev), StandardCharsets.UTF_8));
            assertEquals(Json.MAPPER.readTree(line).path("seq").asLong(), e.seq());
            kinds.add(e.getClass().getSimpleName() + (e instanceof EngineEvent v ? " " + v.event() : ""));
        }
        // every record the engine writes is in the sample, each under its own kind, and only the
        // hand-made "x" event is unknown
        assertEquals(new TreeSet<>(List.of("DecisionEntry", "OutcomeEntry", "EngineStart engine-start", "EngineStop engine-stop",
                "LogRecovered log-recovered", "SessionStart session-start", "SessionRefused session-refused",
                "StateUnavailable state-unavailable", "KillSwitchChange kill", "KillSwitchChange revive", "PolicyLoaded policy-loaded",
                "PolicyRejected policy-rejected", "RegistryLoaded registry-loaded", "RegistryRejected registry-rejected",
                "OutcomeEvent outcomes-lost", "OutcomeEvent outcome-refused", "Unknown x")), kinds);
    }

    @Test
    void theRecordsCarryWhatReadersAskFor() throws Exception {
        DecisionEntry monitored = null;
        DecisionEntry linked = null;
        EngineEvent.SessionStart admin = null;
        for (byte[] line : engineWritten()) {
            LogEntry e = EntryCodec.read(line);
            if (e instanceof DecisionEntry d && d.ruling().monitor().isPresent()) {
                monitored = d;
            }
            if (e instanceof DecisionEntry d && d.ruling().link().isPresent()) {
                linked = d;
            }
            if (e instanceof EngineEvent.SessionStart s && s.admin()) {
                admin = s;
            }
        }
        assertEquals("file", monitored.family());
        assertEquals(new Monitor("rule", "scratch", "denied", "scratch is going away"), monitored.ruling().monitor().orElseThrow());
        assertTrue(monitored.ruling().allowed(), "a monitored denial was answered allow");
        assertEquals(1, linked.ruling().link().orElseThrow().index());
        assertTrue(linked.ruling().link().orElseThrow().child().startsWith("did:key:"));
        assertEquals("agt-cli", admin.agentName());
        assertTrue(!admin.agent().containsKey("admin") && !admin.agent().containsKey("event"), "the agent holds the agent's members only");
    }

    @Test
    void recordsBuiltAsTheEngineBuildsThemReadBackEqual() throws Exception {
        Random r = new Random(13);
        for (int i = 0; i < 500; i++) {
            Map<String, Object> agent = new LinkedHashMap<>();
            agent.put("id", "a" + r.nextInt(5));
            agent.put("name", "agent \u00e9" + r.nextInt(5));
            agent.put("session", (long) r.nextInt(100));
            agent.put("mode", r.nextBoolean() ? "enforce" : "monitor");
            Map<String, Object> target = new LinkedHashMap<>();
            target.put("path", "/work/" + Long.toHexString(r.nextLong()) + "\n\"q\"");
            target.put("port", (long) r.nextInt(65536));
            target.put("argv", List.of("sh", "-c", "x" + r.nextInt()));
            Map<String, Object> request = Map.of("family", "file", "action", "read", "target", target);
            Ruling ruling = new Ruling(r.nextBoolean() ? "allow" : "deny", r.nextBoolean() ? "" : "rule-" + i, "code", "why " + i,
                    r.nextBoolean() ? Optional.of("strict") : Optional.empty(),
                    r.nextBoolean() ? Optional.of(new Monitor("agent", "r", "c", "because")) : Optional.empty(),
                    r.nextBoolean() ? Optional.of(new Link(1 + r.nextInt(3), "did:key:p", "did:key:c", Map.of("paths", List.of("/a/**"))))
                            : Optional.empty());
            DecisionEntry d = new DecisionEntry(i, "2026-11-27T10:00:00Z", agent, request, ruling,
                    r.nextBoolean() ? Optional.of(Map.of("tool", Map.of("status", "pinned"))) : Optional.empty(),
                    r.nextBoolean() ? Optional.of(Map.of("currency", "USD", "cost", 1200L)) : Optional.empty(),
                    r.nextBoolean() ? Optional.of(Map.of("set", List.of("secret"), "held", Map.of("secret", Map.of("seq", 3L)))) : Optional.empty(),
                    "v" + i, "enforce");
            byte[] line = stored(d, "00");
            LogEntry back = EntryCodec.read(line);
            assertEquals(d, back);
            assertArrayEquals(line, stored(back, "00"));
        }
    }

    @Test
    void aTypeOrEventThisReaderDoesNotKnowIsReadAsUnknownAndKeptWhole() throws Exception {
        byte[] line = "{\"future\":{\"a\":[1,2.5,null]},\"prev\":\"00\",\"seq\":7,\"time\":\"t\",\"type\":\"attestation\"}".getBytes(StandardCharsets.UTF_8);
        UnknownEntry u = assertInstanceOf(UnknownEntry.class, EntryCodec.read(line));
        assertEquals("attestation", u.type());
        assertEquals(7, u.seq());
        assertEquals("t", u.time());
        assertArrayEquals(line, stored(u, "00"));

        byte[] event = "{\"event\":\"engine-paused\",\"prev\":\"00\",\"seq\":8,\"type\":\"event\",\"why\":\"x\"}".getBytes(StandardCharsets.UTF_8);
        EngineEvent.Unknown v = assertInstanceOf(EngineEvent.Unknown.class, EntryCodec.read(event));
        assertEquals("engine-paused", v.event());
        assertEquals("", v.time());
        assertArrayEquals(event, stored(v, "00"));
    }

    @Test
    void aKnownEntryWithMembersMissingOrOfTheWrongKindReadsWithThemEmpty() throws Exception {
        DecisionEntry d = assertInstanceOf(DecisionEntry.class, EntryCodec.read(
                "{\"type\":\"decision\",\"seq\":\"x\",\"agent\":[1],\"decision\":{\"effect\":3,\"monitor\":\"no\"},\"request\":{\"family\":1}}"
                        .getBytes(StandardCharsets.UTF_8)));
        assertEquals(-1, d.seq());
        assertEquals("", d.ruling().effect());
        assertTrue(d.ruling().monitor().isEmpty());
        assertEquals("", d.family());
        assertEquals(Map.of(), d.target());
        assertEquals("?", d.agentName());
        assertEquals(-1, d.session());

        EngineEvent.EngineStart s = assertInstanceOf(EngineEvent.EngineStart.class,
                EntryCodec.read("{\"type\":\"event\",\"event\":\"engine-start\",\"rules\":\"many\"}".getBytes(StandardCharsets.UTF_8)));
        assertEquals(-1, s.rules());
        assertTrue(s.kill().isEmpty() && s.killProblem().isEmpty());
    }

    @Test
    void aLineThatIsNoEntryAtAllIsAClearError() {
        assertEquals("not a JSON object (a log entry is one object a line)", malformed("[1,2]"));
        assertEquals("no type (every log entry has a string member 'type')", malformed("{\"seq\":1}"));
        assertEquals("no type (every log entry has a string member 'type')", malformed("{\"type\":7}"));
        assertEquals("empty line", malformed(""));
        assertTrue(malformed("{\"type\":\"decision\",").startsWith("not JSON: "), malformed("{\"type\":\"decision\","));
        assertTrue(malformed("{\"seq\":1,\"ty").startsWith("not JSON: "));
    }

    static String malformed(String line) {
        return assertThrows(MalformedEntryException.class, () -> EntryCodec.read(line.getBytes(StandardCharsets.UTF_8))).getMessage();
    }
}
