package dev.agt.cli.suggest;

import dev.agt.engine.policy.Evaluator;
import dev.agt.engine.policy.Glob;
import dev.agt.engine.policy.Policy;
import dev.agt.engine.policy.PolicyException;
import dev.agt.engine.policy.PolicyLoader;
import dev.agt.protocol.Decision;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Writes a {@link Suggester.Suggestion} as a policy file and a policy-test file, and checks its
 * own output with the engine's loader and evaluator before anyone sees it: the policy must load,
 * allow every call it was learned from, and deny every secret. A suggestion that failed that
 * check would be a bug here, so it is an error, never a file.
 */
final class PolicyWriter {
    static final int LISTED = 200;
    static final int SEEN_PER_RULE = 5;
    static final int TESTS_PER_RULE = 3;
    static final int TESTS_PER_SECTION = 10;

    /** The two files and a one-line summary. */
    record Output(String policy, String tests, String summary) {
    }

    private final Evaluator evaluator = new Evaluator();
    private final Map<Observed, Decision> decided = new IdentityHashMap<>();

    /**
     * @param home      the directory written as {@code ${home}}, or null
     * @param testsName where the tests will be written, for the header (may be null)
     */
    Output write(Suggester.Suggestion s, DecisionLog.Reading reading, String agentFilter, String home, String testsName) {
        StringBuilder rules = new StringBuilder("version: 1\ninclude: [jvm-runtime]\nrules:\n");
        String group = null;
        for (Draft d : s.rules()) {
            String who = String.join(", ", d.agents);
            rules.append('\n');
            if (!who.equals(group)) {
                line(rules, "  ", "===== " + (d.agents.size() == 1 ? "agent " : "agents ") + who + " =====");
                group = who;
            }
            rule(rules, d);
        }
        secretsRule(rules, s);
        Policy policy;
        try {
            policy = PolicyLoader.loadText("<suggested>", rules.toString(), null, home == null ? Map.of() : Map.of("home", home));
        } catch (PolicyException e) {
            throw new IllegalStateException("internal error: the suggested policy does not load:\n" + e.getMessage() + "\n" + rules);
        }
        check(policy, s);
        StringBuilder out = new StringBuilder();
        header(out, s, reading, agentFilter, home, testsName);
        out.append(rules);
        leftOut(out, s);
        long calls = s.rules().stream().mapToLong(Draft::calls).sum();
        String summary = s.rules().size() + " allow rule(s) learned from " + calls + " call(s) of " + agents(s.rules()).size()
                + " agent(s); " + s.secrets().size() + " secret(s) left out; " + s.enforceDenied().size()
                + " call(s) denied while enforcing listed for review";
        return new Output(out.toString(), tests(s, home), summary);
    }

    private void check(Policy policy, Suggester.Suggestion s) {
        List<String> wrong = new ArrayList<>();
        for (Draft d : s.rules()) {
            for (Observed o : d.from) {
                Decision dec = evaluator.decide(policy, o.request, o.agent());
                decided.put(o, dec);
                if (!dec.allowed()) {
                    wrong.add(o.agentName + " " + o.describe() + " learned into " + d.id + " but decided " + dec.rule() + " (" + dec.code() + ")");
                }
            }
        }
        for (Observed o : s.secrets()) {
            Decision dec = evaluator.decide(policy, o.request, o.agent());
            decided.put(o, dec);
            if (dec.allowed()) {
                wrong.add("secret " + o.describe() + " is allowed by " + dec.rule());
            }
        }
        for (Observed o : s.enforceDenied()) {
            decided.put(o, evaluator.decide(policy, o.request, o.agent()));
        }
        if (!wrong.isEmpty()) {
            throw new IllegalStateException("internal error: the suggested policy does not decide what it was learned from as intended: "
                    + String.join("; ", wrong));
        }
    }

    private static TreeSet<String> agents(List<Draft> rules) {
        TreeSet<String> a = new TreeSet<>();
        rules.forEach(d -> a.addAll(d.agents));
        return a;
    }

    private static void header(StringBuilder b, Suggester.Suggestion s, DecisionLog.Reading r, String agentFilter, String home,
                               String testsName) {
        line(b, "", "Starter policy suggested by `agt policy suggest` (learning mode). REVIEW IT BEFORE USE:");
        line(b, "", "every allow rule below was learned from what the agents were seen doing, generalized as its");
        line(b, "", "comment says. What an agent did is not what it should do: delete what looks wrong.");
        line(b, "", "");
        r.header().forEach(h -> line(b, "", h));
        line(b, "", r.decisions() + " decision(s) read, agents in the log: " + String.join(", ", r.agents())
                + (agentFilter != null ? "; only agent " + agentFilter + " is suggested for (--agent)" : ""));
        long calls = s.rules().stream().mapToLong(Draft::calls).sum();
        long monitor = s.rules().stream().mapToLong(Draft::monitorDenied).sum();
        line(b, "", s.rules().size() + " allow rule(s) learned from " + calls + " call(s)"
                + (monitor > 0 ? ", " + monitor + " of them would-be denials of agents in monitor mode (the calls went ahead)" : ""));
        line(b, "", "left out: " + s.baseAllowedCalls() + " call(s) to " + s.baseAllowedTargets()
                + " target(s) the built-in jvm-runtime base already allows (included below); " + s.secrets().size()
                + " secret(s); " + s.inexpressible().size() + " call(s) no rule can express (all listed at the end)");
        line(b, "", s.enforceDenied().size() + " call(s) denied while enforcing: listed at the end for review, not allowed");
        if (home != null) {
            line(b, "", "${home} stands for " + home + " here; the engine resolves ${home} to the home of the user it runs as.");
        }
        line(b, "", testsName != null ? "policy tests for a sample of these calls: " + testsName + " (agt policy test POLICY TESTS)"
                : "policy tests were not written (give --tests FILE, or --out FILE)");
    }

