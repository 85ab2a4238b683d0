package dev.agt.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.agt.tests.catalogue.ReadBoth;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Governance in JDK Flight Recorder: a recording made with the agent shows its decisions, denials and round trips. */
class FlightRecorderIT {
    @TempDir
    Path root;

    Agt.EngineProcess engine() throws Exception {
        Files.writeString(root.resolve("policy.yaml"), "version: 1\ninclude: [jvm-runtime]\nrules:\n"
                + "  - {id: work, effect: allow, family: file, paths: [\"" + root + "/**\"]}\n"
                + "  - {id: no-secrets, effect: deny, family: file, paths: [\"" + root + "/secret/**\"]}\n");
        Agt.EngineProcess e = new Agt.EngineProcess(root, "--policy", "policy.yaml", "--socket", root.resolve("e.sock").toString(),
                "--audit-dir", root.resolve("audit").toString());
        e.awaitReady();
        return e;
    }

    String run(String... jvmOptions) throws Exception {
        Path classes = Path.of(ReadBoth.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<String> cmd = new ArrayList<>(List.of(Agt.java(), "-javaagent:" + JavaagentIT.AGENT + "=engine=" + root.resolve("e.sock") + ",name=profiled"));
        cmd.addAll(List.of(jvmOptions));
        cmd.addAll(List.of("-cp", classes.toString(), ReadBoth.class.getName(), root.resolve("work/notes.txt").toString(),
                root.resolve("secret/key.txt").toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(root.resolve("out.txt").toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the governed JVM finished");
        String out = Files.readString(root.resolve("out.txt"));
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("READ OK " + root.resolve("work/notes.txt")), out);
        assertTrue(out.contains("READ DENIED denied"), out);
        return out;
    }

    @Test
    void aRecordingShowsDecisionsDenialsWithTheirStackAndRoundTrips() throws Exception {
        root = root.toRealPath();
        Files.createDirectories(root.resolve("work"));
        Files.createDirectories(root.resolve("secret"));
        Files.writeString(root.resolve("work/notes.txt"), "notes");
        Files.writeString(root.resolve("secret/key.txt"), "key");
        Path jfr = root.resolve("rec.jfr");
        try (Agt.EngineProcess e = engine()) {
            // the repository in its default place (java.io.tmpdir): jvm-runtime lets the JVM keep it there
            String out = run("-XX:StartFlightRecording=filename=" + jfr + ",settings=default");
            assertTrue(out.contains("JFR initialized true"), out);
            e.terminate();
            e.awaitExit();
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(jfr);
        List<RecordedEvent> decisions = events.stream().filter(ev -> ev.getEventType().getName().equals("dev.agt.Decision")).toList();
        List<RecordedEvent> denials = events.stream().filter(ev -> ev.getEventType().getName().equals("dev.agt.Denial")).toList();
        List<RecordedEvent> trips = events.stream().filter(ev -> ev.getEventType().getName().equals("dev.agt.EngineRoundTrip")).toList();

        RecordedEvent allowed = decisions.stream().filter(ev -> ev.getString("target").contains("work/notes.txt")).findFirst()
                .orElseThrow(() -> new AssertionError("no decision on the allowed read among " + decisions));
        assertEquals("file", allowed.getString("family"));
        assertEquals("read", allowed.getString("action"));
        assertEquals("allow", allowed.getString("effect"));
        assertEquals("allowed", allowed.getString("verdict"));
        assertEquals("work", allowed.getString("rule"));
        assertTrue(allowed.getLong("auditSeq") >= 0, allowed.toString());
        assertEquals(64, allowed.getString("policy").length(), allowed.toString());

        RecordedEvent denied = decisions.stream().filter(ev -> ev.getString("target").contains("secret/key.txt")).findFirst()
                .orElseThrow(() -> new AssertionError("no decision on the denied read among " + decisions));
        assertEquals("deny", denied.getString("effect"));
        assertEquals("denied", denied.getString("verdict"));
        assertEquals("no-secrets", denied.getString("rule"));

        assertEquals(1, denials.size(), "one blocked call: " + denials);
        RecordedEvent denial = denials.get(0);
        assertEquals("no-secrets", denial.getString("rule"));
        assertEquals("denied", denial.getString("code"));
        assertEquals(denied.getLong("auditSeq"), denial.getLong("auditSeq"));
        assertTrue(denial.getString("target").contains(root.resolve("secret/key.txt").toString()), denial.toString());
        assertTrue(denial.getStackTrace() != null && denial.getStackTrace().getFrames().stream().map(RecordedFrame::getMethod)
                .anyMatch(m -> m.getType().getName().equals(ReadBoth.class.getName()) && m.getName().equals("main")),
                "the denial's stack shows the application's frame that made the call: " + denial);

        RecordedEvent trip = trips.stream().filter(t -> t.getLong("auditSeq") == denied.getLong("auditSeq")).findFirst()
                .orElseThrow(() -> new AssertionError("no round trip for the denial among " + trips));
        assertTrue(trip.getBoolean("answered"), trip.toString());
        assertEquals("denied", trip.getString("code"));
        assertTrue(trip.getDuration().toNanos() > 0, "a round trip takes time: " + trip);
        assertTrue(trips.size() >= decisions.stream().filter(d -> d.getLong("auditSeq") >= 0).count(),
                "every decision the engine logged came by a round trip: " + trips.size() + " trips, " + decisions.size() + " decisions");
    }

    @Test
    void withoutARecordingTheAgentNeverStartsTheFlightRecorder() throws Exception {
        root = root.toRealPath();
        Files.createDirectories(root.resolve("work"));
        Files.createDirectories(root.resolve("secret"));
        Files.writeString(root.resolve("work/notes.txt"), "notes");
        Files.writeString(root.resolve("secret/key.txt"), "key");
        try (Agt.EngineProcess e = engine()) {
            String out = run();
            assertTrue(out.contains("JFR initialized false"), out);
            e.terminate();
            e.awaitExit();
        }
    }
}
