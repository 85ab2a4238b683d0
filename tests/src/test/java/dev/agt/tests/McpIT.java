package dev.agt.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.agt.tests.mcp.McpClients;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MCP and tool calls governed with their arguments: a real engine, a JVM with the agent using
 * the MCP Java SDK (sync and async clients), LangChain4j's MCP client, LangChain4j AiServices
 * tools and an in-house framework under an ops rules file, against a real stdio MCP server
 * that records every call it receives. A denied call must never reach the server.
 */
class McpIT {
    @TempDir
    Path root;

    static final String POLICY = """
            version: 1
            include: [jvm-runtime]
            vars:
              root: ROOT
            rules:
              - {id: files-here, effect: allow, family: file, paths: ["${root}/**"]}
              - {id: launch-java, effect: allow, family: process, executables: ["JAVA"]}
              - {id: list-tools, effect: allow, family: mcp, actions: [list]}
              - {id: team-notes, effect: allow, family: mcp, actions: [read], where: [{pointer: /uri, prefix: "notes://"}]}
              - {id: safe-tools, effect: allow, family: mcp, actions: [call], tools: [echo, read_file, weather]}
              - {id: no-poisoned-tools, effect: deny, family: mcp, actions: [call], when: [mcp.tool.flagged], reason: its description hides instructions}
              - id: no-reading-secrets-through-tools
                effect: deny
                family: mcp
                tools: [read_file]
                where: [{pointer: /path, glob: "${root}/secret/**"}]
                reason: tools read only the workspace
              - {id: no-run-command, effect: deny, family: mcp, tools: [run_command], reason: servers run no commands for agents}
              - {id: notes, effect: allow, family: tool, tools: [saveNote, lookup, fetchWeather]}
              - {id: scripted-model, effect: allow, family: model, models: ["dev.agt.tests.mcp.McpClients$Scripted"]}
              - {id: no-deploys, effect: deny, family: tool, tools: [deploy], reason: agents do not deploy}
            """;

    static final String RULES = """
            version: 1
            rules:
              - id: inhouse.invoke
                description: the company's own tool framework
                class: dev.agt.tests.mcp.InHouseTools
                method: invoke
                params: [java.lang.String, java.util.Map]
                family: tool
                action: call
                target:
                  tool: arg0
                  arguments: arg1
              - id: inhouse.peek
                description: rolled out in monitor mode first
                class: dev.agt.tests.mcp.InHouseTools
                method: peek
                params: [java.lang.String]
                family: tool
                action: call
                mode: monitor
                target: {tool: {const: peek}, arguments: arg0}
              - id: inhouse.dispatch
                description: reads the wrong key (name, where the framework says tool)
                class: dev.agt.tests.mcp.InHouseTools
                method: dispatch
                params: [java.util.Map]
                family: tool
                action: call
                target: {tool: arg0.name, arguments: arg0.arguments}
              - id: inhouse.never-matches
                class: com.example.NotThere
                method: run
                param_count: 0
                family: tool
                action: call
                target: {tool: this.name}
            """;

    @BeforeEach
    void world() throws Exception {
        root = root.toRealPath();
        Files.createDirectories(root.resolve("secret"));
        Files.createDirectories(root.resolve("work"));
        Files.writeString(root.resolve("secret/secret.txt"), "the secret");
        Files.writeString(root.resolve("work/notes.txt"), "workspace notes");
        Files.writeString(root.resolve("work/large.txt"), "a long report line\n".repeat(11_000)); // 209,000 characters
        Files.writeString(root.resolve("work/huge.txt"), "a longer report line\n".repeat(15_000)); // 315,000: more than agt scans
        Files.writeString(root.resolve("rules.yaml"), RULES);
    }

    record Run(Map<String, String> results, String stdout, String stderr, int exit) {
    }

