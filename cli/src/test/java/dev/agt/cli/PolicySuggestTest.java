package dev.agt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.agt.audit.FsyncPolicy;
import dev.agt.audit.log.AuditLog;
import dev.agt.audit.log.LogFiles;
import dev.agt.audit.note.NoteKeys;
import dev.agt.engine.policy.Agent;
import dev.agt.engine.policy.Evaluator;
import dev.agt.engine.policy.Policy;
import dev.agt.engine.policy.PolicyLoader;
import dev.agt.engine.policy.PolicyTests;
import dev.agt.engine.policy.Rule;
import dev.agt.protocol.Decision;
import dev.agt.protocol.Request;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code agt policy suggest} end to end: a real signed log written with the audit module's
 * writer, the command run through its picocli entry point, and the suggestion judged by the
 * engine's own loader and evaluator.
 */
class PolicySuggestTest {
    static final String HOME = System.getProperty("user.home");
    static final NoteKeys.Signer KEY = NoteKeys.generate("test-engine");

    @TempDir
    Path tmp;
    Path audit;
    int clock;

    /** One request the agents made, how it was decided, and how it must be decided by the suggestion. */
    record Call(String agent, String mode, String family, String action, Map<String, Object> target, String effect, int times) {
        Request request() {
            return Request.of(family, action, target);
        }
    }

    final List<Call> calls = new ArrayList<>();

    @BeforeEach
    void paths() {
        audit = tmp.resolve("audit");
    }

    static Map<String, Object> t(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    void call(String agent, String family, String action, Map<String, Object> target, String effect, int times) {
        calls.add(new Call(agent, agent.equals("researcher") ? "monitor" : "enforce", family, action, target, effect, times));
    }

    /** The catalogue: what two agents were seen doing. The researcher runs in monitor mode, the coder enforcing. */
    void catalogue() {
        String notes = HOME + "/projects/notes";
        call("researcher", "file", "read", t("path", notes + "/a.md"), "allow", 3);
        call("researcher", "file", "read", t("path", notes + "/b.md"), "allow", 1);
        call("researcher", "file", "read", t("path", notes + "/sub/c.md"), "deny", 1);    // would-be denial: learned
        call("researcher", "file", "list", t("path", notes), "allow", 1);
        call("researcher", "file", "read", t("path", "/usr/lib/jvm/java-17/lib/modules"), "allow", 5); // jvm-runtime
        call("researcher", "file", "read", t("path", "/etc/hosts"), "allow", 1);                      // jvm-runtime
        call("researcher", "file", "read", t("path", HOME + "/.ssh/id_rsa"), "deny", 2);              // secret
        call("researcher", "file", "read", t("path", "/srv/app/.env"), "allow", 1);                   // secret (glob)
        call("researcher", "file", "read", t("path", "/srv/app/config.yaml"), "allow", 1);
        call("researcher", "file", "read", t("path", "/srv/app/app.jar"), "allow", 1);
        call("researcher", "file", "read", t("path", "/srv/data/api_key.txt"), "allow", 1);           // secret (name)
        call("researcher", "file", "read", t("path", "/tmp/one.txt"), "allow", 1);
        call("researcher", "file", "read", t("path", "/tmp/two.txt"), "allow", 1);
        call("researcher", "file", "read", t("path", "relative.txt"), "allow", 1);                    // inexpressible
        call("researcher", "file", "write", t("path", "/srv/out/report.md"), "allow", 2);
        call("researcher", "file", "create", t("path", "/srv/out/tmp.md"), "allow", 1);
        call("researcher", "file", "rename", t("path", "/srv/out/tmp.md", "dest", "/srv/out/final.md"), "allow", 1);
        call("researcher", "net", "resolve", t("host", "api.openai.com"), "allow", 1);
        call("researcher", "net", "connect", t("host", "api.openai.com", "ip", "104.18.7.192", "port", 443L), "allow", 2);
        call("researcher", "net", "connect", t("host", "127.0.0.1", "ip", "127.0.0.1", "port", 8080L), "deny", 1);
        call("researcher", "net", "resolve", t("host", "localhost"), "allow", 1);                      // jvm-runtime
        call("researcher", "net", "connect", t("transport", "unix", "path", "/run/app/agent.sock"), "allow", 1);
        call("researcher", "net", "send", t("host", "8.8.8.8", "ip", "8.8.8.8", "port", 53L, "transport", "udp"), "allow", 1);
        call("coder", "net", "connect", t("host", "api.openai.com", "ip", "104.18.7.192", "port", 443L), "allow", 1);
        call("coder", "file", "write", t("path", "/srv/we*ird/{x}.txt"), "allow", 1);                // glob characters
        call("coder", "file", "write", t("path", "/srv/we*ird/${home}.txt"), "allow", 1);            // and a variable
        call("coder", "process", "exec", t("executable", "/usr/bin/git", "argv", List.of("git", "status"), "cwd", "/srv/repo"), "allow", 2);
        call("coder", "process", "exec", t("executable", "/bin/sh", "argv", List.of("sh", "-c", "ls")), "allow", 1);
        call("coder", "process", "exec", t("executable", "/bin/sh", "argv", List.of("sh", "-c", "date")), "allow", 1);
        call("coder", "native", "load", t("path", "/opt/libs/libfoo.so"), "allow", 1);
        call("coder", "mcp", "call", t("server", "notes", "tool", "search_notes", "arguments", t("q", "x")), "allow", 2);
        call("coder", "mcp", "call", t("server", "notes", "tool", "read_note", "arguments", t("id", 7L)), "allow", 1);
        call("coder", "mcp", "list", t("server", "notes"), "allow", 1);
        call("coder", "tool", "call", t("tool", "calculator", "arguments", t("expr", "1+1")), "allow", 1);
        call("coder", "file", "read", t("path", "/srv/repo/a.java"), "allow", 1);
        call("coder", "file", "read", t("path", "/srv/repo/b.java"), "allow", 1);
        call("coder", "file", "read", t("path", "/srv/repo/c.java"), "deny", 1);  // enforced: review, now covered
        call("coder", "net", "connect", t("host", "evil.example.com", "ip", "6.6.6.6", "port", 443L), "deny", 1); // enforced
    }

    Map<String, Object> entry(Call c) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("type", "decision");
        e.put("time", String.format("2026-11-27T10:%02d:%02dZ", clock / 60, clock % 60));
        clock++;
        e.put("agent", t("id", c.agent(), "name", c.agent(), "uid", "u", "pid", 100L, "auth", "local-peercred", "session", 1L,
                "mode", c.mode()));
        e.put("request", t("family", c.family(), "action", c.action(), "target", c.target(), "thread", "main",
                "frames", List.of("app.Main.run(Main.java:1)")));
        boolean allow = c.effect().equals("allow");
        e.put("decision", t("effect", c.effect(), "rule", allow ? "old-rule" : "default-deny", "code", allow ? "allowed" : "default-deny",
                "reason", "r"));
        e.put("policy", "abc");
        return e;
    }

