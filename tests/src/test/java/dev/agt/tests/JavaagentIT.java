package dev.agt.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.agt.tests.catalogue.ActionCatalogue;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real JVMs with the agent against a real engine: the whole action catalogue runs in one
 * forked JVM per policy, and every action is judged by its effect too: the loopback server saw
 * no request, the secret is unchanged and was not copied, no marker file exists.
 */
class JavaagentIT {
    static final Path AGENT = Path.of(System.getProperty("agt.agent.jar", "../javaagent/target/agt-javaagent.jar")).toAbsolutePath().normalize();
    static final String SECRET = "the secret of " + JavaagentIT.class.getSimpleName();

    @TempDir
    Path root;
    HttpServer server;
    final Set<String> seen = ConcurrentHashMap.newKeySet();
    java.net.DatagramSocket udp;
    final Set<String> datagrams = ConcurrentHashMap.newKeySet();

    @BeforeEach
    void world() throws IOException {
        root = root.toRealPath();
        Files.createDirectories(root.resolve("secret"));
        Files.createDirectories(root.resolve("work"));
        Files.writeString(root.resolve("secret/secret.txt"), SECRET);
        Files.setPosixFilePermissions(root.resolve("secret/secret.txt"), java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        Files.createSymbolicLink(root.resolve("work/link-to-secret"), root.resolve("secret/secret.txt"));
        Files.createDirectories(root.resolve("secret/inner"));
        Files.createSymbolicLink(root.resolve("work/deep-link"), root.resolve("secret/inner"));
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext("/", ex -> {
            seen.add(ex.getRequestURI().getPath());
            byte[] body = "hello".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
        udp = new java.net.DatagramSocket(0, InetAddress.getLoopbackAddress());
        Thread t = new Thread(() -> {
            byte[] buf = new byte[256];
            while (!udp.isClosed()) {
                try {
                    java.net.DatagramPacket p = new java.net.DatagramPacket(buf, buf.length);
                    udp.receive(p);
                    datagrams.add(new String(p.getData(), 0, p.getLength(), StandardCharsets.US_ASCII));
                } catch (IOException e) {
                    return;
                }
            }
        });
        t.setDaemon(true);
        t.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
        udp.close();
    }

    static final String DENY = """
            version: 1
            include: [jvm-runtime]
            vars:
              root: ROOT
            rules:
              - {id: workspace, effect: allow, family: file, paths: ["${root}/work/**"]}
              - {id: no-secrets, effect: deny, family: file, paths: ["${root}/secret/**"], reason: secrets stay secret}
              - {id: no-network, effect: deny, family: net}
              - {id: no-processes, effect: deny, family: process}
              - {id: no-native-from-the-workspace, effect: deny, family: native, paths: ["${root}/**"]}
            """;

    static final String ALLOW = """
            version: 1
            include: [jvm-runtime]
            vars:
              root: ROOT
            rules:
              - {id: everything-here, effect: allow, family: file, paths: ["${root}/**"]}
              - {id: network, effect: allow, family: net}
              - {id: processes, effect: allow, family: process}
              - {id: native, effect: allow, family: native}
            """;

    record Run(Map<String, String> results, String stdout, String stderr, int exit) {
        String status(String action) {
            String r = results.get(action);
            return r == null ? "MISSING" : r.split(" ", 2)[0];
        }
    }

    Run catalogue(Path engineSocket, String extraOptions) throws Exception {
        Path classes = Path.of(ActionCatalogue.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<String> cmd = new ArrayList<>(List.of(Agt.java(),
                "-javaagent:" + AGENT + "=engine=" + engineSocket + ",name=catalogue,timeoutMs=5000" + extraOptions,
                // work/ is on the class path too: a link planted in a class path directory must
                // still be judged by where it leads (file.read.symlink)
                // the test's own class path too: the third-party HTTP clients live there
                "-cp", classes + java.io.File.pathSeparator + root.resolve("work") + java.io.File.pathSeparator
                        + System.getProperty("java.class.path"), ActionCatalogue.class.getName(), root.toString(),
                String.valueOf(server.getAddress().getPort()), String.valueOf(udp.getLocalPort())));
        Path out = root.resolve("out.txt");
        Path err = root.resolve("err.txt");
        Process p = new ProcessBuilder(cmd).directory(root.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), "catalogue did not finish");
        String stdout = Files.readString(out);
        Map<String, String> results = new LinkedHashMap<>();
        stdout.lines().filter(l -> l.startsWith("RESULT ")).forEach(l -> {
            String[] parts = l.split(" ", 3);
            results.put(parts[1], parts[2]);
        });
        return new Run(results, stdout, Files.readString(err), p.exitValue());
    }

    Agt.EngineProcess engine(String policy) throws Exception {
        Files.writeString(root.resolve("policy.yaml"), policy.replace("ROOT", root.toString()));
        Agt.EngineProcess e = new Agt.EngineProcess(root, "--policy", "policy.yaml", "--socket", root.resolve("e.sock").toString(),
                "--audit-dir", root.resolve("audit").toString());
        e.awaitReady();
        return e;
    }

    void secretUntouched() throws IOException {
        assertEquals(SECRET, Files.readString(root.resolve("secret/secret.txt")), "the secret is unchanged");
        assertEquals("rw-r--r--", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(root.resolve("secret/secret.txt"))), "its permissions are unchanged");
        assertTrue(Files.getLastModifiedTime(root.resolve("secret/secret.txt")).toMillis() > 0, "its time is unchanged");
        assertFalse(Files.exists(root.resolve("work/moved.txt")) || Files.exists(root.resolve("work/copied.txt"))
                || Files.exists(root.resolve("work/hardlink")) || Files.exists(root.resolve("secret/newdir")), "nothing copied, moved or created");
    }

    @Test
    void everyRouteIsDeniedUnderADenyPolicyAndNothingHappens() throws Exception {
        Run run;
        try (Agt.EngineProcess e = engine(DENY)) {
            run = catalogue(root.resolve("e.sock"), "");
            e.terminate();
            e.awaitExit();
        }
        assertEquals(0, run.exit(), "the governed JVM itself keeps running: " + run.stderr());
        assertTrue(run.stdout().contains("CATALOGUE DONE"), run.stdout() + run.stderr());
        assertTrue(run.stderr().contains("agt: guarding file, native, net, process"), run.stderr());
        List<String> wrong = new ArrayList<>();
        for (String action : ActionCatalogueNames.ALL) {
            String want = action.equals("file.write.workspace") ? "OK" : "DENIED";
            String got = run.status(action);
            if (got.equals("SKIP")) {
                continue;
            }
            if (!got.equals(want)) {
                wrong.add(action + ": " + run.results().get(action));
            }
        }
        assertTrue(wrong.isEmpty(), "wrong outcomes:\n" + String.join("\n", wrong) + "\n" + run.stderr());
        // the exceptions are what the call sites declare
        assertTrue(run.results().get("file.read.FileInputStream").contains("AgtFileNotFoundException"));
        assertTrue(run.results().get("file.read.Files.readAllBytes").contains("AgtAccessDeniedException"));
        assertTrue(run.results().get("net.Socket").contains("AgtConnectException"));
        assertTrue(run.results().get("process.ProcessBuilder").contains("AgtIOException"));
        assertTrue(run.results().get("file.delete.File").contains("AgtSecurityException"));
        assertTrue(run.results().get("file.read.Files.readAllBytes").contains("blocked by policy rule no-secrets (audit #"),
                run.results().get("file.read.Files.readAllBytes"));
        // and the effects did not happen
        secretUntouched();
        assertTrue(seen.isEmpty(), "the loopback server saw requests: " + seen);
        Thread.sleep(200);
        assertTrue(datagrams.isEmpty(), "the UDP server received: " + datagrams);
        assertTrue(run.results().get("net.resolve").contains("AgtUnknownHostException"), run.results().get("net.resolve"));
        // a high-level client's url and method travel with the connect, into the log
        Agt.Result log = Agt.run(root, "audit", "show", "audit", "--family", "net", "--json");
        for (String client : List.of("net.HttpURLConnection", "net.HttpClient", "net.HttpClient.async")) {
            String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/" + client;
            assertTrue(log.out().lines().anyMatch(l -> l.contains("\"url\":\"" + url + "\"") && l.contains("\"method\":\"GET\"")
                    && l.contains("\"effect\":\"deny\"")), "the denied connect records url and method of " + client + ":\n" + log.out());
        }
        // and only the connect it was for: a raw socket's connect right after carries none
        assertTrue(log.out().lines().filter(l -> l.contains("\"url\"")).allMatch(l -> l.contains("/net.Http")),
                "url only on the clients' connects:\n" + log.out());
        try (var s = Files.list(root.resolve("work"))) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith("marker")), "no process ran");
        }
    }

    @Test
    void everyRouteWorksUnderAnAllowPolicy() throws Exception {
        Run run;
        try (Agt.EngineProcess e = engine(ALLOW)) {
            run = catalogue(root.resolve("e.sock"), "");
            e.terminate();
            e.awaitExit();
        }
        assertTrue(run.stdout().contains("CATALOGUE DONE"), run.stdout() + run.stderr());
        List<String> wrong = new ArrayList<>();
        for (String action : ActionCatalogueNames.ALL) {
            String got = run.status(action);
            // allowed, then the thing itself fails: no such library, no such name, not a zip
            boolean ok = action.equals("native.System.load") || action.equals("net.resolve") || action.equals("file.read.ZipFile")
                    ? got.equals("ERROR")
                    : action.startsWith("file.write") || action.startsWith("file.delete") || action.startsWith("file.rename")
                    || action.startsWith("file.copy") || action.startsWith("file.link") || action.startsWith("file.create")
                    || action.startsWith("file.attr")
                    ? !got.equals("DENIED") : got.equals("OK") || got.equals("SKIP");
            if (!ok) {
                wrong.add(action + ": " + run.results().get(action));
            }
        }
        assertTrue(wrong.isEmpty(), "wrong outcomes:\n" + String.join("\n", wrong) + "\n" + run.stderr());
        assertTrue(run.results().get("native.System.load").contains("UnsatisfiedLinkError"), run.results().get("native.System.load"));
        for (String path : List.of("/net.Socket", "/net.SocketChannel", "/net.HttpURLConnection", "/net.HttpClient", "/net.thread-pool",
                "/net.OkHttp", "/net.ApacheHttpClient5")) {
            assertTrue(seen.contains(path), "the server saw " + path + ": " + seen);
        }
        assertTrue(Files.exists(root.resolve("work/marker-pb")) && Files.exists(root.resolve("work/marker-exec")), "the processes ran");
        Thread.sleep(200);
        assertEquals(Set.of("net.udp.DatagramSocket", "net.udp.DatagramChannel"), datagrams, "the datagrams arrived");
    }

    @Test
    void withoutAnEngineEveryGovernedCallIsDeniedAndTheJvmKeepsRunning() throws Exception {
        Run run = catalogue(root.resolve("no-engine.sock"), "");
        assertEquals(0, run.exit(), run.stderr());
        assertTrue(run.stderr().contains("agt: engine unreachable at " + root.resolve("no-engine.sock")), run.stderr());
        for (String action : List.of("file.read.Files.readAllBytes", "net.HttpClient", "process.ProcessBuilder", "file.write.workspace")) {
            assertEquals("DENIED", run.status(action), action + ": " + run.results().get(action));
            assertTrue(run.results().get(action).contains("engine-unreachable"), run.results().get(action));
        }
        secretUntouched();
        assertTrue(seen.isEmpty(), "the loopback server saw requests: " + seen);
    }

    @Test
    void aChildJvmIsGovernedToo() throws Exception {
        String policy = DENY.replace("  - {id: no-processes, effect: deny, family: process}\n",
                "  - {id: java-workers, effect: allow, family: process, executables: [\"**/bin/java\"]}\n");
        Path classes = Path.of(ActionCatalogue.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        String out;
        try (Agt.EngineProcess e = engine(policy)) {
            Process p = new ProcessBuilder(Agt.java(), "-javaagent:" + AGENT + "=engine=" + root.resolve("e.sock") + ",name=parent",
                    "-cp", classes.toString(), dev.agt.tests.catalogue.Launcher.class.getName(), Agt.java(), classes.toString(),
                    root.resolve("secret/secret.txt").toString()).redirectErrorStream(true).start();
            out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            e.terminate();
            e.awaitExit();
        }
        assertTrue(out.contains("CHILD agt: guarding file, native, net, process"), "the child runs with the agent:\n" + out);
        assertTrue(out.contains("CHILD TICK DENIED denied"), "the child's read of the secret is denied:\n" + out);
        assertFalse(out.contains("CHILD TICK OK"), out);
        Agt.Result show = Agt.run(root, "audit", "show", "audit", "--agent", "parent/child", "--effect", "deny");
        assertTrue(show.out().contains("file/read  " + root.resolve("secret/secret.txt") + "  DENY  no-secrets"), show.toString());
    }

    @Test
    void monitorModeLetsCallsThroughAndEveryEntrySaysSo() throws Exception {
        Run run;
        try (Agt.EngineProcess e = engine(DENY)) {
            run = catalogue(root.resolve("e.sock"), ",mode=monitor");
            e.terminate();
            e.awaitExit();
        }
        assertEquals("OK", run.status("file.read.Files.readAllBytes"), run.results().get("file.read.Files.readAllBytes"));
        assertTrue(run.stderr().contains("agt: monitor mode: would deny file/read " + root.resolve("secret/secret.txt")), run.stderr());
        Agt.Result show = Agt.run(root, "audit", "show", "audit", "--effect", "deny", "--json");
        assertTrue(show.out().lines().count() > 10, show.toString());
        assertTrue(show.out().lines().allMatch(l -> l.contains("\"mode\":\"monitor\"")), "every entry records monitor mode: " + show.out());
    }

    @Test
    void badOptionsStopTheJvmWithAClearMessage() throws Exception {
        Path classes = Path.of(ActionCatalogue.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Process p = new ProcessBuilder(Agt.java(), "-javaagent:" + AGENT + "=engine=/x.sock,failMode=opne", "-cp", classes.toString(),
                ActionCatalogue.class.getName(), root.toString(), "1").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue(), out);
        assertTrue(out.contains("agt: bad agent options: failMode must be closed or open, not 'opne'"), out);
        assertFalse(out.contains("RESULT"), "nothing ran unguarded");
    }
}