    private static void line(StringBuilder b, String indent, String text) {
        b.append(indent).append(text.isEmpty() ? "#" : "# " + Yaml.comment(text)).append('\n');
    }

    private static void rule(StringBuilder b, Draft d) {
        String ind = "  ";
        Instant first = d.from.stream().map(Observed::first).filter(Objects::nonNull).min(Comparator.naturalOrder()).orElse(null);
        Instant last = d.from.stream().map(Observed::last).filter(Objects::nonNull).max(Comparator.naturalOrder()).orElse(null);
        Map<String, Long> perAgent = new LinkedHashMap<>();
        d.from.forEach(o -> perAgent.merge(o.agentName, o.observed(), Long::sum));
        line(b, ind, perAgent.entrySet().stream().map(e -> e.getKey() + ": " + e.getValue() + " call(s)").collect(Collectors.joining(", "))
                + " to " + d.from.size() + " target(s)" + (d.monitorDenied() > 0 ? " (" + d.monitorDenied()
                + " would-be denial(s) in monitor mode)" : "") + (first != null ? "; first seen " + first + ", last seen " + last : ""));
        List<Observed> seen = new ArrayList<>(d.from);
        seen.sort(Comparator.comparingLong(Observed::observed).reversed().thenComparing(Observed::describe));
        String shown = seen.stream().limit(SEEN_PER_RULE)
                .map(o -> (d.agents.size() > 1 ? o.agentName + " " : "") + o.describe() + " (" + o.observed() + "x)")
                .collect(Collectors.joining("; "));
        line(b, ind, "seen: " + shown + (seen.size() > SEEN_PER_RULE ? "; +" + (seen.size() - SEEN_PER_RULE) + " more" : ""));
        d.notes.forEach(n -> line(b, ind, n));
        b.append(ind).append("- id: ").append(d.id).append('\n');
        String who = String.join(", ", d.agents);
        b.append(ind).append("  description: ").append(Yaml.q(who + " may " + d.what + " (learned from " + d.calls()
                + " observed call(s) to " + d.from.size() + " target(s))")).append('\n');
        b.append(ind).append("  effect: allow\n");
        b.append(ind).append("  family: ").append(d.family).append('\n');
        b.append(ind).append("  actions: [").append(String.join(", ", d.actions)).append("]\n");
        d.conditions.forEach((k, vs) -> {
            switch (k) {
                case "ports" -> b.append(ind).append("  ports: [").append(vs.stream().map(String::valueOf).collect(Collectors.joining(", "))).append("]\n");
                case "argv", "transports" -> b.append(ind).append("  ").append(k).append(": ")
                        .append(Yaml.list(vs.stream().map(String::valueOf).toList())).append('\n');
                default -> {
                    b.append(ind).append("  ").append(k).append(":\n");
                    vs.forEach(v -> b.append(ind).append("    - ").append(Yaml.q((String) v)).append('\n'));
                }
            }
        });
        b.append(ind).append("  agents: {names: ").append(Yaml.list(d.agents.stream().map(Glob::escape).toList())).append("}\n");
    }

    private void secretsRule(StringBuilder b, Suggester.Suggestion s) {
        String ind = "  ";
        TreeSet<String> extra = new TreeSet<>();
        Secrets secrets = new Secrets();
        for (Observed o : s.secrets()) {
            for (String k : List.of("path", "dest")) {
                String p = PathGeneralizer.normalize(o.target().get(k) instanceof String v ? v : null);
                if (p != null && Secrets.looksSecret(p) && !secrets.coveredByGlobs(p)) {
                    extra.add(Glob.escape(p));
                }
            }
        }
        b.append('\n');
        line(b, ind, "Never allowed by a suggestion: credentials and keys. A deny wins over every allow, here and in");
        line(b, ind, "jvm-runtime, so a directory glob above cannot reach a secret inside it. The exact paths at the end");
        line(b, ind, "were observed and look like secrets by name (*key*, *secret*, *password*, *credential*, *token).");
        b.append(ind).append("- id: ").append(Secrets.RULE_ID).append('\n');
        b.append(ind).append("  description: \"secrets never suggested: keys, credentials, .env files, shadow passwords\"\n");
        b.append(ind).append("  effect: deny\n");
        b.append(ind).append("  family: file\n");
        b.append(ind).append("  paths:\n");
        Secrets.DENY_GLOBS.forEach(g -> b.append(ind).append("    - ").append(Yaml.q(g)).append('\n'));
        extra.forEach(g -> b.append(ind).append("    - ").append(Yaml.q(g)).append('\n'));
        b.append(ind).append("  reason: \"secrets are not readable or writable by agents\"\n");
    }