    void writeLog(List<Call> cs) throws Exception {
        NoteKeys.write(KEY, tmp.resolve("audit.key"), tmp.resolve("audit.pub"));
        try (AuditLog log = AuditLog.open(new AuditLog.Options(audit, KEY, "agt/test-engine", FsyncPolicy.NEVER, null, 64L << 20, 1000, 60_000))) {
            log.appendAndWait(t("type", "event", "time", "2026-11-27T09:59:59Z", "event", "engine-start"));
            for (Call c : cs) {
                for (int i = 0; i < c.times(); i++) {
                    log.appendAndWait(entry(c));
                }
            }
        }
    }

    record Run(int exit, String out, String err) {
    }

    static Run agt(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    static Decision decide(Policy p, String agent, Request r) {
        return new Evaluator().decide(p, r, Agent.named(agent));
    }

    @Test
    void suggestsAPolicyThatAllowsWhatWentAheadAndNothingSecret() throws Exception {
        catalogue();
        writeLog(calls);
        Path out = tmp.resolve("suggested.yaml");
        Run run = agt("policy", "suggest", audit.toString(), "--out", out.toString());
        assertEquals(0, run.exit(), run.err());
        String yaml = Files.readString(out);
        Path tests = tmp.resolve("suggested.tests.yaml");
        assertTrue(Files.exists(tests), run.err());

        // the file loads as a policy, exactly as the engine would load it
        Policy p = PolicyLoader.load(out, Map.of());
        // every call that went ahead (allowed, or a would-be denial in monitor mode) is allowed...
        for (Call c : calls) {
            boolean secret = c.target().toString().matches(".*(\\.ssh|\\.env|api_key).*");
            boolean expressible = !"relative.txt".equals(c.target().get("path"));
            Decision d = decide(p, c.agent(), c.request());
            if (secret) {
                assertFalse(d.allowed(), "secret allowed: " + c + " by " + d.rule());
                assertEquals("suggested-no-secrets", d.rule(), c.toString());
            } else if ((c.effect().equals("allow") || c.mode().equals("monitor")) && expressible) {
                assertTrue(d.allowed(), "learned call not allowed: " + c + " -> " + d.rule() + "\n" + yaml);
            }
        }
        // ...and what was denied while enforcing stays denied unless a generalization covers it
        assertFalse(decide(p, "coder", Request.of("net", "connect", t("host", "evil.example.com", "port", 443L))).allowed());
        assertTrue(yaml.contains("coder  file/read /srv/repo/c.java  (1x, 2026-11-27T10:00:") && yaml.contains("NOW ALLOWED by coder.file-read"), yaml);
        assertTrue(yaml.contains("coder  net/connect evil.example.com:443  (1x") && yaml.contains("; still denied"), yaml);
        // unseen secrets inside a generalized directory stay denied too
        assertFalse(decide(p, "researcher", Request.of("file", "read", t("path", "/srv/app/server.pem"))).allowed());
        assertFalse(decide(p, "researcher", Request.of("file", "read", t("path", HOME + "/projects/notes/.env"))).allowed());
        // read-only stays read-only, written dirs are not readable by that rule, agents stay apart
        assertFalse(decide(p, "researcher", Request.of("file", "write", t("path", "/srv/app/config.yaml"))).allowed());
        assertFalse(decide(p, "researcher", Request.of("file", "write", t("path", HOME + "/projects/notes/a.md"))).allowed());
        assertFalse(decide(p, "coder", Request.of("file", "read", t("path", HOME + "/projects/notes/a.md"))).allowed());
        assertFalse(decide(p, "researcher", Request.of("process", "exec", t("executable", "/usr/bin/git", "argv", List.of("git", "status")))).allowed());
        // hosts and ports exact; git pinned to what it ran; sh unpinned but flagged
        assertFalse(decide(p, "researcher", Request.of("net", "connect", t("host", "api.openai.com", "port", 8080L))).allowed());
        assertFalse(decide(p, "researcher", Request.of("net", "connect", t("host", "127.0.0.1", "port", 443L))).allowed());
        assertFalse(decide(p, "coder", Request.of("process", "exec", t("executable", "/usr/bin/git", "argv", List.of("git", "push")))).allowed());
        assertTrue(yaml.contains("WARNING: /bin/sh runs whatever its arguments say"), yaml);
        // literal paths stay literal: the escaped directory glob matches its own files only
        assertTrue(yaml.contains("\"/srv/we\\\\*ird/**\""), yaml);
        assertFalse(decide(p, "coder", Request.of("file", "write", t("path", "/srv/weXird/a.txt"))).allowed());
        assertFalse(decide(p, "researcher", Request.of("net", "send", t("host", "8.8.4.4", "port", 53L))).allowed());
        assertTrue(yaml.contains("transports: [\"unix\"]\n    paths:\n      - \"/run/app/agent.sock\""), yaml);

        // the shape a reviewer reads
        assertTrue(yaml.contains("include: [jvm-runtime]"), yaml);
        assertTrue(yaml.contains("\"${home}/projects/notes/**\""), yaml);
        assertTrue(yaml.contains("\"${home}/projects/notes\""), "the listed directory itself: " + yaml);
        assertTrue(yaml.contains("\"/srv/app/**\"") && yaml.contains("\"/srv/out/**\"") && yaml.contains("\"/srv/repo/**\""), yaml);
        assertTrue(yaml.contains("\"/tmp/one.txt\"") && !yaml.contains("\"/tmp/**\""), "the shared /tmp is never globbed: " + yaml);
        assertFalse(yaml.contains("/usr/lib/jvm") || yaml.contains("/etc/hosts") || yaml.contains("\"localhost\""),
                "what jvm-runtime allows is left out: " + yaml);
        assertTrue(yaml.contains("agents: {names: [\"coder\", \"researcher\"]}"), "identical rules of two agents merge: " + yaml);
        assertTrue(yaml.contains("argv: [\"git\", \"status\"]"), yaml);
        assertTrue(yaml.contains("# Secrets (denied by rule suggested-no-secrets):"), yaml);
        assertTrue(yaml.contains("#   researcher  file/read " + HOME + "/.ssh/id_rsa  (2x, 2 would-be denial(s) in monitor mode"), yaml);
        assertTrue(yaml.contains("\"/srv/data/api_key.txt\""), "a secret by name is denied by its exact path: " + yaml);
        assertTrue(yaml.contains("researcher  file/read relative.txt  (1x, 2026-11-27T10:00:") && yaml.contains(": not an absolute path"), yaml);
        assertTrue(yaml.contains("# Denied while enforcing: review"), yaml);
        assertTrue(yaml.contains("would-be denial(s) in monitor mode"), yaml);
        assertTrue(yaml.contains("first seen 2026-11-27T10:00:"), yaml);
        assertTrue(yaml.contains("# log " + audit + ": verified: "), yaml);
        for (Rule r : p.rules()) {
            if (!r.id().startsWith("jvm-runtime") && !r.id().startsWith("builtin.")) { // the engine's own rules are not in the file
                assertTrue(yaml.contains("- id: " + r.id() + "\n    description: \""), "every rule is described: " + r.id());
            }
        }
        for (String broad : List.of("\"/\"", "\"/**\"", "\"${home}\"", "\"${home}/**\"", "\"/srv/**\"", "\"/usr/**\"")) {
            assertFalse(yaml.contains(broad), "never " + broad + ": " + yaml);
        }
        // tests: every case passes, and they cover allows and denials
        List<PolicyTests.Case> cases = PolicyTests.read(tests);
        assertTrue(cases.size() >= 15, cases.toString());
        assertTrue(cases.stream().anyMatch(c -> c.steps().get(0).effect().equals("deny") && "suggested-no-secrets".equals(c.steps().get(0).rule())), cases.toString());
        PolicyTests.run(p, cases).forEach(r -> assertTrue(r.passed(), r.describe()));
        Run test = agt("policy", "test", out.toString(), tests.toString());
        assertEquals(0, test.exit(), test.out() + test.err());
        assertTrue(test.out().contains(" passed, 0 failed"), test.out());
    }

    @Test
    void writesToStandardOutputAndFiltersByAgent() throws Exception {
        catalogue();
        writeLog(calls);
        Run run = agt("policy", "suggest", audit.toString(), "--agent", "coder");
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().startsWith("# Starter policy suggested by `agt policy suggest`"), run.out());
        assertTrue(run.err().contains("no tests written"), run.err());
        Policy p = PolicyLoader.loadText("stdout", run.out(), null, Map.of());
        assertTrue(decide(p, "coder", Request.of("tool", "call", t("tool", "calculator"))).allowed());
        assertFalse(decide(p, "researcher", Request.of("net", "resolve", t("host", "api.openai.com"))).allowed());
        assertFalse(run.out().contains("\"researcher\""), run.out());

        Run nobody = agt("policy", "suggest", audit.toString(), "--agent", "nobody");
        assertEquals(1, nobody.exit());
        assertTrue(nobody.err().contains("no decisions by agent 'nobody'") && nobody.err().contains("coder, researcher"), nobody.err());
    }

