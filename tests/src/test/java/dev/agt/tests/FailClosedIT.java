package dev.agt.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.agt.protocol.Frame;
import dev.agt.protocol.FrameCodec;
import dev.agt.protocol.FrameType;
import dev.agt.protocol.Limits;
import dev.agt.tests.catalogue.Ticker;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent when the engine dies under it, comes back, or answers too slowly. */
class FailClosedIT {
    @TempDir
    Path root;

    Process ticker(Path socket, double seconds, String options) throws Exception {
        Path classes = Path.of(Ticker.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Files.createDirectories(root.resolve("work"));
        Files.writeString(root.resolve("work/tick.txt"), "tick");
        return new ProcessBuilder(Agt.java(), "-javaagent:" + JavaagentIT.AGENT + "=engine=" + socket + ",name=ticker" + options,
                "-cp", classes.toString(), Ticker.class.getName(), root.resolve("work/tick.txt").toString(), String.valueOf(seconds))
                .redirectErrorStream(true).redirectOutput(root.resolve("ticker.out").toFile()).start();
    }

    List<String> ticks() throws IOException {
        List<String> out = new ArrayList<>();
        for (String l : Files.readAllLines(root.resolve("ticker.out"))) {
            if (l.startsWith("TICK ")) {
                out.add(l.substring(5));
            }
        }
        return out;
    }

    /** Waits, bounded, until the ticker has printed {@code n} ticks {@code outcome} in all. */
    void awaitTicks(String outcome, int n, String when) throws Exception {
        Await.until(n + " ticks " + outcome + " " + when, Duration.ofSeconds(30), this::ticks,
                ticks -> ticks.stream().filter(outcome::equals).count() >= n);
    }

    Agt.EngineProcess engine() throws Exception {
        Files.writeString(root.resolve("policy.yaml"), "version: 1\ninclude: [jvm-runtime]\nrules:\n"
                + "  - {id: work, effect: allow, family: file, paths: [\"" + root + "/work/**\"]}\n");
        Agt.EngineProcess e = new Agt.EngineProcess(root, "--policy", "policy.yaml", "--socket", root.resolve("e.sock").toString(),
                "--audit-dir", root.resolve("audit").toString());
        e.awaitReady();
        return e;
    }

    @Test
    void anEngineKilledMidRunMeansDenialsUntilItIsBackThenDecisionsAgain() throws Exception {
        root = root.toRealPath();
        Process t;
        try (Agt.EngineProcess first = engine()) {
            t = ticker(root.resolve("e.sock"), 9, ",timeoutMs=500");
            awaitTicks("OK", 3, "while the engine runs");
            first.process.destroyForcibly();
            first.process.waitFor(30, TimeUnit.SECONDS);
        }
        awaitTicks("DENIED engine-unreachable", 3, "once the engine is gone");
        try (Agt.EngineProcess second = engine()) {
            assertTrue(t.waitFor(60, TimeUnit.SECONDS));
            second.terminate();
            second.awaitExit();
        }
        assertEquals(0, t.exitValue(), "the governed JVM keeps running: " + Files.readString(root.resolve("ticker.out")));
        List<String> ticks = ticks();
        int firstDenied = ticks.indexOf("DENIED engine-unreachable");
        int lastDenied = ticks.lastIndexOf("DENIED engine-unreachable");
        assertTrue(firstDenied > 0, "allowed while the engine ran, then denied: " + ticks + "\n" + Files.readString(root.resolve("ticker.out")));
        assertTrue(ticks.subList(0, firstDenied).stream().allMatch("OK"::equals), "only allowed before the kill: " + ticks);
        assertTrue(ticks.subList(firstDenied, lastDenied + 1).stream().noneMatch("OK"::equals), "never allowed while it was gone: " + ticks);
        assertTrue(lastDenied < ticks.size() - 3 && ticks.get(ticks.size() - 1).equals("OK"), "allowed again once it is back: " + ticks);
    }

    @Test
    void failModeOpenExcusesOnlyAnUnreachableEngineNeverAPolicyDenial() throws Exception {
        root = root.toRealPath();
        Process t = ticker(root.resolve("absent.sock"), 0.5, ",failMode=open");
        assertTrue(t.waitFor(60, TimeUnit.SECONDS));
        List<String> unreachable = ticks();
        assertTrue(!unreachable.isEmpty() && unreachable.stream().allMatch("OK"::equals), "open: passes while unreachable: " + unreachable);

        Files.writeString(root.resolve("policy.yaml"), "version: 1\ninclude: [jvm-runtime]\nrules:\n"
                + "  - {id: elsewhere, effect: allow, family: file, paths: [\"/nowhere/**\"]}\n");
        try (Agt.EngineProcess e = new Agt.EngineProcess(root, "--policy", "policy.yaml", "--socket", root.resolve("e.sock").toString(),
                "--audit-dir", root.resolve("audit").toString())) {
            e.awaitReady();
            Process t2 = ticker(root.resolve("e.sock"), 0.5, ",failMode=open");
            assertTrue(t2.waitFor(60, TimeUnit.SECONDS));
            e.terminate();
            e.awaitExit();
        }
        List<String> decided = ticks();
        assertTrue(!decided.isEmpty() && decided.stream().allMatch("DENIED default-deny"::equals), "a policy denial stands: " + decided);
    }

    @Test
    void onEngineDownExitStopsTheJvmBeforeTheApplicationRuns() throws Exception {
        root = root.toRealPath();
        Process t = ticker(root.resolve("absent.sock"), 0.5, ",onEngineDown=exit");
        assertTrue(t.waitFor(60, TimeUnit.SECONDS));
        String out = Files.readString(root.resolve("ticker.out"));
        assertEquals(4, t.exitValue(), out);
        assertTrue(out.contains("agt: engine unreachable at " + root.resolve("absent.sock")), out);
        assertTrue(ticks().isEmpty(), "the application never ran: " + out);
    }

    @Test
    void anEngineThatDoesNotAnswerInTimeMeansDenials() throws Exception {
        root = root.toRealPath();
        Path sock = root.resolve("slow.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            Thread fake = new Thread(() -> {
                try (SocketChannel c = server.accept()) {
                    for (Frame f; (f = FrameCodec.read(c, Limits.DEFAULT)) != null; ) {
                        if (f.type() == FrameType.HELLO) {
                            c.write(FrameCodec.encode(new Frame(FrameType.HELLO_OK, f.id(), Map.of("engine", "slow")), Limits.DEFAULT));
                        }
                        // DECIDE frames are read and never answered
                    }
                } catch (IOException ignored) {
                    // the agent went away
                }
            });
            fake.setDaemon(true);
            fake.start();
            Process t = ticker(sock, 2, ",timeoutMs=300");
            assertTrue(t.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, t.exitValue(), Files.readString(root.resolve("ticker.out")));
        }
        List<String> ticks = ticks();
        assertTrue(!ticks.isEmpty() && ticks.stream().allMatch("DENIED timeout"::equals), "every call denied for want of an answer: " + ticks);
    }
}
