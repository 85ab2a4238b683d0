package dev.agt.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.agt.tests.sandbox.NativeProbe;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code agt run}: native code (a JNI library built here with gcc, which no bytecode hook sees)
 * inside the sandbox cannot read the engine's key or log, cannot write outside the workspace,
 * and with {@code network: none} cannot connect, while the same probe outside the sandbox can
 * (so the test can fail). Skipped, saying why, where bubblewrap or gcc is missing.
 */
class SandboxIT {
    @TempDir
    Path root;
    Path ws;
    Path engineDir;
    Path lib;
    ServerSocket server;
    final List<String> received = new CopyOnWriteArrayList<>();

    static final String POLICY = """
            version: 1
            include: [jvm-runtime]
            rules:
              - {id: workspace, effect: allow, family: file, paths: ["WS/**"]}
              - {id: probe-library, effect: allow, family: native, paths: ["WS/**"]}
              - {id: network, effect: allow, family: net}
            """;

    @BeforeEach
    void world() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/bwrap")), "bubblewrap is not installed (apt-get install bubblewrap): sandbox tests skipped");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/gcc")), "gcc is not installed: the JNI probe cannot be built, sandbox tests skipped");
        root = root.toRealPath();
        ws = Files.createDirectories(root.resolve("ws"));
        engineDir = Files.createDirectories(root.resolve("engine"));
        Files.writeString(ws.resolve("notes.txt"), "workspace notes");
        lib = ws.resolve("libprobe.so");
        Path src = Path.of("src/test/c/native_probe.c").toAbsolutePath();
        Path jdk = Agt.JAVA_HOME;
        Process gcc = new ProcessBuilder("gcc", "-shared", "-fPIC", "-O1", "-I" + jdk.resolve("include"), "-I" + jdk.resolve("include/linux"),
                src.toString(), "-o", lib.toString()).redirectErrorStream(true).start();
        String out = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(gcc.waitFor(60, TimeUnit.SECONDS) && gcc.exitValue() == 0, "gcc failed:\n" + out);
        server = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        Thread t = new Thread(() -> {
            while (!server.isClosed()) {
                try (Socket s = server.accept()) {
                    received.add(new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII));
                } catch (IOException e) {
                    return;
                }
            }
        });
        t.setDaemon(true);
        t.start();
        Files.writeString(engineDir.resolve("policy.yaml"), POLICY.replace("WS", ws.toString()));
    }

    @AfterEach
    void stop() throws IOException {
        if (server != null) {
            server.close();
        }
    }

    /**
     * What the loopback server has read from every connection made before now. It accepts one
     * connection at a time in arrival order, so once a sentinel connected now has been read, all
     * earlier ones have been: a positive witness, where a pause would only hope.
     */
    List<String> receivedSoFar() throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
            s.getOutputStream().write("sentinel".getBytes(StandardCharsets.US_ASCII));
        }
        Await.until("the loopback server to read a sentinel connection", Duration.ofSeconds(10), () -> received.contains("sentinel"), b -> b);
        received.remove("sentinel");
        return List.copyOf(received);
    }

    Agt.EngineProcess engine() throws Exception {
        Agt.EngineProcess e = new Agt.EngineProcess(engineDir, "--policy", "policy.yaml", "--socket", engineDir.resolve("e.sock").toString(),
                "--audit-dir", engineDir.resolve("audit").toString());
        e.awaitReady();
        return e;
    }

    List<String> probes() throws IOException {
        Path segment;
        try (var s = Files.list(engineDir.resolve("audit/log"))) {
            segment = s.findFirst().orElseThrow();
        }
        return List.of(lib.toString(), "read:" + engineDir.resolve("audit.key"), "read:" + segment, "read:" + ws.resolve("notes.txt"),
                "write:" + root.resolve("outside.txt"), "write:" + ws.resolve("inside.txt"), "connect:" + server.getLocalPort(),
                "read:/etc/shadow", "write:/usr/agt-probe.txt", "write:" + engineDir.resolve("audit/log/forged.jsonl"));
    }

    Map<String, String> results(String stdout) {
        Map<String, String> m = new LinkedHashMap<>();
        stdout.lines().filter(l -> l.startsWith("RESULT ")).forEach(l -> {
            String[] p = l.split(" ", 3);
            m.put(p[1].substring(0, p[1].indexOf(':')) + ":" + Path.of(p[1].substring(p[1].indexOf(':') + 1)).getFileName(), p[2]);
        });
        return m;
    }

    Agt.Result run(String profile, List<String> probes) throws Exception {
        List<String> args = new ArrayList<>(List.of("run", "--profile", profile, "--engine", engineDir.resolve("e.sock").toString(),
                "--name", "sandboxed", "--agent-jar", JavaagentIT.AGENT.toString(), "--", Agt.java(), "-cp", classes(),
                NativeProbe.class.getName()));
        args.addAll(probes);
        return Agt.run(ws, args.toArray(String[]::new));
    }

    static String classes() throws Exception {
        return Path.of(NativeProbe.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }

    @Test
    void nativeCodeInTheSandboxCannotReachTheLogTheKeyOrTheNetwork() throws Exception {
        try (Agt.EngineProcess e = engine()) {
            List<String> probes = probes();
            Agt.Result in = run("workspace", probes);
            assertEquals(0, in.exit(), in.toString());
            assertTrue(in.out().contains("PROBE DONE"), in.toString());
            Map<String, String> r = results(in.out());
            assertTrue(r.get("read:audit.key").startsWith("ERR No such file"), "the engine key is absent in the sandbox: " + r);
            assertTrue(r.get("read:" + Path.of(probes.get(2).substring(5)).getFileName()).startsWith("ERR No such file"),
                    "the audit log is absent: " + r);
            assertTrue(r.get("read:notes.txt").startsWith("OK "), "the workspace is readable: " + r);
            assertTrue(r.get("write:inside.txt").startsWith("OK "), "the workspace is writable: " + r);
            // outside the workspace: the system is read-only; a path under /tmp lands in the sandbox's
            // private /tmp, never in the real one
            assertTrue(r.get("write:agt-probe.txt").startsWith("ERR Read-only file system"), "the system is read-only: " + r);
            assertTrue(r.get("connect:" + server.getLocalPort()).startsWith("ERR "), "no network: " + r);
            assertTrue(r.get("read:shadow").startsWith("ERR "), "/etc/shadow is not in the sandbox: " + r);
            assertFalse(Files.exists(root.resolve("outside.txt")), "a file appeared outside the workspace");
            assertFalse(Files.exists(engineDir.resolve("audit/log/forged.jsonl")), "native code wrote into the audit log");
            assertFalse(Files.exists(Path.of("/usr/agt-probe.txt")));
            assertEquals("native", Files.readString(ws.resolve("inside.txt")));
            List<String> reached = receivedSoFar();
            assertTrue(reached.isEmpty(), "the loopback server was reached from the sandbox: " + reached);

            // the same probe outside the sandbox: the agent alone cannot stop native code (why the sandbox exists)
            List<String> bare = new ArrayList<>(List.of(Agt.java(), "-javaagent:" + JavaagentIT.AGENT + "=engine=" + engineDir.resolve("e.sock")
                    + ",name=bare", "-cp", classes(), NativeProbe.class.getName()));
            bare.addAll(List.of(lib.toString(), "read:" + engineDir.resolve("audit.key"), "connect:" + server.getLocalPort()));
            Process p = new ProcessBuilder(bare).directory(ws.toFile()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            Map<String, String> b = results(out);
            assertTrue(b.get("read:audit.key").startsWith("OK "), "outside the sandbox, native code reads the key: " + out);
            assertTrue(b.get("connect:" + server.getLocalPort()).startsWith("OK "), "outside the sandbox, native code connects: " + out);

            // with the host's network, the same connect works: the probe itself is sound
            received.clear();
            Agt.Result net = run("networked", List.of(lib.toString(), "connect:" + server.getLocalPort()));
            assertTrue(results(net.out()).get("connect:" + server.getLocalPort()).startsWith("OK "), net.toString());
            e.terminate();
            e.awaitExit();
        }
    }

    static final String SANDBOXING = """
            version: 1
            include: [jvm-runtime]
            rules:
              - {id: workspace, effect: allow, family: file, paths: ["WS/**"]}
              - id: shells-in-a-sandbox
                effect: allow
                family: process
                executables: [/usr/bin/sh, /bin/sh, /usr/bin/dash, /bin/dash, /usr/bin/bash, /bin/bash]
                sandbox: strict
              - {id: touch-bare, effect: allow, family: process, executables: [/usr/bin/touch, /bin/touch]}
            """;

    /** The policy answers "sandbox: strict" for shells: the agent runs them under bubblewrap; touch runs bare. */
    @Test
    void aLaunchThePolicySandboxesCannotEscapeItsWorkspace() throws Exception {
        Files.writeString(engineDir.resolve("policy.yaml"), SANDBOXING.replace("WS", ws.toString()));
        Path secret = Files.writeString(engineDir.resolve("secret.txt"), "engine-side secret");
        Files.createSymbolicLink(ws.resolve("link-to-secret"), secret);
        Path outside = root.resolve("outside.txt");
        String out;
        try (Agt.EngineProcess e = engine()) {
            Process p = new ProcessBuilder(Agt.java(), "-javaagent:" + JavaagentIT.AGENT + "=engine=" + engineDir.resolve("e.sock") + ",name=launcher",
                    "-cp", classes(), dev.agt.tests.sandbox.ChildLauncher.class.getName(), ws.toString(), outside.toString(), secret.toString(),
                    String.valueOf(server.getLocalPort())).directory(ws.toFile()).redirectErrorStream(true).start();
            out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(120, TimeUnit.SECONDS));
            e.terminate();
            e.awaitExit();
        }
        Map<String, String> r = new LinkedHashMap<>();
        out.lines().filter(l -> l.startsWith("RESULT ")).forEach(l -> {
            String[] parts = l.split(" ", 3);
            r.put(parts[1], parts.length > 2 ? parts[2] : "");
        });
        assertTrue(out.contains("LAUNCHER DONE"), out);
        assertTrue(r.get("write-inside").startsWith("0 sandboxed"), "the workspace is writable: " + out);
        assertEquals("sandboxed\n", Files.readString(ws.resolve("inside.txt")));
        // outside the workspace: a path under /tmp lands in the sandbox's private /tmp, the system is read-only
        assertFalse(Files.exists(outside), "the sandboxed shell wrote outside its workspace");
        assertTrue(r.get("write-system").contains("Read-only file system"), out);
        assertFalse(Files.exists(Path.of("/usr/agt-escape.txt")));
        for (String escape : List.of("read-secret", "read-secret-via-symlink", "read-secret-via-proc")) {
            assertFalse(r.get(escape).startsWith("0") || r.get(escape).contains("engine-side secret"), escape + ": " + out);
        }
        assertFalse(r.get("network").startsWith("0"), "the sandboxed shell reached the network: " + out);
        List<String> reached = receivedSoFar();
        assertTrue(reached.isEmpty(), "the loopback server was reached: " + reached);
        assertTrue(r.get("bare-touch").startsWith("0"), "an allowed bare process still works: " + out);
        assertTrue(Files.exists(ws.resolve("bare-marker")));
        assertTrue(out.contains("agt: launching /usr/bin/dash inside sandbox strict") || out.contains("inside sandbox strict"), out);
        Agt.Result log = Agt.run(engineDir, "audit", "show", "audit", "--family", "process", "--json");
        assertTrue(log.out().lines().anyMatch(l -> l.contains("\"sandbox\":\"strict\"") && l.contains("\"rule\":\"shells-in-a-sandbox\"")),
                log.out());
        assertTrue(log.out().lines().anyMatch(l -> l.contains("touch") && l.contains("\"rule\":\"touch-bare\"") && !l.contains("\"sandbox\"")),
                log.out());
    }

    @Test
    void aBrokenProfileIsRefusedWithLineAndColumnAndNothingRuns() throws Exception {
        Files.writeString(root.resolve("bad.yaml"), "version: 1\nnetwork: sometimes\nwritable: [relative/dir]\nlimitz: {}\n");
        Agt.Result r = Agt.run(ws, "run", "--profile", root.resolve("bad.yaml").toString(), "--engine", engineDir.resolve("e.sock").toString(),
                "--agent-jar", JavaagentIT.AGENT.toString(), "--", Agt.java(), "-cp", classes(), NativeProbe.class.getName(), lib.toString(),
                "write:" + ws.resolve("ran.txt"));
        assertEquals(1, r.exit(), r.toString());
        assertTrue(r.err().contains("bad.yaml:2:10: 'network' is none"), r.err());
        assertTrue(r.err().contains("bad.yaml:3:12: 'relative/dir' must be an absolute path"), r.err());
        assertTrue(r.err().contains("bad.yaml:4:1: unknown key 'limitz' (did you mean 'limits'?)"), r.err());
        assertFalse(Files.exists(ws.resolve("ran.txt")), "nothing ran");
    }

    @Test
    void withoutBubblewrapNothingStarts() throws Exception {
        Path cli = Agt.JAR;
        // no trusted bubblewrap (AGT_BWRAP names where it is looked for)
        ProcessBuilder pb = new ProcessBuilder(Agt.java(), "-jar", cli.toString(), "run", "--engine", engineDir.resolve("e.sock").toString(),
                "--agent-jar", JavaagentIT.AGENT.toString(), "--", Agt.java(), "-cp", classes(), NativeProbe.class.getName(), lib.toString(),
                "write:" + ws.resolve("ran.txt")).redirectErrorStream(true).directory(ws.toFile());
        pb.environment().put("AGT_BWRAP", root.resolve("no-such/bwrap").toString());
        Process q = pb.start();
        String out = new String(q.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(q.waitFor(60, TimeUnit.SECONDS));
        assertEquals(2, q.exitValue(), out);
        assertTrue(out.contains("bubblewrap (bwrap) is not installed") && out.contains("nothing was started"), out);
        // a bwrap that is not root's (planted by someone) is not used either
        Path planted = Files.copy(Path.of("/usr/bin/bwrap"), root.resolve("bwrap"));
        Files.setPosixFilePermissions(planted, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        pb.environment().put("AGT_BWRAP", planted.toString());
        Process r = pb.start();
        String out2 = new String(r.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(r.waitFor(60, TimeUnit.SECONDS));
        assertEquals(2, r.exitValue(), out2);
        assertTrue(out2.contains("writable by no one else"), out2);
        assertFalse(Files.exists(ws.resolve("ran.txt")), "nothing ran");
        assertFalse(Files.exists(ws.resolve("ran.txt")), "nothing ran");
    }
}
