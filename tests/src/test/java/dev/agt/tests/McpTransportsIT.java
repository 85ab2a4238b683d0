package dev.agt.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MCP clients on transports the MCP Java SDK does not ship, against a real MCP server (the SDK
 * on Spring AI's WebFlux server transport, Reactor Netty on loopback, recording every call it
 * handles): Spring AI's WebClient streamable-HTTP and WebFlux SSE transports, configured as its
 * MCP client starters configure them, and an application's own relay transport. The client JVM runs with the
 * agent; the server runs without it.
 *
 * <p>The WebClient transport's server is named, so the policy's own rules decide its calls. The
 * custom transport's server cannot be named: its calls still reach the engine, with the
 * transport's class, and the built-in rule {@code builtin.mcp-unknown-server} denies them unless
 * the policy switches it off. Every decision is made before the request leaves the client.
 */
class McpTransportsIT {
    static final Path DIR = Path.of(System.getProperty("agt.transports.dir", "../demo-mcp-transports/target")).toAbsolutePath().normalize();

    static final String ALLOW_ALL = """
            version: 1
            rules:
              - {id: all-file, effect: allow, family: file}
              - {id: all-net, effect: allow, family: net}
              - {id: all-process, effect: allow, family: process}
              - {id: all-native, effect: allow, family: native}
              - {id: all-mcp, effect: allow, family: mcp}
            """;

    @TempDir
    Path root;

    Process server;
    String base;

    @BeforeEach
    void startServer() throws Exception {
        root = root.toRealPath();
        Path port = root.resolve("port");
        server = new ProcessBuilder(Agt.java(), "-cp", classpath(), "dev.agt.demo.transports.WebFluxMcpServer", root.resolve("record.jsonl").toString(),
                port.toString()).redirectErrorStream(true).redirectOutput(root.resolve("server.log").toFile()).start();
        Await.until("the MCP server's port file", java.time.Duration.ofSeconds(60), () -> Files.exists(port) || !server.isAlive(), done -> done);
        assertTrue(Files.exists(port), () -> "the MCP server did not start:\n" + read(root.resolve("server.log")));
        base = "http://127.0.0.1:" + Files.readString(port).strip();
    }

    @AfterEach
    void stopServer() {
        if (server != null) {
            server.destroyForcibly();
        }
    }

    static String classpath() throws Exception {
        return DIR.resolve("classes") + File.pathSeparator + Files.readString(DIR.resolve("classpath.txt")).strip();
    }

