package dev.agt.cli;

import dev.agt.identity.CanonicalJson;
import dev.agt.audit.entry.DecisionEntry;
import dev.agt.audit.entry.LogEntry;
import dev.agt.audit.verify.Verifier;
import dev.agt.cli.demo.DemoWeb;
import dev.agt.cli.demo.LogFollower;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code agt demo}: the main job from a fresh clone. A temporary workspace with a fake home
 * (and SSH key), a demo policy, a real engine, a loopback "internet" (a documentation site with
 * a prompt injection, and the attacker's collector), then three stories run as real JVMs with
 * the javaagent: a LangChain4j assistant that falls for the injection, an MCP agent offered a
 * poisoned and a dangerous tool, and a parent agent with a worker JVM. Every decision is shown
 * as it is logged; at the end the log is verified and the report written. Exit 0 when the story
 * went as it must: the benign calls allowed, the attack's calls blocked, nothing reached the
 * collector, the chain verified.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Run the demo: a prompt-injection attack on real agents, blocked and logged; then the verified log and the report."})
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--keep", description = "Keep the workspace (policy, engine, log, keys, agent output) for exploring.")
    boolean keep;

    @Option(names = "--open", description = "Print the report as a file:// URL to open in a browser.")
    boolean open;

    @Option(names = "--out", paramLabel = "FILE", defaultValue = "agt-demo-report.html", description = "Where the report goes (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--agent-jar", paramLabel = "JAR", description = "The javaagent jar (default: AGT_AGENT_JAR, or the one built beside this tool).")
    Path agentJar;

    @Option(names = "--demo-jar", paramLabel = "JAR", description = "The demo agents' jar (default: AGT_DEMO_JAR, or the one built beside this tool).")
    Path demoJar;

    private final boolean color = System.console() != null && System.getenv("NO_COLOR") == null;

    @Override
    public Integer call() throws Exception {
        Path self = Path.of(DemoCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path agent = jar(agentJar, "AGT_AGENT_JAR", self, "javaagent/target/agt-javaagent.jar");
        Path demo = jar(demoJar, "AGT_DEMO_JAR", self, "demo-agents/target/agt-demo-agents.jar");
        if (agent == null || demo == null) {
            System.err.println("agt: the demo needs the javaagent and the demo agents built: run ./agt demo from the repository (it builds them), "
                    + "or ./mvnw -B -DskipTests -pl javaagent,demo-agents -am install");
            return 2;
        }
        Path ws = Files.createTempDirectory("agt-demo-").toRealPath();
        Path home = Files.createDirectories(ws.resolve("home"));
        Files.createDirectories(home.resolve(".ssh"));
        Files.writeString(home.resolve(".ssh/id_rsa"), "-----BEGIN OPENSSH PRIVATE KEY-----\nAGT-DEMO-FAKE-KEY-NEVER-LEAVES\n-----END OPENSSH PRIVATE KEY-----\n");
        Path work = Files.createDirectories(ws.resolve("work"));
        Files.writeString(work.resolve("notes.md"), "Team notes: ship 2.4 on Friday.\n");
        Path engineDir = Files.createDirectories(ws.resolve("engine"));
        Path logs = Files.createDirectories(ws.resolve("logs"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        int failures = 0;
        try (DemoWeb web = new DemoWeb()) {
            Files.writeString(engineDir.resolve("policy.yaml"), policy(ws, web, java));
            headline("agt demo: a prompt injection against real agents, governed at the JDK's choke points");
            say("workspace " + ws + (keep ? "" : " (removed at the end; --keep to explore it)"));
            say("policy    " + engineDir.resolve("policy.yaml"));
            progress("registering the orchestrator's and the summarizer's identities");
            Path registry = engineDir.resolve("agents.json");
            Path orchestratorKey = ws.resolve("orchestrator.key");
            if (Main.run("identity", "create", "orchestrator", "--label", "role=orchestrator", "--registry", registry.toString(),
                    "--out", orchestratorKey.toString()) != 0) {
                return 2;
            }
            Path summarizerKey = ws.resolve("summarizer.key");
            if (Main.run("identity", "create", "nightly-summarizer", "--label", "team=nightly", "--registry", registry.toString(),
                    "--out", summarizerKey.toString()) != 0) {
                return 2;
            }
            done();
            progress("starting the policy engine");
            Process engine = new ProcessBuilder(java, "-jar", self.toString(), "engine", "--policy", "policy.yaml", "--socket",
                    engineDir.resolve("e.sock").toString(), "--audit-dir", engineDir.resolve("audit").toString(), "--registry", registry.toString())
                    .directory(engineDir.toFile()).redirectError(logs.resolve("engine.err").toFile()).start();
            try {
                if (!awaitReady(engine)) {
                    System.err.println("agt: the engine did not start; see " + logs.resolve("engine.err"));
                    return 2;
                }
                done();
                LogFollower follower = new LogFollower(engineDir.resolve("audit"), this::decisionLine);
                follower.start();
                String opts = "=engine=" + engineDir.resolve("e.sock") + ",timeoutMs=10000,name=";
                headline("1/4  A LangChain4j assistant is asked to summarize a web page that hides instructions");
                runStory(java, agent, opts + "research-assistant", demo, ws, logs, "dev.agt.demo.story.InjectionStory", web.pageUrl(), home.toString());
                headline("2/4  An MCP agent is offered a poisoned tool and a dangerous one");
                runStory(java, agent, opts + "mcp-assistant", demo, ws, logs, "dev.agt.demo.story.McpStory", ws.toString(), demo.toString(),
                        ws.resolve("work/mcp-server-calls.jsonl").toString());
                headline("3/4  An orchestrator with a registered identity hands work to a worker JVM, which acts on a delegated one");
                Thread person = approver(engineDir.resolve("e.sock").toString());
                runStory(java, agent, opts + "orchestrator,identity=" + orchestratorKey, demo, ws, logs, "dev.agt.demo.story.SubAgentStory", ws.toString(), home.toString(),
                        demo.toString());
                person.interrupt();
                headline("4/4  A summarizer stuck in a loop keeps calling its model; its team has a budget");
                runStory(java, agent, opts + "nightly-summarizer,identity=" + summarizerKey, demo, ws, logs, "dev.agt.demo.story.RunawayStory",
                        web.modelsUrl());
                follower.drainAndStop();
            } finally {
                engine.destroy(); // SIGTERM: the engine answers what it took, records engine-stop, flushes
                engine.waitFor(30, TimeUnit.SECONDS);
            }
            headline("What happened");
            List<DecisionEntry> decisions = LogFollower.readAll(engineDir.resolve("audit"));
            failures += expect(decisions, "the page was fetched", d -> is(d, "net", "connect", "allow") && port(d) == web.docsPort());
            failures += expect(decisions, "reading ~/.ssh/id_rsa was blocked", d -> is(d, "file", "read", "deny") && target(d, "path").endsWith("/.ssh/id_rsa"));
            failures += expect(decisions, "the team notes were read, and the session labelled internal",
                    d -> is(d, "file", "read", "allow") && target(d, "path").endsWith("work/notes.md")
                            && d.labels().map(l -> String.valueOf(l.get("set")).contains("internal")).orElse(false));
            failures += expect(decisions, "the POST to the collector was blocked because the session held internal text",
                    d -> is(d, "net", "connect", "deny") && port(d) == web.collectorPort()
                            && d.labels().map(l -> l.get("held") instanceof Map<?, ?> h && h.containsKey("internal")).orElse(false));
            failures += expect(decisions, "curl | sh was blocked", d -> is(d, "process", "exec", "deny") && target(d, "argv").contains("| sh"));
            failures += expect(decisions, "the summary was written", d -> is(d, "file", "write", "allow") && target(d, "path").endsWith("work/summary.md"));
            failures += expect(decisions, "the poisoned MCP tool was blocked", d -> is(d, "mcp", "call", "deny") && "weather".equals(target(d, "tool")));
            failures += expect(decisions, "the dangerous MCP tool was blocked", d -> is(d, "mcp", "call", "deny") && "run_command".equals(target(d, "tool")));
            failures += expect(decisions, "the harmless MCP tool worked", d -> is(d, "mcp", "call", "allow") && "echo".equals(target(d, "tool")));
            failures += expect(decisions, "the worker JVM started once a person approved its launch",
                    d -> is(d, "process", "exec", "allow") && "approved".equals(d.ruling().code()));
            failures += expect(decisions, "the worker, on an identity delegated by the orchestrator, wrote its index",
                    d -> is(d, "file", "write", "allow") && target(d, "path").endsWith("work/index.txt") && delegate(d));
            failures += expect(decisions, "the worker's attempt at the key was blocked", d -> is(d, "file", "read", "deny") && delegate(d));
            long admitted = decisions.stream().filter(d -> is(d, "model", "chat", "allow") && "nightly-summarizer".equals(text(d.agent(), "name"))
                    && !"return".equals(d.request().get("at"))).count();
            failures += expect(decisions, "the runaway loop was stopped by its team's budget before its next call",
                    d -> is(d, "model", "chat", "deny") && "budget-exceeded".equals(d.ruling().code()));
            boolean unseen = admitted > 0 && web.modelCalls.get() == admitted;
            check(unseen, "the model API served the " + admitted + " calls the budget admitted, and no other (it saw " + web.modelCalls.get() + ")");
            failures += unseen ? 0 : 1;
            boolean clean = web.collected.isEmpty();
            check(clean, "nothing reached the attacker's collector" + (clean ? "" : ": " + web.collected));
            failures += clean ? 0 : 1;
            boolean summary = Files.exists(work.resolve("summary.md"));
            check(summary, "work/summary.md exists");
            failures += summary ? 0 : 1;
            Verifier.Report v = Verifier.verify(engineDir.resolve("audit"), AuditCommand.pubkey(null, engineDir.resolve("audit")), null);
            check(v.ok(), v.ok() ? "the log verifies: " + v.entries() + " entries, " + v.checkpoints() + " signed checkpoints, key " + v.keyId()
                    : "the log does NOT verify: TAMPERED at #" + v.firstBad() + ": " + v.kind() + ": " + v.message());
            failures += v.ok() ? 0 : 1;
            progress("writing the report");
            Path report = out.toAbsolutePath();
            int r = Main.run("report", engineDir.resolve("audit").toString(), "--out", report.toString());
            done();
            if (r != 0) {
                failures++;
            }
            say("report    " + report + (open ? "\n          open " + report.toUri() : ""));
            say("verify it yourself: agt audit verify " + engineDir.resolve("audit") + (keep ? "" : "  (with --keep)"));
        } finally {
            if (!keep) {
                try (Stream<Path> s = Files.walk(ws)) {
                    s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
        headline(failures == 0 ? "The attack was blocked at every step, the work got done, and the log proves it."
                : failures + " expectation(s) not met: see above" + (keep ? "" : " (run with --keep to look closer)"));
        return failures == 0 ? 0 : 1;
    }

    /**
     * Stands in for the person at the approval queue: reviews each held call as it appears and
     * approves it, exactly as 'agt approvals approve ID' does, so the story can run unattended.
     */
    private Thread approver(String socket) {
        Thread t = new Thread(() -> {
            java.util.Set<Object> seen = new java.util.HashSet<>();
            while (!Thread.currentThread().isInterrupted()) {
                Map<String, Object> r = Admin.call(socket, dev.agt.protocol.AdminRequest.Approvals.list());
                if (r != null && r.get("pending") instanceof List<?> pending) {
                    for (Object o : pending) {
                        Map<?, ?> p = (Map<?, ?>) o;
                        if (seen.add(p.get("id"))) {
                            synchronized (this) {
                                System.out.println(dim("   a person reviews held call " + p.get("id") + " (rule " + p.get("rule") + ") and approves it:"
                                        + " agt approvals approve " + p.get("id")));
                            }
                            Admin.call(socket, new dev.agt.protocol.AdminRequest.Approvals(java.util.Optional.of((String) p.get("id")), true,
                                    "reviewed in the demo"));
                        }
                    }
                }
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "agt-demo-approver");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static Path jar(Path given, String env, Path self, String relative) {
        if (given != null) {
            return Files.isRegularFile(given) ? given.toAbsolutePath() : null;
        }
        String e = System.getenv(env);
        if (e != null && !e.isEmpty()) {
            return Files.isRegularFile(Path.of(e)) ? Path.of(e).toAbsolutePath() : null;
        }
        Path p = self.getParent().resolve("../..").resolve(relative).normalize();
        return Files.isRegularFile(p) ? p : null;
    }

    private String policy(Path ws, DemoWeb web, String java) throws IOException {
        String model = "";
        String base = System.getenv("AGT_DEMO_OPENAI_BASE_URL");
        if (base != null && !base.isEmpty()) {
            URI u = URI.create(base);
            int port = u.getPort() > 0 ? u.getPort() : "https".equals(u.getScheme()) ? 443 : 80;
            model = "  - {id: model-api, effect: allow, family: net, actions: [resolve, connect], hosts: [\"" + u.getHost() + "\"], ports: [" + port + "]}\n";
        }
        try (var in = DemoCommand.class.getResourceAsStream("demo/demo-policy.yaml")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("@WS@", ws.toString()).replace("@DOCS_PORT@", String.valueOf(web.docsPort()))
                    .replace("@MODEL_PORT@", String.valueOf(web.modelsPort()))
                    .replace("@JAVA@", java) + model;
        }
    }

    private boolean awaitReady(Process engine) throws IOException {
        BufferedReader r = new BufferedReader(new InputStreamReader(engine.getInputStream(), StandardCharsets.UTF_8));
        for (String l; (l = r.readLine()) != null; ) {
            if (l.contains("ready")) {
                Thread t = new Thread(() -> {
                    try {
                        while (r.readLine() != null) {
                            // drain
                        }
                    } catch (IOException ignored) {
                        // engine gone
                    }
                });
                t.setDaemon(true);
                t.start();
                return true;
            }
        }
        return false;
    }

    private void runStory(String java, Path agent, String agentOptions, Path demo, Path ws, Path logs, String main, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(java, "-javaagent:" + agent + agentOptions, "-cp", demo.toString(), main));
        cmd.addAll(List.of(args));
        String name = main.substring(main.lastIndexOf('.') + 1);
        Process p = new ProcessBuilder(cmd).directory(ws.toFile()).redirectError(logs.resolve(name + ".err").toFile()).start();
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        for (String l; (l = r.readLine()) != null; ) {
            if (l.startsWith("STORY ")) {
                synchronized (this) {
                    System.out.println(dim("   " + l.substring(6)));
                }
            }
        }
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            say("the story did not finish in time; its output: " + logs.resolve(name + ".err"));
        }
        Thread.sleep(300); // let the last decisions reach the screen before the next headline
    }

    /** One readable line per decision, as the engine logs it. */
    private synchronized void decisionLine(LogEntry entry) {
        if (entry instanceof dev.agt.audit.entry.EngineEvent.BudgetWarning w) {
            System.out.println(yellow(String.format("%s  budget %s (%s) spent %s, past its warning threshold of %s", clipTime(w.time()), w.budget(),
                    w.subject(), dev.agt.engine.spend.Money.format(w.spent(), w.currency()), dev.agt.engine.spend.Money.format(w.warn(), w.currency()))));
            return;
        }
        if (!(entry instanceof DecisionEntry e)) {
            return;
        }
        String time = e.time();
        time = time.length() >= 19 ? time.substring(11, 19) : time;
        String family = e.family() + "/" + e.action();
        String effect = e.ruling().effect().toUpperCase(Locale.ROOT);
        String what = LogFollower.describe(e.target());
        String name = text(e.agent(), "name");
        String who = e.agent().containsKey("declared_name") ? text(e.agent(), "declared_name") : name;
        if (e.agent().containsKey("root") && !who.equals(name)) {
            who = who + " (for " + name + ")";
        }
        if ("model".equals(e.family()) && "return".equals(e.request().get("at")) && e.ruling().effect().equals("allow")) {
            effect = "USED"; // a report of what a model call that already happened used, not a new call
        }
        String line = String.format("%s  %-38s %-13s %-5s %-30s %s", time, clip(who, 38), family,
                effect, clip(e.ruling().rule().isEmpty() ? e.ruling().code() : e.ruling().rule(), 30), clip(what, 80));
        System.out.println(effect.equals("DENY") ? red(line) : line);
    }

    private int expect(List<DecisionEntry> decisions, String what, Predicate<DecisionEntry> p) {
        boolean ok = decisions.stream().anyMatch(p);
        check(ok, what);
        return ok ? 0 : 1;
    }

    /** A decision for a delegate: proven by a signed chain back to the orchestrator's registered key. */
    private static boolean delegate(DecisionEntry d) {
        return text(d.agent(), "declared_name").endsWith("/child") && text(d.agent(), "root").startsWith("did:key:")
                && "ed25519-challenge".equals(text(d.agent(), "auth"));
    }

    private static boolean is(DecisionEntry d, String family, String action, String effect) {
        return family.equals(d.family()) && action.equals(d.action()) && effect.equals(d.ruling().effect());
    }

    private static String target(DecisionEntry d, String field) {
        return text(d.target(), field);
    }

    private static long port(DecisionEntry d) {
        return d.target().get("port") instanceof Number n ? n.longValue() : -1;
    }

    /** A member as text: a string as it is, anything else as JSON, {@code ""} when absent. */
    private static String text(Map<String, Object> m, String field) {
        Object v = m.get(field);
        return v == null ? "" : v instanceof String s ? s : CanonicalJson.string(v);
    }

    private void check(boolean ok, String what) {
        System.out.println((ok ? green("  ✓ ") : red("  ✗ ")) + what);
    }

    private void headline(String s) {
        System.out.println();
        System.out.println(bold(s));
    }

    private void say(String s) {
        System.out.println("   " + s);
    }

    private long progressStart;

    private void progress(String s) {
        progressStart = System.nanoTime();
        System.out.print("   " + s + "... ");
        System.out.flush();
    }

    private void done() {
        System.out.println("done (" + Duration.ofNanos(System.nanoTime() - progressStart).toMillis() + " ms)");
    }

    private static String clip(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n - 1) + "…";
    }

    private static String clipTime(String time) {
        return time.length() >= 19 ? time.substring(11, 19) : time;
    }

    private String yellow(String s) {
        return color ? "\u001b[33m" + s + "\u001b[0m" : s;
    }

    private String red(String s) {
        return color ? "\u001b[31m" + s + "\u001b[0m" : s;
    }

    private String green(String s) {
        return color ? "\u001b[32m" + s + "\u001b[0m" : s;
    }

    private String bold(String s) {
        return color ? "\u001b[1m" + s + "\u001b[0m" : s;
    }

    private String dim(String s) {
        return color ? "\u001b[2m" + s + "\u001b[0m" : s;
    }
}