    private void leftOut(StringBuilder b, Suggester.Suggestion s) {
        b.append('\n');
        line(b, "", "-----------------------------------------------------------------------------");
        line(b, "", "Observed but NOT suggested");
        line(b, "", "-----------------------------------------------------------------------------");
        line(b, "", "Secrets (denied by rule " + Secrets.RULE_ID + "):" + (s.secrets().isEmpty() ? " none" : ""));
        listed(b, s.secrets(), o -> "");
        line(b, "", "Not expressible as a rule:" + (s.inexpressible().isEmpty() ? " none" : ""));
        Map<Observed, String> why = new IdentityHashMap<>();
        s.inexpressible().forEach(l -> why.put(l.observed(), l.why()));
        listed(b, s.inexpressible().stream().map(Suggester.Left::observed).toList(), o -> ": " + why.get(o));
        b.append('\n');
        line(b, "", "-----------------------------------------------------------------------------");
        line(b, "", "Denied while enforcing: review (never turned into allow rules)");
        line(b, "", "-----------------------------------------------------------------------------");
        if (s.enforceDenied().isEmpty()) {
            line(b, "", "none");
        }
        listed(b, s.enforceDenied(), o -> {
            Decision now = decided.get(o);
            String was = "; denied by " + o.deniedBy;
            if (now != null && now.allowed()) {
                return was + "; NOW ALLOWED by " + now.rule() + " (a generalization above covers it: check this is intended)";
            }
            return was + "; still denied";
        });
    }

    private static void listed(StringBuilder b, List<Observed> list, java.util.function.Function<Observed, String> more) {
        List<Observed> sorted = new ArrayList<>(list);
        sorted.sort(Comparator.comparing((Observed o) -> o.agentName).thenComparing(Observed::describe));
        for (int i = 0; i < sorted.size() && i < LISTED; i++) {
            Observed o = sorted.get(i);
            long n = o.enforceDenied > 0 && o.observed() == 0 ? o.enforceDenied : o.total();
            line(b, "", "  " + o.agentName + "  " + o.describe() + "  (" + n + "x"
                    + (o.monitorDenied > 0 ? ", " + o.monitorDenied + " would-be denial(s) in monitor mode" : "")
                    + (o.first() != null ? ", " + o.firstText() + (o.last().equals(o.first()) ? "" : " .. " + o.lastText()) : "") + ")"
                    + more.apply(o));
        }
        if (sorted.size() > LISTED) {
            line(b, "", "  ... and " + (sorted.size() - LISTED) + " more (agt audit show DIR --agent NAME --family FAMILY)");
        }
    }

    private String tests(Suggester.Suggestion s, String home) {
        StringBuilder b = new StringBuilder();
        line(b, "", "Policy tests for the suggested policy: calls from the log and the decision it gives them.");
        line(b, "", "Run: agt policy test POLICY TESTS");
        if (home != null) {
            line(b, "", "Paths are absolute, as observed; they pass where ${home} is " + home + ".");
        }
        int n = 0;
        for (Draft d : s.rules()) {
            List<Observed> sample = new ArrayList<>(d.from);
            sample.sort(Comparator.comparingLong(Observed::observed).reversed().thenComparing(Observed::describe));
            for (Observed o : sample.subList(0, Math.min(TESTS_PER_RULE, sample.size()))) {
                testCase(b, o, "observed " + o.observed() + "x");
                n++;
            }
        }
        s.secrets().stream().limit(TESTS_PER_SECTION).forEach(o -> testCase(b, o, "a secret stays denied"));
        s.enforceDenied().stream().filter(o -> !decided.get(o).allowed()).limit(TESTS_PER_SECTION)
                .forEach(o -> testCase(b, o, "denied while enforcing, still denied"));
        return b.toString();
    }

    private void testCase(StringBuilder b, Observed o, String why) {
        Decision d = decided.get(o);
        Map<String, Object> req = new LinkedHashMap<>();
        req.put("family", o.family());
        req.put("action", o.action());
        req.putAll(o.target());
        b.append("- name: ").append(Yaml.q(o.agentName + ": " + o.describe() + " (" + why + ")")).append('\n');
        b.append("  agent: {name: ").append(Yaml.q(o.agentName)).append("}\n");
        b.append("  request: ").append(Yaml.json(req)).append('\n');
        b.append("  expect: {effect: ").append(d.allowed() ? "allow" : "deny").append(", rule: ").append(Yaml.q(d.rule())).append("}\n");
    }
}