    static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p) : "";
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    record Run(Map<String, String> results, String all) {
        String get(String step) {
            return results.getOrDefault(step, "MISSING");
        }
    }

    Run clients(String policy) throws Exception {
        Files.writeString(root.resolve("policy.yaml"), policy);
        Path out = root.resolve("clients.txt");
        try (Agt.EngineProcess e = new Agt.EngineProcess(root, "--policy", "policy.yaml", "--socket", root.resolve("e.sock").toString(),
                "--audit-dir", root.resolve("audit").toString())) {
            e.awaitReady();
            Process p = new ProcessBuilder(Agt.java(), "-javaagent:" + JavaagentIT.AGENT + "=engine=" + root.resolve("e.sock") + ",name=transports",
                    "-cp", classpath(), "dev.agt.demo.transports.TransportClients", base)
                    .directory(root.toFile()).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            assertTrue(p.waitFor(180, TimeUnit.SECONDS), "the clients did not finish:\n" + read(out));
            e.terminate();
            e.awaitExit();
        }
        String all = read(out);
        assertTrue(all.contains("TRANSPORT CLIENTS DONE"), all);
        Map<String, String> results = new LinkedHashMap<>();
        all.lines().filter(l -> l.startsWith("RESULT ")).forEach(l -> {
            String[] parts = l.split(" ", 3);
            results.put(parts[1], parts[2]);
        });
        return new Run(results, all);
    }

    @Test
    void underAllowAllWithTheUnknownServerRuleSwitchedOffEveryTransportWorks() throws Exception {
        String policy = ALLOW_ALL.replace("version: 1\n", "version: 1\nbuiltin_rules: {mcp-unknown-server: off}\n");
        Agt.Result check = Agt.run(root, "policy", "check", writePolicy("allow.yaml", policy));
        assertEquals(0, check.exit(), check.toString());
        assertTrue(check.out().contains("built-in rule builtin.mcp-unknown-server: off (switched off by builtin_rules)"), check.out());

        Run run = clients(policy);
        for (String t : List.of("webclient", "webflux-sse", "custom")) {
            assertEquals("OK agt-demo-webflux-mcp", run.get(t + ".initialize"), run.all());
            assertEquals("OK 2 tools", run.get(t + ".list"), run.all());
            assertEquals("OK " + t + " hello", run.get(t + ".echo"), run.all());
            assertEquals("OK would run: rm -rf ~", run.get(t + ".run_command"), run.all());
        }
        String record = read(root.resolve("record.jsonl"));
        assertEquals(6, record.lines().count(), record);

        // the log names the WebClient transport's server by its URL, and says what it could of the custom one
        Agt.Result log = Agt.run(root, "audit", "show", "audit", "--family", "mcp", "--json");
        assertTrue(log.out().lines().anyMatch(l -> l.contains("\"server\":\"" + base + "/mcp\"") && l.contains("\"tool\":\"run_command\"")
                && l.contains("WebClientStreamableHttpTransport")), log.out());
        assertTrue(log.out().lines().anyMatch(l -> l.contains("\"server\":\"" + base + "/sse\"") && l.contains("\"tool\":\"run_command\"")
                && l.contains("WebFluxSseClientTransport")), log.out());
        assertTrue(log.out().lines().anyMatch(l -> l.contains("\"tool\":\"run_command\"") && !l.contains("\"server\"")
                && l.contains("\"transport\":\"dev.agt.demo.transports.RelayTransport\"") && l.contains("mcp.server.unknown")
                && l.contains("\"rule\":\"all-mcp\"")), log.out());
        // tool lists: decided before sending, and again at return, where the log says so
        assertTrue(log.out().lines().anyMatch(l -> l.contains("\"action\":\"list\"") && l.contains("\"at\":\"return\"") && l.contains("\"name\":\"echo\"")),
                log.out());
        assertTrue(log.out().lines().anyMatch(l -> l.contains("\"action\":\"list\"") && !l.contains("\"at\":\"return\"") && !l.contains("\"tools\"")),
                log.out());
        assertEquals(0, Agt.run(root, "audit", "verify", "audit").exit());
    }

    @Test
    void aDenyPolicyStopsCallsBeforeTheyLeaveAndTheUnknownServerRuleShows() throws Exception {
        String policy = ALLOW_ALL + "  - {id: no-run-command, effect: deny, family: mcp, tools: [run_command], reason: servers run no commands for agents}\n";
        Agt.Result check = Agt.run(root, "policy", "check", writePolicy("deny.yaml", policy));
        assertEquals(0, check.exit(), check.toString());
        assertTrue(check.out().contains("built-in rule builtin.mcp-unknown-server: enforce (deny: "), check.out());

        Run run = clients(policy);
        assertEquals("OK 2 tools", run.get("webclient.list"), run.all());
        assertEquals("OK webclient hello", run.get("webclient.echo"), run.all());
        assertTrue(run.get("webclient.run_command").contains("blocked by policy rule no-run-command (audit #"), run.all());
        assertEquals("OK webflux-sse hello", run.get("webflux-sse.echo"), run.all());
        assertTrue(run.get("webflux-sse.run_command").contains("blocked by policy rule no-run-command (audit #"), run.all());
        assertTrue(run.get("webflux-sse.run_command").contains("of " + base + "/sse"), "the denial names the SSE server: " + run.all());
        // the custom transport: still governed, by the built-in rule, before anything is sent
        assertEquals("OK agt-demo-webflux-mcp", run.get("custom.initialize"), run.all());
        for (String step : List.of("custom.list", "custom.echo", "custom.run_command")) {
            assertTrue(run.get(step).contains("blocked by policy rule builtin.mcp-unknown-server (audit #"), step + ": " + run.all());
        }
        assertTrue(run.get("custom.echo").contains("of an unnamed server (transport dev.agt.demo.transports.RelayTransport)"), run.all());
        assertEquals("OK 2", run.get("custom.relayed"), "only initialize and its notification left through the custom transport:\n" + run.all());

        // the effect: the server received the one allowed call and nothing else
        String record = read(root.resolve("record.jsonl"));
        assertEquals(List.of("{\"arguments\":{\"text\":\"webclient hello\"},\"tool\":\"echo\"}",
                "{\"arguments\":{\"text\":\"webflux-sse hello\"},\"tool\":\"echo\"}"), record.lines().toList(), record);

        // logged, and in the report with the rule that decided
        Agt.Result log = Agt.run(root, "audit", "show", "audit", "--family", "mcp", "--json");
        assertEquals(3, log.out().lines().filter(l -> l.contains("\"rule\":\"builtin.mcp-unknown-server\"") && l.contains("\"effect\":\"deny\"")
                && l.contains("RelayTransport")).count(), log.out());
        Agt.Result report = Agt.run(root, "report", "audit", "--out", "report.md");
        assertEquals(0, report.exit(), report.toString());
        String md = Files.readString(root.resolve("report.md"));
        assertTrue(md.contains("builtin.mcp-unknown-server"), md);
        assertTrue(md.contains("RelayTransport"), "the report says which transport could not name its server:\n" + md);
        assertTrue(md.contains("no-run-command"), md);
    }

    String writePolicy(String name, String text) throws Exception {
        Files.writeString(root.resolve(name), text);
        return root.resolve(name).toString();
    }
}
