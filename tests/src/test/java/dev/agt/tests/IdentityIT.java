package dev.agt.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.agt.tests.catalogue.Launcher;
import dev.agt.tests.catalogue.Ticker;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Identities end to end: a registered agent proves its key to an engine that requires it, its
 * child JVM is given a delegated key automatically and is decided as its root, an agent with no
 * key is refused, a key file others can read stops the JVM, and the kill switch stops a running
 * agent on its next call.
 */
class IdentityIT {
    @TempDir
    Path root;
    Path engineDir;
    Path data;

    static final String POLICY = """
            version: 1
            include: [jvm-runtime]
            rules:
              - {id: research-data, effect: allow, family: file, paths: ["DATA/**"], agents: {labels: {team: research}}}
              - {id: research-workers, effect: allow, family: process, executables: ["**/bin/java"], agents: {labels: {team: research}}}
            """;

    @BeforeEach
    void world() throws Exception {
        root = root.toRealPath();
        engineDir = Files.createDirectories(root.resolve("engine"));
        data = Files.createDirectories(root.resolve("data"));
        Files.writeString(data.resolve("file.txt"), "research data");
        Files.writeString(engineDir.resolve("policy.yaml"), POLICY.replace("DATA", data.toString()));
        Agt.Result created = Agt.run(root, "identity", "create", "research", "--label", "team=research", "--registry",
                engineDir.resolve("agents.json").toString(), "--out", root.resolve("research.key").toString());
        assertEquals(0, created.exit(), created.toString());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("research.key"))));
    }

    Agt.EngineProcess engine() throws Exception {
        Agt.EngineProcess e = new Agt.EngineProcess(engineDir, "--policy", "policy.yaml", "--socket", engineDir.resolve("e.sock").toString(),
                "--audit-dir", engineDir.resolve("audit").toString(), "--auth", "required", "--registry", engineDir.resolve("agents.json").toString());
        e.awaitReady();
        return e;
    }

    static String classes() throws Exception {
        return Path.of(Ticker.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }

    Process jvm(String agentOptions, String main, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(Agt.java(), "-javaagent:" + JavaagentIT.AGENT + "=engine=" + engineDir.resolve("e.sock")
                + "," + agentOptions, "-cp", classes(), main));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).directory(root.toFile()).redirectErrorStream(true).start();
    }

    static String output(Process p) throws Exception {
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return out;
    }

    @Test
    void aProvenAgentAndItsDelegatedChildAreDecidedAsTheRegisteredAgent() throws Exception {
        String out;
        try (Agt.EngineProcess e = engine()) {
            out = output(jvm("name=research,identity=" + root.resolve("research.key"), Launcher.class.getName(), Agt.java(), classes(),
                    data.resolve("file.txt").toString()));
            // no key: refused at the handshake, every call denied, the JVM keeps running
            String anonymous = output(jvm("name=research", Ticker.class.getName(), data.resolve("file.txt").toString(), "0.3"));
            assertTrue(anonymous.contains("engine refused the session") && anonymous.contains("auth-required"), anonymous);
            assertTrue(anonymous.contains("TICK DENIED refused") && !anonymous.contains("TICK OK"), anonymous);
            e.terminate();
            e.awaitExit();
        }
        assertTrue(out.contains("CHILD TICK OK") && !out.contains("CHILD TICK DENIED"), "the delegated child works as its root:\n" + out);
        // a delegate is decided, and named, as its root; what it declared and its chain are recorded
        Agt.Result log = Agt.run(engineDir, "audit", "show", "audit", "--agent", "research", "--json");
        assertTrue(log.out().lines().anyMatch(l -> l.contains("\"auth\":\"ed25519-challenge\"") && l.contains("\"root\":\"did:key:")
                && l.contains("research/child") && l.contains("\"rule\":\"research-data\"")), "the child's decisions record its chain:\n" + log);
        // the parent removes the child's key at exit as its own work, never as a governed (and denied) call
        assertFalse(log.out().contains("\"action\":\"delete\""), "the agent's own clean-up went through the checks:\n" + log);
        Agt.Result refused = Agt.run(engineDir, "audit", "show", "audit", "--json");
        assertTrue(refused.out().contains("session-refused") && refused.out().contains("auth-required"), refused.out());
    }

    @Test
    void aKeyOthersCanReadStopsTheJvm() throws Exception {
        Files.setPosixFilePermissions(root.resolve("research.key"), PosixFilePermissions.fromString("rw-r--r--"));
        Process p = new ProcessBuilder(Agt.java(), "-javaagent:" + JavaagentIT.AGENT + "=engine=" + root.resolve("none.sock") + ",identity="
                + root.resolve("research.key"), "-cp", classes(), Ticker.class.getName(), data.resolve("file.txt").toString(), "0.1")
                .redirectErrorStream(true).start();
        String out = output(p);
        assertEquals(3, p.exitValue(), out);
        assertTrue(out.contains("cannot use the identity") && out.contains("chmod 600"), out);
        assertFalse(out.contains("TICK"), "nothing ran: " + out);
    }

    @Test
    void theKillSwitchStopsARunningAgentOnItsNextCall() throws Exception {
        try (Agt.EngineProcess e = engine()) {
            Process p = jvm("name=research,identity=" + root.resolve("research.key"), Ticker.class.getName(), data.resolve("file.txt").toString(), "8");
            List<String> lines = new CopyOnWriteArrayList<>();
            BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            Thread t = new Thread(() -> r.lines().forEach(lines::add));
            t.start();
            Await.until("three allowed ticks before the kill", Duration.ofSeconds(30), () -> List.copyOf(lines),
                    l -> l.stream().filter("TICK OK"::equals).count() >= 3);
            Agt.Result kill = Agt.run(root, "kill", "research", "--socket", engineDir.resolve("e.sock").toString());
            assertEquals(0, kill.exit(), kill.toString());
            int killedAt = lines.size();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            t.join();
            List<String> after = lines.subList(killedAt, lines.size()).stream().filter(l -> l.startsWith("TICK ")).toList();
            assertFalse(after.isEmpty(), String.join("\n", lines));
            // the tick in flight when the kill landed may still pass; every later one is killed
            assertTrue(after.subList(1, after.size()).stream().allMatch(l -> l.equals("TICK DENIED killed")), String.join("\n", lines));
            Agt.Result revive = Agt.run(root, "revive", "research", "--socket", engineDir.resolve("e.sock").toString());
            assertEquals(0, revive.exit(), revive.toString());
            String again = output(jvm("name=research,identity=" + root.resolve("research.key"), Ticker.class.getName(),
                    data.resolve("file.txt").toString(), "0.3"));
            assertTrue(again.contains("TICK OK"), "revived: " + again);
            e.terminate();
            e.awaitExit();
        }
        Agt.Result log = Agt.run(engineDir, "audit", "show", "audit", "--json");
        assertTrue(log.out().contains("\"code\":\"killed\""), log.out());
    }
}
