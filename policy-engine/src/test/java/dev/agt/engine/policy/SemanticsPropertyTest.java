package dev.agt.engine.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.agt.protocol.Decision;
import dev.agt.protocol.Reasons;
import dev.agt.protocol.Request;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Property tests of the decision semantics over random policies and requests (fixed seed, so
 * a failure reproduces). The vocabulary is small on purpose, so that rules overlap and most
 * requests match several rules of both effects.
 */
class SemanticsPropertyTest {
    static final long SEED = 0x5eed_2026L;
    static final int POLICIES = 400;
    static final int REQUESTS_PER_POLICY = 60;

    static final String[] PATHS = {"/a/**", "/a/*", "/a/b/**", "/a/b/c", "**/.env", "/b/**", "/a/{b,c}/**", "/**", "/a/b/*.pem",
            "/home/${agent.id}/**", "/a/?/c"};
    static final String[] HOSTS = {"x.com", "*.x.com", "**.y.org", "z.net", "**.x.com", "api-*.z.net"};
    static final String[] CIDRS = {"10.0.0.0/8", "10.1.0.0/16", "0.0.0.0/0", "192.168.1.0/24", "fd00::/8"};
    static final String[] PORTS = {"443", "80", "8000-9000", "1-1024"};
    static final String[] EXES = {"/usr/bin/git", "/bin/sh", "/usr/bin/*", "{prefix: /usr/}"};
    static final String[] ARGV = {"[git, \"status|diff\", \"**\"]", "[sh, -c, \"**\"]", "[\"*\", \"**\"]", "[git, push]"};
    static final String[] TOOLS = {"read_note", "search_*", "delete_*", "*"};
    static final String[] WHERE = {"{pointer: /path, glob: \"/a/**\"}", "{pointer: /url, host: \"*.x.com\"}", "{pointer: /n, equals: 3}",
            "{pointer: /path, present: true}", "{pointer: /cmd, regex: \"rm .*\"}"};
    static final String[] AGENTS = {"{names: [alice]}", "{labels: {team: research}}", "{names: [\"b*\"]}"};

    static final String[] REQ_PATHS = {"/a/b/c", "/a/x", "/a/b/k.pem", "/srv/.env", "/b/q/r", "/c/d", "/a/c/z", "/home/alice/f",
            "/home/bob/f", "/a/b/../../etc/passwd", "/a/z/c"};
    static final String[] REQ_HOSTS = {"x.com", "api.x.com", "a.b.x.com", "y.org", "q.y.org", "z.net", "api-1.z.net", "evil.com", "X.COM."};
    static final String[] REQ_IPS = {"10.1.2.3", "10.2.0.1", "8.8.8.8", "192.168.1.7", "fd00::1", "::ffff:10.1.0.5"};
    static final String[] FAMILIES = {"file", "net", "process", "mcp"};

    record Generated(String yaml, List<String> ruleTexts) {
    }

    static String pick(Random r, String[] a) {
        return a[r.nextInt(a.length)];
    }

