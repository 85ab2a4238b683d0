package dev.agt.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.agt.tests.model.ModelClients;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Model calls as their own family: a JVM with the agent runs LangChain4j's real OpenAI client
 * against an OpenAI-compatible server on loopback (in this test's JVM, without the agent). The
 * policy names the models an agent may use: the allowed call reaches the server and returns; the
 * denied one is refused before the client builds its HTTP request, so the server never sees it;
 * both are in the log with provider, model and declared output limit.
 */
class ModelIT {
    static final String COMPLETION = """
            {"id":"chatcmpl-1","object":"chat.completion","created":1764806400,"model":"MODEL",
             "choices":[{"index":0,"message":{"role":"assistant","content":"Hello from the loopback model."},"finish_reason":"stop"}],
             "usage":{"prompt_tokens":100,"completion_tokens":64,"total_tokens":164,"prompt_tokens_details":{"cached_tokens":0}}}
            """;

    static final List<String> STREAM = List.of(
            "{\"id\":\"chatcmpl-2\",\"object\":\"chat.completion.chunk\",\"created\":1764806400,\"model\":\"MODEL\","
                    + "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hello\"},\"finish_reason\":null}]}",
            "{\"id\":\"chatcmpl-2\",\"object\":\"chat.completion.chunk\",\"created\":1764806400,\"model\":\"MODEL\","
                    + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\" from the loopback stream.\"},\"finish_reason\":\"stop\"}]}",
            "{\"id\":\"chatcmpl-2\",\"object\":\"chat.completion.chunk\",\"created\":1764806400,\"model\":\"MODEL\",\"choices\":[],"
                    + "\"usage\":{\"prompt_tokens\":100,\"completion_tokens\":50,\"total_tokens\":150}}",
            "[DONE]");

    @TempDir
    Path root;

    HttpServer server;
    final List<String> received = new CopyOnWriteArrayList<>();

    @BeforeEach
    void startModelServer() throws Exception {
        root = root.toRealPath();
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/v1/chat/completions", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            received.add(body);
            String model = body.replaceAll("(?s).*\"model\"\\s*:\\s*\"([^\"]*)\".*", "$1");
            if (body.matches("(?s).*\"stream\"\\s*:\\s*true.*")) {
                // streamed as OpenAI does: content chunks, then (stream_options.include_usage) a usage chunk
                exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
                exchange.sendResponseHeaders(200, 0);
                for (String chunk : STREAM) {
                    exchange.getResponseBody().write(("data: " + chunk.replace("MODEL", model) + "\n\n").getBytes(StandardCharsets.UTF_8));
                    exchange.getResponseBody().flush();
                }
                exchange.close();
                return;
            }
            String completion = COMPLETION.replace("MODEL", model);
            if (body.contains("CRAFTED")) {
                // a hostile or broken server: usage that would make the call cost less than nothing
                completion = completion.replace("\"prompt_tokens\":100", "\"prompt_tokens\":-1000000").replace("\"completion_tokens\":64", "\"completion_tokens\":-5");
            }
            byte[] reply = completion.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, reply.length);
            exchange.getResponseBody().write(reply);
            exchange.close();
        });
        server.createContext("/v1/broken", exchange -> {
            received.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            byte[] reply = "{\"error\":{\"message\":\"the model is overloaded\",\"type\":\"server_error\"}}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(500, reply.length);
            exchange.getResponseBody().write(reply);
            exchange.close();
        });
        server.createContext("/v1/messages", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            received.add(body);
            String model = body.replaceAll("(?s).*\"model\"\\s*:\\s*\"([^\"]*)\".*", "$1");
            byte[] reply = ("{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"" + model + "\","
                    + "\"content\":[{\"type\":\"text\",\"text\":\"Hello from the loopback model.\"}],\"stop_reason\":\"end_turn\","
                    + "\"stop_sequence\":null,\"usage\":{\"input_tokens\":100,\"output_tokens\":64}}").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, reply.length);
            exchange.getResponseBody().write(reply);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stopModelServer() {
        server.stop(0);
    }

    static final String BASE_RULES = """
                include: [jvm-runtime]
                rules:
                  - {id: class-path, effect: allow, family: file, actions: [read, stat, list, attr]}
                  - {id: loopback, effect: allow, family: net, cidrs: [127.0.0.0/8]}
                  - {id: names, effect: allow, family: net, actions: [resolve]}
                  - {id: natives, effect: allow, family: native}
                  - {id: small-models, effect: allow, family: model, actions: [chat], providers: [OPEN_AI], models: [gpt-4o-mini]}
                """;

    String run(String policy, String... args) throws Exception {
        Files.writeString(root.resolve("policy.yaml"), policy);
        try (Agt.EngineProcess e = engine()) {
            String all = clients("modeller", args);
            e.terminate();
            e.awaitExit();
            return all;
        }
    }

    Agt.EngineProcess engine() throws Exception {
        Agt.EngineProcess e = new Agt.EngineProcess(root, "--policy", "policy.yaml", "--socket", root.resolve("e.sock").toString(),
                "--audit-dir", root.resolve("audit").toString());
        e.awaitReady();
        return e;
    }

    /** One agent JVM running ModelClients with {@code args}; what it printed. */
    String clients(String name, String... args) throws Exception {
        Path out = root.resolve("out-" + name + ".txt");
        List<String> cmd = new java.util.ArrayList<>(List.of(Agt.java(), "-javaagent:" + JavaagentIT.AGENT + "=engine=" + root.resolve("e.sock")
                + ",name=" + name, "-cp", System.getProperty("java.class.path"), ModelClients.class.getName()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), Files.readString(out));
        String all = Files.readString(out);
        assertTrue(all.contains("MODEL CLIENTS DONE"), all);
        return all;
    }

    /**
     * The organisation's budget, with kill: once it refuses a call, every agent is stopped: the
     * one that spent it, another one started afterwards, and both again after the engine
     * restarts, until an operator runs agt revive --all.
     */
    @Test
    void theOrganisationsBudgetStopsEveryAgentAndStaysStoppedAcrossARestart() throws Exception {
        Files.writeString(root.resolve("policy.yaml"), "version: 1\n" + """
                prices:
                  currency: USD
                  per_million_tokens:
                    - {provider: OPEN_AI, model: gpt-4o-mini, input: 1000, output: 1000}
                  worst_case: {input: 100, output: 4096}
                budgets:
                  - {id: org, per: organisation, window: month, limit: 0.5, kill: true}
                """ + BASE_RULES);
        String base = "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
        try (Agt.EngineProcess e = engine()) {
            String first = clients("runaway", base, "5");
            assertTrue(first.contains("RESULT call-3 OK") && first.contains("RESULT call-4 DENIED"), first);
            assertTrue(first.contains("blocked by budget-exceeded") && first.lines().anyMatch(l -> l.startsWith("RESULT call-5 DENIED")
                    && l.contains("blocked by killed")), "the refusal tripped the kill switch: " + first);
            String later = clients("newcomer", base, "1");
            assertTrue(later.contains("RESULT call-1 DENIED") && later.contains("blocked by killed"), "an agent started afterwards: " + later);
            e.terminate();
            e.awaitExit();
        }
        assertEquals(3, received.size(), "the model server saw the three calls the budget admitted: " + received.size());
        try (Agt.EngineProcess e = engine()) {
            String afterRestart = clients("newcomer", base, "1");
            assertTrue(afterRestart.contains("RESULT call-1 DENIED") && afterRestart.contains("blocked by killed"), "after a restart: " + afterRestart);
            assertEquals(3, received.size());
            Agt.Result spend = Agt.run(root, "spend", "--socket", root.resolve("e.sock").toString());
            assertTrue(spend.out().lines().anyMatch(l -> l.startsWith("org") && l.contains("0.492")), "what was spent survived the restart: " + spend.out());
            // reviving alone would stop everyone again at the next model call: the month's budget is
            // still spent. The operator raises it, then revives.
            Files.writeString(root.resolve("policy.yaml"), Files.readString(root.resolve("policy.yaml")).replace("limit: 0.5", "limit: 1"));
            assertEquals(0, Agt.run(root, "policy", "reload", "--socket", root.resolve("e.sock").toString()).exit());
            Agt.Result revive = Agt.run(root, "revive", "--all", "--socket", root.resolve("e.sock").toString());
            assertEquals(0, revive.exit(), revive.toString());
            String revived = clients("newcomer", base, "1");
            assertTrue(revived.contains("RESULT call-1 OK"), "revived by an operator: " + revived);
            e.terminate();
            e.awaitExit();
        }
        Agt.Result log = Agt.run(root, "audit", "show", "audit", "--json");
        assertTrue(log.out().lines().anyMatch(l -> l.contains("\"event\":\"kill\"") && l.contains("budget org")), log.out());
        assertEquals(0, Agt.run(root, "audit", "verify", "audit").exit());
    }

    /**
     * A runaway loop under a budget: each call holds its estimate (the declared 64 output tokens
     * and the policy's worst-case 100 input tokens, 0.164 USD at these prices) and settles to what
     * the server reports it used (the same here). 0.5 USD admits three calls; the fourth would
     * pass the limit and is denied before the client sends it.
     */
    @Test
    void aBudgetStopsARunawayLoopBeforeTheCallThatWouldPassIt() throws Exception {
        Files.writeString(root.resolve("policy.yaml"), "version: 1\n" + """
                prices:
                  currency: USD
                  per_million_tokens:
                    - {provider: OPEN_AI, model: gpt-4o-mini, input: 1000, output: 1000}
                  worst_case: {input: 100, output: 4096}
                budgets:
                  - {id: per-agent, per: agent, window: day, limit: 0.5, warn: 0.3}
                """ + BASE_RULES);
        String all;
        Agt.Result spend;
        try (Agt.EngineProcess e = engine()) {
            all = clients("modeller", "http://127.0.0.1:" + server.getAddress().getPort() + "/v1", "5");
            spend = Agt.run(root, "spend", "--socket", root.resolve("e.sock").toString());
            e.terminate();
            e.awaitExit();
        }
        // visible while it runs: spent against the limit, over the warning threshold
        assertEquals(0, spend.exit(), spend.toString());
        assertTrue(spend.out().lines().anyMatch(l -> l.startsWith("per-agent") && l.contains("modeller") && l.contains("0.492")
                && l.contains("0.5 USD") && l.contains("over warning threshold")), spend.out());
        for (int i = 1; i <= 3; i++) {
            assertTrue(all.contains("RESULT call-" + i + " OK Hello from the loopback model."), all);
        }
        for (int i = 4; i <= 5; i++) {
            assertTrue(all.contains("RESULT call-" + i + " DENIED") && all.contains("blocked by budget-exceeded (audit #"), all);
        }
        assertTrue(all.contains("budget per-agent (agent modeller, day) spent 0.492 USD"), all);
        assertEquals(3, received.size(), "the server saw the three admitted calls only: " + received.size());
        Agt.Result log = Agt.run(root, "audit", "show", "audit", "--family", "model", "--json");
        assertEquals(2, log.out().lines().filter(l -> l.contains("\"code\":\"budget-exceeded\"")).count(), log.out());
        assertEquals(3, log.out().lines().filter(l -> l.contains("\"at\":\"return\"") && l.contains("\"usage\":{\"input\":100,\"output\":64}")).count(),
                "each admitted call's usage came back and was settled: " + log.out());
        // the soft threshold: logged once, when the second call's settlement crossed 0.3
        Agt.Result events = Agt.run(root, "audit", "show", "audit", "--json");
        assertEquals(1, events.out().lines().filter(l -> l.contains("\"event\":\"budget-warning\"") && l.contains("\"budget\":\"per-agent\"")
                && l.contains("\"spent\":328000") && l.contains("\"subject\":\"modeller\"")).count(), events.out());
        // the report's spend section: per agent and model, and the budget with its refusals and warning
        Agt.Result report = Agt.run(root, "report", "audit", "--out", "report.md");
        assertEquals(0, report.exit(), report.toString());
        String md = Files.readString(root.resolve("report.md"));
        assertTrue(md.contains("## Spend on model calls"), md);
        assertTrue(md.contains("| modeller | OPEN\\_AI | gpt-4o-mini | 3 | 0.492 USD | 0 |"), md);
        assertTrue(md.contains("| per-agent:modeller | 2 | 1 | 0.328 USD |"), md);
        // learning: the suggestion notes what the model calls cost
        Agt.Result suggest = Agt.run(root, "policy", "suggest", "audit", "--out", "suggested.yaml");
        assertEquals(0, suggest.exit(), suggest.toString());
        assertTrue(Files.readString(root.resolve("suggested.yaml")).contains("#   modeller OPEN_AI gpt-4o-mini: 3 call(s), 0.492 USD"),
                Files.readString(root.resolve("suggested.yaml")));
        // a price or budget that is a crafted number never loads: the engine refuses the policy
        Files.writeString(root.resolve("bad.yaml"), "version: 1\nprices:\n  currency: USD\n  per_million_tokens:\n"
                + "    - {provider: OPEN_AI, model: gpt-4o-mini, input: -0, output: 1e309}\n  worst_case: {input: 1, output: 1}\n" + BASE_RULES);
        Agt.Result bad = Agt.run(root, "policy", "check", "bad.yaml");
        assertEquals(1, bad.exit(), bad.toString());
        assertTrue(bad.err().contains("'input' is negative zero") && bad.err().contains("'output' is not a finite number"), bad.toString());
    }

    /**
     * Streamed calls are settled when their stream ends: LangChain4j's streaming client completes
     * three streams (each settled to the 100 + 50 tokens its usage chunk reports), one fails at
     * the server (no usage: charged the worst case, never zero) and one is cancelled by the
     * application at its first token (no callback: charged its estimate when the session ends).
     */
    @Test
    void streamedCallsAreSettledWhenTheStreamCompletesFailsOrIsCancelled() throws Exception {
        Files.writeString(root.resolve("policy.yaml"), "version: 1\n" + """
                prices:
                  currency: USD
                  per_million_tokens:
                    - {provider: OPEN_AI, model: gpt-4o-mini, input: 1000, output: 1000}
                  worst_case: {input: 100, output: 4096}
                budgets:
                  - {id: per-agent, per: agent, window: day, limit: 10}
                """ + BASE_RULES + "  - {id: streams, effect: allow, family: model, actions: [stream], providers: [OPEN_AI], models: [gpt-4o-mini]}\n");
        String all;
        Agt.Result spend;
        try (Agt.EngineProcess e = engine()) {
            all = clients("streamer", "http://127.0.0.1:" + server.getAddress().getPort() + "/v1", "stream", "3");
            spend = Agt.run(root, "spend", "--socket", root.resolve("e.sock").toString());
            e.terminate();
            e.awaitExit();
        }
        for (int i = 1; i <= 3; i++) {
            assertTrue(all.contains("RESULT stream-" + i + " OK Hello from the loopback stream."), all);
        }
        assertTrue(all.contains("RESULT stream-failed ERROR"), all);
        assertTrue(all.contains("RESULT stream-cancelled OK cancelled after 'Hello'"), all);
        assertEquals(5, received.size(), "every stream was admitted and sent: " + received.size());
        Agt.Result log = Agt.run(root, "audit", "show", "audit", "--family", "model", "--json");
        List<String> settled = log.out().lines().filter(l -> l.contains("\"at\":\"return\"") && l.contains("\"action\":\"stream\"")).toList();
        assertEquals(3, settled.stream().filter(l -> l.contains("\"usage\":{\"input\":100,\"output\":50}") && l.contains("\"cost\":150000")
                && l.contains("\"usage_reported\":true")).count(), log.out());
        assertEquals(1, settled.stream().filter(l -> l.contains("\"usage_reported\":false") && l.contains("\"cost\":4196000")).count(),
                "the failed stream is charged the worst case: " + log.out());
        // 3 x 0.15 + 4.196 (failed) + 0.164 (cancelled, its estimate at session end) = 4.81
        assertTrue(spend.out().lines().anyMatch(l -> l.startsWith("per-agent") && l.contains("streamer") && l.contains("4.81 ")), spend.out());
        Agt.Result events = Agt.run(root, "audit", "show", "audit", "--json");
        assertTrue(events.out().lines().anyMatch(l -> l.contains("\"event\":\"spend-unsettled\"") && l.contains("\"agent\":\"streamer\"")
                && l.contains("\"calls\":1") && l.contains("\"cost\":164000")), "the cancelled stream's charge is in the log: " + events.out());
        assertEquals(0, Agt.run(root, "audit", "verify", "audit").exit());
        Agt.Result report = Agt.run(root, "report", "audit", "--out", "report.md");
        assertEquals(0, report.exit(), report.toString());
        String md = Files.readString(root.resolve("report.md"));
        assertTrue(md.contains("| streamer | OPEN\\_AI | gpt-4o-mini | 5 | 4.81 USD | 2 |"), "the report adds up to what was charged: " + md);
    }

    /**
     * Spring AI's OpenAI chat model behind its ChatClient, in a loop under a budget of 0.5 USD:
     * each call holds 0.164 USD and settles to the usage Spring AI reports; the fourth would pass
     * the limit and is refused before Spring AI sends it.
     */
    @Test
    void aSpringAiChatClientIsStoppedByItsBudget() throws Exception {
        Files.writeString(root.resolve("policy.yaml"), "version: 1\n" + """
                prices:
                  currency: USD
                  per_million_tokens:
                    - {provider: org.springframework.ai.openai.OpenAiChatModel, model: gpt-4o-mini, input: 1000, output: 1000}
                  worst_case: {input: 100, output: 4096}
                budgets:
                  - {id: per-agent, per: agent, window: day, limit: 0.5, warn: 0.3}
                """ + BASE_RULES + "  - {id: spring-openai, effect: allow, family: model, providers: [org.springframework.ai.openai.OpenAiChatModel],"
                + " models: [gpt-4o-mini]}\n");
        String all = run(Files.readString(root.resolve("policy.yaml")), "http://127.0.0.1:" + server.getAddress().getPort() + "/v1", "spring-ai", "5");
        for (int i = 1; i <= 3; i++) {
            assertTrue(all.contains("RESULT spring-" + i + " OK Hello from the loopback model."), all);
        }
        for (int i = 4; i <= 5; i++) {
            assertTrue(all.lines().anyMatch(l -> l.startsWith("RESULT spring-") && l.contains("DENIED") && l.contains("budget-exceeded")), all);
        }
        assertEquals(3, received.size(), "the server saw the three admitted calls only: " + received.size());
        Agt.Result log = Agt.run(root, "audit", "show", "audit", "--json");
        assertEquals(3, log.out().lines().filter(l -> l.contains("\"at\":\"return\"") && l.contains("\"usage\":{\"input\":100,\"output\":64}")
                && l.contains("\"usage_reported\":true") && l.contains("\"cost\":164000")).count(), log.out());
        assertEquals(1, log.out().lines().filter(l -> l.contains("\"event\":\"budget-warning\"")).count(), "the soft threshold, logged once: " + log.out());
    }

    /**
     * The advisory's attack from the other side: a model server answers with negative token
     * counts, which would make each call cost less than nothing. The usage report is refused and
     * each call charged the worst case, so the budget stops the loop sooner than honest usage would.
     */
    @Test
    void craftedUsageIsChargedTheWorstCaseAndCannotStretchABudget() throws Exception {
        Files.writeString(root.resolve("policy.yaml"), "version: 1\n" + """
                prices:
                  currency: USD
                  per_million_tokens:
                    - {provider: OPEN_AI, model: gpt-4o-mini, input: 1000, output: 1000}
                  worst_case: {input: 100, output: 150}
                budgets:
                  - {id: per-agent, per: agent, window: day, limit: 0.5}
                """ + BASE_RULES);
        String all = run(Files.readString(root.resolve("policy.yaml")), "http://127.0.0.1:" + server.getAddress().getPort() + "/v1", "5", "CRAFTED");
        // each call holds 0.164 and is charged the worst case, 0.25: two fit under 0.5 (honest usage of 0.164 would have allowed three)
        assertTrue(all.contains("RESULT call-1 OK") && all.contains("RESULT call-2 OK"), all);
        assertTrue(all.lines().anyMatch(l -> l.startsWith("RESULT call-3 DENIED") && l.contains("budget-exceeded")), all);
        assertEquals(2, received.size(), "the server saw two calls: " + received.size());
        Agt.Result log = Agt.run(root, "audit", "show", "audit", "--family", "model", "--json");
        assertEquals(2, log.out().lines().filter(l -> l.contains("\"usage_invalid\"") && l.contains("\"cost\":250000")
                && l.contains("\"usage_reported\":false")).count(), log.out());
    }

    /** The official OpenAI Java SDK under the same policy and a budget: provider OPEN_AI like LangChain4j's, usage settled at return. */
    @Test
    void theOpenAiJavaSdkIsGovernedAndSettledLikeAnyClient() throws Exception {
        Files.writeString(root.resolve("policy.yaml"), "version: 1\n" + """
                prices:
                  currency: USD
                  per_million_tokens:
                    - {provider: OPEN_AI, model: gpt-4o-mini, input: 1000, output: 1000}
                  worst_case: {input: 100, output: 4096}
                budgets:
                  - {id: per-agent, per: agent, window: day, limit: 10}
                """ + BASE_RULES + "  - {id: no-large-models, effect: deny, family: model, models: [\"gpt-4o\"]}\n"
                + "  - {id: streams, effect: allow, family: model, actions: [stream], providers: [OPEN_AI], models: [gpt-4o-mini]}\n");
        String all;
        Agt.Result spend;
        try (Agt.EngineProcess e = engine()) {
            all = clients("sdk-user", "http://127.0.0.1:" + server.getAddress().getPort() + "/v1", "openai");
            spend = Agt.run(root, "spend", "--socket", root.resolve("e.sock").toString());
            e.terminate();
            e.awaitExit();
        }
        assertTrue(all.contains("RESULT openai.gpt-4o-mini OK Hello from the loopback model."), all);
        assertTrue(all.contains("RESULT openai.gpt-4o DENIED") && all.contains("no-large-models"), all);
        for (String route : List.of("raw", "async", "stream", "responses")) {
            assertTrue(all.lines().anyMatch(l -> l.startsWith("RESULT openai." + route + ".gpt-4o DENIED") && l.contains("no-large-models")),
                    "the SDK's " + route + " route is decided too: " + all);
        }
        assertTrue(all.contains("RESULT openai.async.gpt-4o-mini OK Hello from the loopback model."), all);
        assertTrue(all.contains("RESULT openai.stream.gpt-4o-mini OK 3 chunks"), all);
        assertEquals(3, received.size(), "the denied model never reached the server on any route: " + received);
        Agt.Result log = Agt.run(root, "audit", "show", "audit", "--family", "model", "--json");
        assertTrue(log.out().lines().anyMatch(l -> l.contains("\"provider\":\"OPEN_AI\"") && l.contains("\"model\":\"gpt-4o-mini\"")
                && l.contains("\"max_tokens\":64") && l.contains("\"estimate\":164000")), log.out());
        assertTrue(log.out().lines().anyMatch(l -> l.contains("\"at\":\"return\"") && l.contains("\"usage\":{\"cached\":0,\"input\":100,\"output\":64}")
                && l.contains("\"cost\":164000") && l.contains("\"usage_reported\":true")), log.out());
        assertEquals(2, log.out().lines().filter(l -> l.contains("\"at\":\"return\"") && l.contains("\"usage_reported\":true")).count(),
                "the blocking and the async call settled from their usage: " + log.out());
        // 0.164 settled twice, and the stream's 0.164 estimate when the session ended
        assertTrue(spend.out().lines().anyMatch(l -> l.startsWith("per-agent") && l.contains("sdk-user") && l.contains("0.492")), spend.out());
    }

    /** The official Anthropic Java SDK: provider ANTHROPIC, the denied model never reaches the server. */
    @Test
    void theAnthropicJavaSdkIsGoverned() throws Exception {
        String all = run("version: 1\n" + BASE_RULES + "  - {id: haiku, effect: allow, family: model, providers: [ANTHROPIC], models: [\"claude-haiku-*\"]}\n",
                "http://127.0.0.1:" + server.getAddress().getPort() + "/v1", "anthropic");
        assertTrue(all.contains("RESULT anthropic.claude-haiku-4-5 OK Hello from the loopback model."), all);
        assertTrue(all.contains("RESULT anthropic.claude-opus-4-1 DENIED") && all.contains("default-deny"), all);
        for (String route : List.of("raw", "stream", "async", "beta")) {
            assertTrue(all.lines().anyMatch(l -> l.startsWith("RESULT anthropic." + route + ".claude-opus-4-1 DENIED") && l.contains("default-deny")),
                    "the SDK's " + route + " route is decided too: " + all);
        }
        assertEquals(1, received.size(), "the denied model never reached the server: " + received);
        Agt.Result log = Agt.run(root, "audit", "show", "audit", "--family", "model", "--json");
        assertTrue(log.out().lines().anyMatch(l -> l.contains("\"provider\":\"ANTHROPIC\"") && l.contains("\"model\":\"claude-haiku-4-5\"")
                && l.contains("\"max_tokens\":64") && l.contains("\"rule\":\"haiku\"")), log.out());
    }

    @Test
    void onlyTheModelsThePolicyNamesAreCalled() throws Exception {
        Files.writeString(root.resolve("policy.yaml"), """
                version: 1
                include: [jvm-runtime]
                rules:
                  - {id: class-path, effect: allow, family: file, actions: [read, stat, list, attr]}
                  - {id: loopback, effect: allow, family: net, cidrs: [127.0.0.0/8]}
                  - {id: names, effect: allow, family: net, actions: [resolve]}
                  - {id: natives, effect: allow, family: native}
                  - {id: small-models, effect: allow, family: model, actions: [chat], providers: [OPEN_AI], models: [gpt-4o-mini]}
                  - {id: no-large-models, effect: deny, family: model, models: ["gpt-4o", "o1*"], reason: large models need a budget}
                """);
        String base = "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
        Path out = root.resolve("out.txt");
        try (Agt.EngineProcess e = new Agt.EngineProcess(root, "--policy", "policy.yaml", "--socket", root.resolve("e.sock").toString(),
                "--audit-dir", root.resolve("audit").toString())) {
            e.awaitReady();
            String cp = System.getProperty("java.class.path");
            Process p = new ProcessBuilder(Agt.java(), "-javaagent:" + JavaagentIT.AGENT + "=engine=" + root.resolve("e.sock") + ",name=modeller",
                    "-cp", cp, ModelClients.class.getName(), base).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), Files.readString(out));
            e.terminate();
            e.awaitExit();
        }
        String all = Files.readString(out);
        assertTrue(all.contains("MODEL CLIENTS DONE"), all);
        assertTrue(all.contains("RESULT allowed OK Hello from the loopback model."), all);
        assertTrue(all.contains("RESULT denied DENIED") && all.contains("blocked by policy rule no-large-models (audit #"), all);
        // the effect: the server saw the allowed call only
        assertEquals(1, received.size(), "requests the model server received: " + received);
        assertTrue(received.get(0).contains("\"gpt-4o-mini\""), received.get(0));

        Agt.Result log = Agt.run(root, "audit", "show", "audit", "--family", "model", "--json");
        assertTrue(log.out().lines().anyMatch(l -> l.contains("\"model\":\"gpt-4o-mini\"") && l.contains("\"provider\":\"OPEN_AI\"")
                && l.contains("\"max_tokens\":64") && l.contains("\"effect\":\"allow\"") && l.contains("\"rule\":\"small-models\"")), log.out());
        assertTrue(log.out().lines().anyMatch(l -> l.contains("\"model\":\"gpt-4o\"") && l.contains("\"effect\":\"deny\"")), log.out());
        // Spring AI: the model its options name, the class as provider, denied by default before it ran
        assertTrue(all.contains("RESULT spring-ai DENIED") && all.contains("RESULT spring-ai.stream DENIED") && all.contains("RESULT spring-ai.ran OK 0"), all);
        assertTrue(log.out().lines().anyMatch(l -> l.contains("\"model\":\"local-llm\"") && l.contains("\"max_tokens\":32")
                && l.contains("\"provider\":\"dev.agt.tests.model.ModelClients$LocalSpringModel\"") && l.contains("\"code\":\"default-deny\"")),
                log.out());
        assertEquals(0, Agt.run(root, "audit", "verify", "audit").exit());

        // learning: the suggested policy names the provider and the model that were used
        Agt.Result suggest = Agt.run(root, "policy", "suggest", "audit", "--out", "suggested.yaml");
        assertEquals(0, suggest.exit(), suggest.toString());
        String suggested = Files.readString(root.resolve("suggested.yaml"));
        assertTrue(suggested.contains("    family: model\n    actions: [chat]\n    providers:\n      - \"OPEN_AI\"\n    models:\n      - \"gpt-4o-mini\"\n"),
                suggested);
        assertTrue(suggested.contains("model/chat {model=gpt-4o, provider=OPEN_AI}") && suggested.contains("still denied"),
                "the denied model is listed for review, never allowed: " + suggested);
    }
}