    @Test
    void refusesALogThatDoesNotVerifyUnlessToldAndThenSaysSoLoudly() throws Exception {
        call("coder", "file", "read", t("path", "/srv/repo/a.java"), "allow", 3);
        writeLog(calls);
        Path seg = LogFiles.segments(audit).get(0);
        Files.writeString(seg, Files.readString(seg).replaceFirst("a\\.java", "x.java"));

        Run refused = agt("policy", "suggest", audit.toString());
        assertEquals(1, refused.exit(), refused.err());
        assertTrue(refused.err().contains("does not verify: TAMPERED at #1: modified"), refused.err());
        assertTrue(refused.out().isEmpty(), refused.out());

        Run loud = agt("policy", "suggest", audit.toString(), "--unverified");
        assertEquals(0, loud.exit(), loud.err());
        assertTrue(loud.out().contains("# !!! UNVERIFIED (--unverified)"), loud.out());
        assertTrue(loud.out().contains("DOES NOT VERIFY: TAMPERED at #1"), loud.out());
        assertTrue(loud.err().contains("WARNING: --unverified"), loud.err());
        PolicyLoader.loadText("unverified", loud.out(), null, Map.of());

        Files.delete(tmp.resolve("audit.pub"));
        Run noKey = agt("policy", "suggest", audit.toString());
        assertEquals(1, noKey.exit(), noKey.err());
        assertTrue(noKey.err().contains("no public key to verify with"), noKey.err());
    }