    Run clients(String extraOptions) throws Exception {
        Path classes = Path.of(McpClients.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        // the application's class path, as a user's would be: the libraries, not agt's own jars
        String cp = classes + java.io.File.pathSeparator + java.util.Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
                .filter(e -> !e.matches(".*/agt-(javaagent|protocol|cli|policy-engine|audit|config|instrumentation-rules)[-/.].*"))
                .collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
        List<String> cmd = List.of(Agt.java(),
                "-javaagent:" + JavaagentIT.AGENT + "=engine=" + root.resolve("e.sock") + ",name=mcp-clients,timeoutMs=10000,rules="
                        + root.resolve("rules.yaml") + extraOptions,
                "-cp", cp, McpClients.class.getName(), root.toString(), cp);
        Path out = root.resolve("out.txt");
        Path err = root.resolve("err.txt");
        Process p = new ProcessBuilder(cmd).directory(root.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(240, TimeUnit.SECONDS), "the MCP clients did not finish:\n" + Files.readString(out) + Files.readString(err));
        Map<String, String> results = new LinkedHashMap<>();
        Files.readString(out).lines().filter(l -> l.startsWith("RESULT ")).forEach(l -> {
            String[] parts = l.split(" ", 3);
            results.put(parts[1], parts[2]);
        });
        return new Run(results, Files.readString(out), Files.readString(err), p.exitValue());
    }

    String recorded(String file) throws Exception {
        Path p = root.resolve(file);
        return Files.exists(p) ? Files.readString(p) : "";
    }

    @Test
    void allowedToolsWorkAndDeniedOnesNeverReachTheServer() throws Exception {
        Files.writeString(root.resolve("policy.yaml"), POLICY.replace("ROOT", root.toString()).replace("JAVA", Agt.java()));
        Run run;
        try (Agt.EngineProcess e = new Agt.EngineProcess(root, "--policy", "policy.yaml", "--socket", root.resolve("e.sock").toString(),
                "--audit-dir", root.resolve("audit").toString())) {
            e.awaitReady();
            run = clients("");
            e.terminate();
            e.awaitExit();
        }
        String all = run.stdout() + run.stderr();
        assertEquals(0, run.exit(), all);
        assertTrue(run.stdout().contains("MCP CLIENTS DONE"), all);
        Map<String, String> want = new LinkedHashMap<>();
        want.put("sdk-sync.list", "OK");
        want.put("sdk-sync.echo", "OK hello");
        want.put("sdk-sync.read_file.workspace", "OK workspace notes");
        want.put("sdk-sync.read_file.secret", "DENIED");
        want.put("sdk-sync.read_file.large", "OK 209000 chars"); // scanned in pieces, handed over whole
        want.put("sdk-sync.read_file.huge", "DENIED");
        want.put("sdk-sync.weather.poisoned", "DENIED");
        want.put("sdk-sync.resource.allowed", "OK 1 contents");
        want.put("sdk-sync.resource.denied", "DENIED");
        want.put("sdk-sync.run_command", "DENIED");
        want.put("sdk-async.echo", "OK async hello");
        want.put("sdk-async.run_command", "DENIED");
        want.put("langchain4j-mcp.list", "OK");
        want.put("langchain4j-mcp.echo", "OK lc hello");
        want.put("langchain4j-mcp.run_command", "DENIED");
        want.put("langchain4j-mcp.relay.echo", "DENIED");
        want.put("langchain4j-tools.chat", "OK");
        want.put("spring-ai.fetchWeather", "OK");
        want.put("spring-ai.wipeDisk", "DENIED");
        want.put("spring-ai.own-callback", "DENIED");
        want.put("inhouse.lookup", "OK");
        want.put("inhouse.deploy", "DENIED");
        want.put("inhouse.peek.monitored", "OK peeked");
        want.put("inhouse.dispatch.incomplete", "DENIED");
        List<String> wrong = new ArrayList<>();
        want.forEach((step, expected) -> {
            String got = run.results().getOrDefault(step, "MISSING");
            if (!got.startsWith(expected)) {
                wrong.add(step + ": want " + expected + ", got " + got);
            }
        });
        assertTrue(wrong.isEmpty(), String.join("\n", wrong) + "\n" + all);
        // denials name the rule and the audit entry
        assertTrue(run.results().get("sdk-sync.run_command").contains("blocked by policy rule no-run-command (audit #"), all);
        assertTrue(run.results().get("sdk-sync.read_file.secret").contains("no-reading-secrets-through-tools"), all);
        assertTrue(run.results().get("sdk-sync.weather.poisoned").contains("no-poisoned-tools"), all);
        assertTrue(run.results().get("sdk-sync.read_file.huge").contains("more than agt scans"), all);

        // the effect: the servers never received a denied call; they did receive the allowed ones
        String sync = recorded("record-sync.jsonl");
        assertTrue(sync.contains("\"tool\":\"echo\"") && sync.contains("notes.txt") && sync.contains("notes://team"), sync);
        assertFalse(sync.contains("/etc/hostname"), "a denied resource read reached the server:\n" + sync);
        assertFalse(sync.contains("run_command") || sync.contains("secret.txt") || sync.contains("weather"), "denied calls reached the server:\n" + sync);
        String async = recorded("record-async.jsonl");
        assertTrue(async.contains("async hello"), async);
        assertFalse(async.contains("run_command"), "denied call reached the server:\n" + async);
        String lc = recorded("record-lc.jsonl");
        assertTrue(lc.contains("lc hello"), lc);
        assertFalse(lc.contains("run_command"), "denied call reached the server:\n" + lc);
        // a transport of the application's own: asked, and denied by the policy's built-in rule, before anything was sent
        assertTrue(run.results().get("langchain4j-mcp.relay.echo").contains("blocked by policy rule builtin.mcp-unknown-server (audit #"), all);
        assertTrue(run.results().get("langchain4j-mcp.relay.echo").contains("transport dev.agt.tests.mcp.RelayMcpTransport"), all);
        assertFalse(recorded("record-lc-relay.jsonl").contains("relayed hello"), "a denied call reached the server");
        // @Tool methods: the allowed one ran, the denied one did not; the model was told why
        assertTrue(Files.exists(root.resolve("work/marker-saveNote")), all);
        assertFalse(Files.exists(root.resolve("work/marker-deleteEverything")), "a denied @Tool method ran");
        assertTrue(run.results().get("langchain4j-tools.seen-by-model").contains("deleteEverything: "), all);
        assertTrue(run.results().get("langchain4j-tools.seen-by-model").contains("blocked by"), all);
        // Spring AI: the allowed callback ran, the denied one did not (default-deny)
        assertTrue(Files.exists(root.resolve("work/marker-spring-fetchWeather")), all);
        assertFalse(Files.exists(root.resolve("work/marker-spring-wipeDisk")), "a denied Spring AI tool ran");
        assertFalse(Files.exists(root.resolve("work/marker-spring-ownTool")), "a denied hand-written ToolCallback ran");
        assertTrue(run.results().get("spring-ai.wipeDisk").contains("default-deny"), all);
        // the ops team's rule: lookup ran, deploy did not
        assertTrue(Files.exists(root.resolve("work/marker-inhouse-lookup")));
        assertFalse(Files.exists(root.resolve("work/marker-inhouse-deploy")), "a denied in-house tool ran");

        // a rule that reads the wrong member: the agent sent what it read, the engine denied the
        // request without its tool (no allow rule could see it) and logged it with what it had
        assertTrue(run.results().get("inhouse.dispatch.incomplete").contains("blocked by incomplete-request (audit #"), all);
        assertFalse(Files.exists(root.resolve("work/marker-inhouse-dispatch")), "an incomplete tool call ran");

        // a rule in monitor mode: the call went on, the would-be denial is said and logged as such
        assertTrue(Files.exists(root.resolve("work/marker-inhouse-peek")));
        assertTrue(run.stderr().contains("agt: monitor mode (interception rule): would deny tool/call"), all);
        Agt.Result tools = Agt.run(root, "audit", "show", "audit", "--family", "tool", "--json");
        assertTrue(tools.out().lines().anyMatch(l -> l.contains("\"the build logs\"") && l.contains("\"effect\":\"deny\"")
                && l.contains("\"by\":\"interception-rule\"")), tools.out());
        assertTrue(tools.out().lines().anyMatch(l -> l.contains("\"code\":\"incomplete-request\"") && l.contains("\"ci-secrets\"")
                && l.contains("\"effect\":\"deny\"")), tools.out());
        // start-up report: which rules matched what; at exit, the rule that matched nothing
        assertTrue(run.stderr().contains("agt: rule mcp-sdk.tools-call intercepts io.modelcontextprotocol.client.McpAsyncClient.callTool("), all);
        assertTrue(run.stderr().contains("agt: rule inhouse.invoke intercepts dev.agt.tests.mcp.InHouseTools.invoke("), all);
        assertTrue(run.stderr().contains("matched no method in this run: inhouse.never-matches"), all);

        // the log holds each decision with server, tool and arguments
        Agt.Result log = Agt.run(root, "audit", "show", "audit", "--family", "mcp", "--json");
        assertEquals(0, log.exit(), log.toString());
        assertTrue(log.out().lines().anyMatch(l -> l.contains("\"tool\":\"run_command\"") && l.contains("\"effect\":\"deny\"")
                && l.contains("McpDemoServer") && l.contains("rm -rf ~")), log.out());
        // the results of the allowed calls were scanned as they arrived, in each client; their text is not in the log
        for (String said : List.of("\"hello\"", "\"async hello\"", "\"lc hello\"")) {
            assertTrue(log.out().lines().anyMatch(l -> l.contains("\"at\":\"return\"") && l.contains("\"tool\":\"echo\"") && l.contains(said)
                    && l.contains("\"findings\":[]") && l.contains("\"sha256\":")), said + ": " + log.out());
        }
        assertFalse(log.out().contains("workspace notes"), "a result's text is not copied into the log");
        // the tool list was scanned: the poisoned description is flagged in the log, the others are not
        assertTrue(log.out().lines().anyMatch(l -> l.contains("\"action\":\"list\"") && l.contains("\"weather\"")
                && l.contains("hidden-markup")), log.out());
        // the MCP servers the clients launched are JVMs: they ran governed, as children
        Agt.Result child = Agt.run(root, "audit", "show", "audit", "--agent", "mcp-clients/child");
        assertTrue(child.out().contains("record-sync.jsonl"), "the server's own file writes were decided:\n" + child);
        Agt.Result verify = Agt.run(root, "audit", "verify", "audit");
        assertEquals(0, verify.exit(), verify.toString());
    }
}
