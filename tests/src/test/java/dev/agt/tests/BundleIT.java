package dev.agt.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Signed policy bundles as an operator runs them: {@code agt audit keygen}, {@code agt policy
 * bundle build} and {@code verify}, a bundle server on loopback, and an engine started with
 * {@code --bundle URL --bundle-key}. A newer bundle rolls out on its own; a tampered one is
 * refused while the one in force stays, and status and metrics say which is which.
 */
class BundleIT {
    @TempDir
    Path root;

    @Test
    void anEngineFollowsItsBundleServerAndRefusesATamperedBundle() throws Exception {
        root = root.toRealPath();
        assertEquals(0, Agt.run(root, "audit", "keygen", "--out", "bundles", "--name", "ops-bundles").exit());
        Path src = Files.createDirectories(root.resolve("policy-src"));
        Files.writeString(src.resolve("policy.yaml"), "version: 1\ninclude: [base.yaml]\nrules:\n  - {id: v1, effect: allow, family: net, hosts: [one.example]}\n");
        Files.writeString(src.resolve("base.yaml"), "version: 1\nrules:\n  - {id: tmp, effect: allow, family: file, paths: [/tmp/**]}\n");
        Agt.Result built = Agt.run(root, "policy", "bundle", "build", "policy-src", "--key", "bundles.key", "--version", "1", "--out", "v1.bundle");
        assertEquals(0, built.exit(), built.toString());
        assertTrue(built.out().contains("files:   base.yaml, policy.yaml"), built.out());
        Agt.Result verified = Agt.run(root, "policy", "bundle", "verify", "v1.bundle", "--key", "bundles.pub");
        assertEquals(0, verified.exit(), verified.toString());
        Files.writeString(src.resolve("policy.yaml"), "version: 1\ninclude: [base.yaml]\nrules:\n  - {id: v2, effect: allow, family: net, hosts: [two.example]}\n");
        assertEquals(0, Agt.run(root, "policy", "bundle", "build", "policy-src", "--key", "bundles.key", "--version", "2", "--out", "v2.bundle").exit());
        byte[] tampered = Files.readAllBytes(root.resolve("v2.bundle"));
        String text = new String(tampered, java.nio.charset.StandardCharsets.UTF_8);
        int at = text.indexOf("\"policy.yaml\" : \"") + 20;
        tampered[at] = (byte) (tampered[at] == 'A' ? 'B' : 'A');
        Files.write(root.resolve("tampered.bundle"), tampered);
        Agt.Result caught = Agt.run(root, "policy", "bundle", "verify", "tampered.bundle", "--key", "bundles.pub");
        assertEquals(1, caught.exit(), caught.toString());

        AtomicReference<byte[]> serving = new AtomicReference<>(Files.readAllBytes(root.resolve("v1.bundle")));
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/policy.bundle", ex -> {
            byte[] b = serving.get();
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        server.start();
        String sock = root.resolve("e.sock").toString();
        int metricsPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            metricsPort = s.getLocalPort();
        }
        try (Agt.EngineProcess e = new Agt.EngineProcess(root, "--bundle", "http://127.0.0.1:" + server.getAddress().getPort() + "/policy.bundle",
                "--bundle-key", "bundles.pub", "--bundle-interval", "1s", "--socket", sock, "--audit-dir", root.resolve("audit").toString(),
                "--metrics-port", String.valueOf(metricsPort))) {
            e.awaitReady();
            String first = status(sock);
            assertTrue(first.contains("bundle:    version 1,"), first);
            serving.set(Files.readAllBytes(root.resolve("v2.bundle")));
            String rolled = waitFor(sock, "bundle:    version 2,");
            assertTrue(!policyLine(rolled).equals(policyLine(first)), "the new policy is in force: " + rolled);
            serving.set(tampered);
            String refused = waitFor(sock, "REFUSED");
            assertTrue(refused.contains("bundle:    version 2,") && refused.contains("does not match its SHA-256"), refused);
            String metrics = new String(java.net.URI.create("http://127.0.0.1:" + metricsPort + "/metrics").toURL().openStream().readAllBytes());
            assertTrue(metrics.contains("agt_bundle_version 2"), metrics);
            e.terminate();
            e.awaitExit();
        } finally {
            server.stop(0);
        }
        Agt.Result log = Agt.run(root, "audit", "show", "audit", "--json");
        assertEquals(2, log.out().lines().filter(l -> l.contains("\"event\":\"bundle-activated\"")).count(), log.out());
        assertTrue(log.out().lines().anyMatch(l -> l.contains("\"event\":\"bundle-refused\"") && l.contains("does not match its SHA-256")), log.out());
        assertEquals(0, Agt.run(root, "audit", "verify", "audit").exit());
    }

    static String policyLine(String status) {
        return status.lines().filter(l -> l.startsWith("policy:")).findFirst().orElseThrow();
    }

    String status(String sock) throws Exception {
        return Agt.run(root, "engine", "status", "--socket", sock).out();
    }

    String waitFor(String sock, String text) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        String last = "";
        while (System.nanoTime() < deadline) {
            last = status(sock);
            if (last.contains(text)) {
                return last;
            }
            Thread.sleep(300);
        }
        throw new AssertionError("status never showed '" + text + "':\n" + last);
    }
}