    @Test
    void anEmptyLogIsRefusedClearly() throws Exception {
        writeLog(List.of()); // only the engine-start event
        Run run = agt("policy", "suggest", audit.toString());
        assertEquals(1, run.exit(), run.err());
        assertTrue(run.err().contains("holds no decisions to learn from"), run.err());

        Path none = Files.createDirectories(tmp.resolve("empty"));
        Run nothing = agt("policy", "suggest", none.toString(), "--unverified");
        assertEquals(1, nothing.exit(), nothing.err());
        assertTrue(nothing.err().contains("holds no log"), nothing.err());
    }

    @Test
    void neverOverwritesWithoutForce() throws Exception {
        call("coder", "tool", "call", t("tool", "calculator"), "allow", 1);
        writeLog(calls);
        Path out = tmp.resolve("p.yaml");
        Files.writeString(out, "mine");
        Run run = agt("policy", "suggest", audit.toString(), "--out", out.toString());
        assertEquals(2, run.exit());
        assertTrue(run.err().contains("already exists; pass --force"), run.err());
        assertEquals("mine", Files.readString(out));
        assertFalse(Files.exists(tmp.resolve("p.tests.yaml")));

        Run forced = agt("policy", "suggest", audit.toString(), "--out", out.toString(), "--force");
        assertEquals(0, forced.exit(), forced.err());
        PolicyLoader.load(out, Map.of());
    }
}
