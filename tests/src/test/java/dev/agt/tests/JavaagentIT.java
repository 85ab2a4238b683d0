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

    HttpServer other;
    Process sleeper;
    final Set<String> seenOther = ConcurrentHashMap.newKeySet();
    int bindPort;

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
        // a victim file and directory per action: destructive actions never share one, so order never matters
        Files.createDirectories(root.resolve("secret/v"));
        for (String action : ActionCatalogueNames.ALL) {
            Path v = Files.writeString(root.resolve("secret/v/" + action + ".txt"), "victim " + action);
            try {
                Files.getFileAttributeView(v, java.nio.file.attribute.UserDefinedFileAttributeView.class)
                        .write("agt", java.nio.ByteBuffer.wrap("kept".getBytes(StandardCharsets.UTF_8)));
            } catch (IOException | UnsupportedOperationException noXattrsHere) {
                // tmpfs before Linux 6.6 has no user xattrs: those actions then fail the same way under both policies
            }
            Files.createDirectories(root.resolve("secret/vd/" + action));
        }
        // an allowed tool, and a different file by the same relative name below another directory
        Path ok = Files.createDirectories(root.resolve("work/tools")).resolve("ok.sh");
        Files.writeString(ok, "#!/bin/sh\nexit 0\n");
        Path evil = Files.createDirectories(root.resolve("evil/work/tools")).resolve("ok.sh");
        Files.writeString(evil, "#!/bin/sh\ntouch " + root.resolve("work") + "/marker-evil-$1\n");
        for (Path p : List.of(ok, evil)) {
            Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        Files.writeString(root.resolve("work/args"), "-Dagt.argfile=1\n");
        // libraries that exist (not valid ones): a load reaches the loader, which decides before opening
        Files.writeString(root.resolve("work/libnothing.so"), "not a library");
        Files.writeString(root.resolve("secret/libnothing.so"), "not a library");
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext("/", ex -> {
            seen.add(ex.getRequestURI().getPath());
            byte[] body = "hello".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
        // the witness for forged host names: another loopback address, never named by the policy
        other = HttpServer.create(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 2}), 0), 16);
        other.createContext("/", ex -> {
            seenOther.add(ex.getRequestURI().getPath());
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        other.start();
        try (java.net.ServerSocket free = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            bindPort = free.getLocalPort();
        }
        sleeper = new ProcessBuilder("sleep", "600").start(); // the test's process, not the catalogue JVM's child
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

    /** Everything below secret/ that an action could change: names, kinds, contents, modes, times, extended attributes. */
    Map<String, String> snapshot() throws IOException {
        Map<String, String> out = new java.util.TreeMap<>();
        try (var walk = Files.walk(root.resolve("secret"))) {
            for (Path p : walk.toList()) {
                String rel = root.relativize(p).toString();
                if (Files.isSymbolicLink(p)) {
                    out.put(rel, "link " + Files.readSymbolicLink(p));
                    continue;
                }
                StringBuilder d = new StringBuilder(Files.isDirectory(p) ? "dir" : "file " + Files.readString(p).hashCode());
                d.append(' ').append(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(p)));
                d.append(' ').append(Files.getLastModifiedTime(p).toMillis()).append(' ').append(Files.getOwner(p).getName());
                try {
                    var x = Files.getFileAttributeView(p, java.nio.file.attribute.UserDefinedFileAttributeView.class);
                    for (String n : x.list()) {
                        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(x.size(n));
                        x.read(n, b);
                        d.append(" xattr ").append(n).append('=').append(new String(b.array(), StandardCharsets.UTF_8));
                    }
                } catch (IOException | UnsupportedOperationException none) {
                    // no extended attributes on this file system
                }
                out.put(rel, d.toString());
            }
        }
        return out;
    }

    @AfterEach
    void stop() {
        server.stop(0);
        other.stop(0);
        sleeper.destroyForcibly();
        udp.close();
    }

    static final String DENY = """
            version: 1
            include: [jvm-runtime]
            vars:
              root: ROOT
            rules:
              - {id: workspace, effect: allow, family: file, paths: ["${root}/work/**"]}
              - {id: no-secrets, effect: deny, family: file, paths: ["${root}/secret", "${root}/secret/**"], reason: secrets stay secret}
              - {id: no-loopback, effect: deny, family: net, actions: [connect, send], cidrs: [127.0.0.1/32, "::1/128"]}
              # everywhere but the loopback range: 127.0.0.2 is reachable only by name, and only by an earned one
              - {id: outbound, effect: allow, family: net, actions: [connect, send], cidrs: [0.0.0.0/2, 64.0.0.0/3, 96.0.0.0/4,
                  112.0.0.0/5, 120.0.0.0/6, 124.0.0.0/7, 126.0.0.0/8, 128.0.0.0/1]}
              - {id: allowed-api, effect: allow, family: net, actions: [connect], hosts: [api.allowed.example]}
              - {id: ephemeral-ports, effect: allow, family: net, actions: [listen], ports: [0]}
              - {id: ok-tool, effect: allow, family: process, executables: ["${root}/work/tools/ok.sh"]}
              - {id: java-children, effect: allow, family: process, executables: ["**/bin/java"]}
              - {id: no-native-from-the-workspace, effect: deny, family: native, paths: ["${root}/**"]}
            """;

    static final String ALLOW = """
            version: 1
            include: [jvm-runtime]
            vars:
              root: ROOT
            rules:
              - {id: files, effect: allow, family: file}
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
                // secret/ too: a class path directory exempts its class files from decisions, nothing else there
                "-cp", classes + java.io.File.pathSeparator + root.resolve("work") + java.io.File.pathSeparator + root.resolve("secret")
                        + java.io.File.pathSeparator + System.getProperty("java.class.path"), ActionCatalogue.class.getName(), root.toString(),
                String.valueOf(server.getAddress().getPort()), String.valueOf(udp.getLocalPort()), String.valueOf(other.getAddress().getPort()),
                String.valueOf(bindPort), String.valueOf(sleeper.pid())));
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
        try (var work = Files.list(root.resolve("work"))) {
            List<String> leaked = work.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith("moved") || n.startsWith("copied") || n.startsWith("hardlink") || n.startsWith("hl-")
                            || n.startsWith("marker")).toList();
            assertTrue(leaked.isEmpty(), "nothing moved, copied or linked out of secret/, no process ran: " + leaked);
        }
    }

    /**
     * Waits, bounded, until every datagram sent before now has been read by the witness: the
     * receiving socket's queue is first in, first out, so once a sentinel sent now arrives, all
     * that came before it has too.
     */
    void drainDatagrams() throws Exception {
        try (java.net.DatagramSocket s = new java.net.DatagramSocket()) {
            byte[] b = "sentinel".getBytes(StandardCharsets.US_ASCII);
            s.send(new java.net.DatagramPacket(b, b.length, udp.getLocalSocketAddress()));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!datagrams.contains("sentinel") && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(datagrams.remove("sentinel"), "the witness reads datagrams");
    }

    /** Every action against its expectation under one policy: a list of what went wrong. */
    static List<String> judge(Run run, boolean denyPolicy) {
        List<String> wrong = new ArrayList<>();
        for (ActionCatalogue.Spec spec : ActionCatalogue.ACTIONS.values()) {
            String line = run.results().get(spec.name());
            if (line != null && line.startsWith("SKIP")) {
                continue; // needs a newer JDK (FFM) or virtual threads: said so on the line
            }
            dev.agt.tests.catalogue.Expect want = denyPolicy ? spec.deny() : spec.allow();
            if (!want.matches(line)) {
                wrong.add(spec.name() + ": want " + want + ", got " + line);
            }
        }
        return wrong;
    }

    @Test
    void everyRouteIsDeniedUnderADenyPolicyAndNothingHappens() throws Exception {
        Run run;
        Map<String, String> before;
        try (Agt.EngineProcess e = engine(DENY)) {
            before = snapshot();
            run = catalogue(root.resolve("e.sock"), "");
            e.terminate();
            e.awaitExit();
        }
        assertEquals(0, run.exit(), "the governed JVM itself keeps running: " + run.stderr());
        assertTrue(run.stdout().contains("CATALOGUE DONE"), run.stdout() + run.stderr());
        assertTrue(run.stderr().contains("agt: guarding file, native, net, process"), run.stderr());
        List<String> wrong = judge(run, true);
        assertTrue(wrong.isEmpty(), "wrong outcomes:\n" + String.join("\n", wrong) + "\n" + run.stderr());
        assertEquals(before, snapshot(), "nothing below secret/ changed: contents, modes, times, owners, extended attributes, names");
        assertTrue(sleeper.isAlive(), "a process the catalogue JVM did not start received no signal");
        assertTrue(seenOther.isEmpty(), "the server on 127.0.0.2 (reached only through forged names) saw requests: " + seenOther);
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
        drainDatagrams();
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
        assertTrue(log.out().lines().filter(l -> l.contains("\"url\"")).allMatch(l -> l.contains("Http")),
                "url only on the clients' connects:\n" + log.out());
        try (var s = Files.list(root.resolve("work"))) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith("marker")), "no process ran");
        }
        // what the agent did on its own is in the signed log too, linked to the decision it follows
        List<String> entries = new ArrayList<>();
        try (var segments = Files.list(root.resolve("audit/log"))) {
            for (Path seg : segments.sorted().toList()) {
                entries.addAll(Files.readAllLines(seg, StandardCharsets.UTF_8));
            }
        }
        assertTrue(entries.stream().anyMatch(l -> l.contains("\"type\":\"outcome\"") && l.contains("\"kind\":\"denied-locally\"")
                && l.contains("\"code\":\"unsafe-jvm-option\"") && l.contains("-agentpath")), "a refused child JVM option is logged");
        assertTrue(entries.stream().anyMatch(l -> l.contains("\"type\":\"outcome\"") && l.contains("\"kind\":\"modified\"")
                && l.contains("\"follows\"") && l.contains("JDK_JAVA_OPTIONS: --add-opens")), "a removed child JVM option is logged after its decision");
        assertTrue(entries.stream().anyMatch(l -> l.contains("\"type\":\"outcome\"") && l.contains("\"code\":\"agent-integrity\"")
                && l.contains("sun.misc.Unsafe")), "a refused Unsafe on the agent's own state is logged");
        Agt.Result verify = Agt.run(root, "audit", "verify", "audit");
        assertEquals(0, verify.exit(), "the log with its outcome entries verifies: " + verify);
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
        List<String> wrong = judge(run, false);
        assertTrue(wrong.isEmpty(), "wrong outcomes:\n" + String.join("\n", wrong) + "\n" + run.stderr());
        assertTrue(run.results().get("native.System.load").contains("UnsatisfiedLinkError"), run.results().get("native.System.load"));
        for (String path : List.of("/net.Socket", "/net.SocketChannel", "/net.HttpURLConnection", "/net.HttpClient", "/net.thread-pool",
                "/net.OkHttp", "/net.ApacheHttpClient5")) {
            assertTrue(seen.contains(path), "the server saw " + path + ": " + seen);
        }
        assertTrue(Files.exists(root.resolve("work/marker-pb")) && Files.exists(root.resolve("work/marker-exec")), "the processes ran");
        assertTrue(Files.exists(root.resolve("work/marker-evil-process.relative-with-directory")),
                "the relative executable ran from the child's directory, as the kernel finds it");
        assertTrue(seenOther.contains("/net.forged-host.Socket"), "forged names only change what is decided: " + seenOther);
        assertTrue(sleeper.waitFor(10, TimeUnit.SECONDS), "the allowed signal reached the test's sleeper");
        assertTrue(seen.contains("/net.unspecified.tcp.Socket"), "0.0.0.0 reaches the loopback: " + seen);
        // (sends to 0.0.0.0 through a connected socket or JDK 17's legacy implementation may go nowhere: their
        // arrival is not required, their denial under DENY is)
        Set<String> sent = Set.of("net.udp.DatagramSocket", "net.udp.DatagramChannel", "net.unspecified.udp.DatagramChannel",
                "net.udp.MulticastSocket.send", "net.udp.DatagramSocket.connected-send");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!datagrams.containsAll(sent) && System.nanoTime() < deadline) {
            Thread.sleep(20); // the witness's receive thread, bounded: no fixed sleep
        }
        assertTrue(datagrams.containsAll(sent), "the datagrams arrived: " + datagrams);
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
        String policy = DENY; // allows java children
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