    static String list(Random r, String[] a) {
        int n = 1 + r.nextInt(2);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String v = pick(r, a);
            if (!out.contains(v)) {
                out.add(v.startsWith("{") ? v : "\"" + v + "\"");
            }
        }
        return "[" + String.join(", ", out) + "]";
    }

    static String rule(Random r, int i) {
        String family = pick(r, FAMILIES);
        StringBuilder b = new StringBuilder("  - id: r" + i + "\n    effect: " + (r.nextInt(3) == 0 ? "deny" : "allow") + "\n    family: " + family + "\n");
        switch (family) {
            case "file" -> {
                if (r.nextBoolean()) {
                    b.append("    actions: ").append(r.nextBoolean() ? "[read]" : "[read, write, rename]").append('\n');
                }
                if (r.nextInt(5) > 0) {
                    b.append("    paths: ").append(list(r, PATHS)).append('\n');
                }
            }
            case "net" -> {
                if (r.nextBoolean()) {
                    b.append("    hosts: ").append(list(r, HOSTS)).append('\n');
                }
                if (r.nextInt(3) == 0) {
                    b.append("    cidrs: ").append(list(r, CIDRS)).append('\n');
                }
                if (r.nextInt(3) == 0) {
                    b.append("    ports: ").append(list(r, PORTS).replace("\"443\"", "443").replace("\"80\"", "80")).append('\n');
                }
            }
            case "process" -> {
                if (r.nextBoolean()) {
                    b.append("    executables: ").append(list(r, EXES)).append('\n');
                }
                if (r.nextBoolean()) {
                    b.append("    argv: ").append(pick(r, ARGV)).append('\n');
                }
            }
            default -> {
                if (r.nextBoolean()) {
                    b.append("    tools: ").append(list(r, TOOLS)).append('\n');
                }
                if (r.nextBoolean()) {
                    b.append("    where: [").append(pick(r, WHERE)).append("]\n");
                }
            }
        }
        if (r.nextInt(6) == 0) {
            b.append("    agents: ").append(pick(r, AGENTS)).append('\n');
        }
        return b.toString();
    }

    static Generated policy(Random r) {
        int n = 1 + r.nextInt(25);
        List<String> rules = new ArrayList<>();
        java.util.Set<String> bodies = new java.util.HashSet<>();
        for (int i = 0; i < n; i++) {
            String text = rule(r, i);
            // rules that match exactly the same requests are refused by the loader: skip them here
            if (bodies.add(text.replaceAll("(?m)^ {2}- id: .*$|^ {4}effect: .*$", ""))) {
                rules.add(text);
            }
        }
        return new Generated("version: 1\nrules:\n" + String.join("", rules), rules);
    }

    static Request request(Random r) {
        String family = pick(r, FAMILIES);
        Map<String, Object> t = new LinkedHashMap<>();
        String action;
        switch (family) {
            case "file" -> {
                action = pick(r, new String[] {"read", "write", "rename", "delete"});
                t.put("path", pick(r, REQ_PATHS));
                if (action.equals("rename")) {
                    t.put("dest", pick(r, REQ_PATHS));
                }
            }
            case "net" -> {
                action = pick(r, new String[] {"connect", "resolve"});
                t.put("host", pick(r, REQ_HOSTS));
                if (action.equals("connect")) {
                    t.put("ip", pick(r, REQ_IPS));
                    t.put("port", (long) pick(r, new int[] {443, 80, 8080, 22}));
                }
            }
            case "process" -> {
                action = "exec";
                String exe = pick(r, new String[] {"/usr/bin/git", "/bin/sh", "/usr/bin/curl", "/opt/x"});
                t.put("executable", exe);
                t.put("argv", pick(r, new String[][] {{"git", "status"}, {"git", "push"}, {"sh", "-c", "id"}, {"curl"}}).length == 0
                        ? List.of() : List.of(pick(r, new String[][] {{"git", "status"}, {"git", "push"}, {"sh", "-c", "id"}, {"curl"}})));
            }
            default -> {
                action = "call";
                t.put("tool", pick(r, new String[] {"read_note", "search_x", "delete_all", "other"}));
                Map<String, Object> args = new LinkedHashMap<>();
                if (r.nextBoolean()) {
                    args.put("path", pick(r, REQ_PATHS));
                }
                if (r.nextBoolean()) {
                    args.put("url", "https://" + pick(r, REQ_HOSTS) + "/p");
                }
                if (r.nextBoolean()) {
                    args.put("n", r.nextBoolean() ? 3L : 3.0);
                }
                if (r.nextBoolean()) {
                    args.put("cmd", r.nextBoolean() ? "rm -rf /" : "ls");
                }
                t.put("arguments", args);
            }
        }
        return Request.of(family, action, t);
    }

    @SuppressWarnings("unchecked")
    static <T> T pick(Random r, T[] a) {
        return a[r.nextInt(a.length)];
    }

    static int pick(Random r, int[] a) {
        return a[r.nextInt(a.length)];
    }

    static Agent agent(Random r) {
        return switch (r.nextInt(3)) {
            case 0 -> Agent.named("alice");
            case 1 -> new Agent("bob", "bob", "", "test", Map.of("team", "research"));
            default -> Agent.named("carol");
        };
    }

    /** The semantics written the obvious way: every rule, no index. */
    static Decision reference(Policy p, Request req, Agent a) {
        Rule deny = null;
        Rule allow = null;
        for (Rule r : p.rules()) {
            if (!r.family().key().equals(req.family()) || !r.matches(req.action(), req.target(), a)) {
                continue;
            }
            if (r.deny()) {
                deny = deny == null || r.id().compareTo(deny.id()) < 0 ? r : deny;
            } else {
                allow = allow == null || r.id().compareTo(allow.id()) < 0 ? r : allow;
            }
        }
        if (deny != null) {
            return new Decision(Decision.Effect.DENY, deny.id(), Reasons.DENIED, "", p.version(), -1);
        }
        if (allow != null) {
            return new Decision(Decision.Effect.ALLOW, allow.id(), Reasons.ALLOWED, "", p.version(), -1);
        }
        return new Decision(Decision.Effect.DENY, Reasons.DEFAULT_DENY, Reasons.DEFAULT_DENY, "", p.version(), -1);
    }

    @Test
    void indexedEvaluationAgreesWithTheReferenceAndOrderAndDuplicatesNeverMatter() {
        Random r = new Random(SEED);
        Evaluator ev = new Evaluator();
        int checked = 0;
        int loaded = 0;
        int denies = 0;
        int allows = 0;
        int defaults = 0;
        for (int i = 0; i < POLICIES; i++) {
            Generated g = policy(r);
            Policy p;
            try {
                p = PolicyLoader.loadText("gen.yaml", g.yaml(), null, Map.of());
            } catch (PolicyException e) {
                // the generator sometimes writes two rules with the same match: the loader refuses those
                assertTrue(e.getMessage().contains("matches exactly") || e.getMessage().contains("can never allow"), e::getMessage);
                continue;
            }
            loaded++;
            List<String> shuffledRules = new ArrayList<>(g.ruleTexts());
            Collections.shuffle(shuffledRules, r);
            Policy shuffled = load("version: 1\nrules:\n" + String.join("", shuffledRules));
            assertEquals(p.version(), shuffled.version(), "rule order must not change the policy version");

            List<Rule> doubled = new ArrayList<>(p.rules());
            doubled.addAll(p.rules());
            Collections.shuffle(doubled, r);
            Policy withDuplicates = new Policy(doubled, p.version(), List.of());

            List<Rule> renamed = new ArrayList<>(p.rules());
            for (Rule x : p.rules()) {
                renamed.add(new Rule(x.id() + "-copy", x.deny(), x.family(), x.actions(), x.conditions(), x.when(), x.limit(), x.mode(), x.sandbox(), x.reason(),
                        x.pos(), x.body(), x.session(), x.ask()));
            }
            Policy withRenamedCopies = new Policy(renamed, p.version(), List.of());

            for (int k = 0; k < REQUESTS_PER_POLICY; k++) {
                Request req = request(r);
                Agent a = agent(r);
                Decision want = reference(p, req, a);
                Decision got = ev.decide(p, req, a);
                String ctx = g.yaml() + "\nrequest: " + req + "\nagent: " + a;
                assertEquals(want.effect(), got.effect(), ctx);
                assertEquals(want.rule(), got.rule(), ctx);
                assertEquals(got.effect(), ev.decide(shuffled, req, a).effect(), ctx);
                assertEquals(got.rule(), ev.decide(shuffled, req, a).rule(), ctx);
                assertEquals(got.rule(), ev.decide(withDuplicates, req, a).rule(), ctx);
                assertEquals(got.effect(), ev.decide(withRenamedCopies, req, a).effect(), ctx);
                switch (got.code()) {
                    case Reasons.DENIED -> denies++;
                    case Reasons.ALLOWED -> allows++;
                    default -> defaults++;
                }
                checked++;
            }
        }
        // the generator must exercise all three outcomes, or this test proves little
        assertTrue(loaded > POLICIES / 2, "only " + loaded + " generated policies loaded");
        assertTrue(checked > 10_000, "checked " + checked);
        assertTrue(denies > 1000 && allows > 1000 && defaults > 1000, denies + " denies, " + allows + " allows, " + defaults + " defaults");
    }

    @Test
    void aMatchingDenyAlwaysWinsAndNothingMatchingMeansDefaultDeny() {
        Random r = new Random(SEED + 1);
        Evaluator ev = new Evaluator();
        for (int i = 0; i < POLICIES; i++) {
            Policy p;
            try {
                p = PolicyLoader.loadText("gen.yaml", policy(r).yaml(), null, Map.of());
            } catch (PolicyException e) {
                continue;
            }
            for (int k = 0; k < REQUESTS_PER_POLICY; k++) {
                Request req = request(r);
                Agent a = agent(r);
                boolean anyDeny = false;
                boolean anyMatch = false;
                for (Rule x : p.rules()) {
                    if (x.family().key().equals(req.family()) && x.matches(req.action(), req.target(), a)) {
                        anyMatch = true;
                        anyDeny |= x.deny();
                    }
                }
                Decision d = ev.decide(p, req, a);
                if (anyDeny) {
                    assertEquals(Decision.Effect.DENY, d.effect());
                    assertEquals(Reasons.DENIED, d.code());
                }
                if (!anyMatch) {
                    assertEquals(Reasons.DEFAULT_DENY, d.rule());
                }
            }
        }
    }

    static Policy load(String yaml) {
        try {
            return PolicyLoader.loadText("gen.yaml", yaml, null, Map.of());
        } catch (PolicyException e) {
            throw new AssertionError(e.getMessage());
        }
    }
}
