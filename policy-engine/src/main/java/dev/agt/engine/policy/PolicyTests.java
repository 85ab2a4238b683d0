package dev.agt.engine.policy;

import dev.agt.config.Node;
import dev.agt.config.Source;
import dev.agt.config.Problem;
import dev.agt.config.YamlReader;
import dev.agt.protocol.Decision;
import dev.agt.protocol.Request;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Policy tests, the way {@code opa test} works: a YAML list of cases, each a request and the
 * decision expected for it.
 *
 * <pre>
 * - name: ssh keys stay private          # optional
 *   agent: {name: researcher, labels: {team: research}}   # optional
 *   request: {family: file, action: read, path: /home/u/.ssh/id_rsa}
 *   expect: {effect: deny, rule: no-secrets}              # rule and code optional
 * </pre>
 *
 * <p>The engine establishes facts ({@code when:}) from its own state, which a test does not have:
 * a request lists the facts that hold for it under {@code facts:}, e.g.
 * {@code request: {family: mcp, action: call, server: notes, tool: x, facts: [mcp.tool.changed]}}.
 * Nothing else is assumed: without {@code facts} no fact holds.
 */
public final class PolicyTests {
    static final Set<String> CASE_KEYS = Set.of("name", "agent", "request", "expect");
    static final Set<String> EXPECT_KEYS = Set.of("effect", "rule", "code", "sandbox");
    static final Set<String> AGENT_KEYS = Set.of("name", "id", "labels");

    /** One case as read from the file. */
    public record Case(String name, Source.Pos pos, Agent agent, Request request, Set<Fact> facts, String effect, String rule, String code,
                       String sandbox) {
    }

    /** The outcome of one case. */
    public record Result(Case testCase, Decision actual, boolean passed) {
        public String describe() {
            String got = (actual.allowed() ? "allow" : "deny") + " by " + actual.rule() + " (" + actual.code() + ")"
                    + (actual.sandbox() != null ? " in sandbox " + actual.sandbox() : "");
            return (passed ? "PASS " : "FAIL ") + testCase.name() + (passed ? "" : ": expected " + testCase.effect()
                    + (testCase.rule() != null ? " by " + testCase.rule() : "") + (testCase.code() != null ? " (" + testCase.code() + ")" : "")
                    + (testCase.sandbox() != null ? " in sandbox " + testCase.sandbox() : "")
                    + ", got " + got + "  [" + testCase.pos() + "]");
        }
    }

    private PolicyTests() {
    }

    public static List<Case> read(Path file) throws PolicyException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new PolicyException(List.of(new Problem(new Source.Pos(file.toString(), 1, 1), "cannot read tests: " + e.getMessage())));
        }
        return parse(file.toString(), text);
    }

    public static List<Case> parse(String name, String text) throws PolicyException {
        List<Problem> problems = new ArrayList<>();
        Node root = YamlReader.read(name, text, problems);
        List<Case> cases = new ArrayList<>();
        if (root != null && !(root instanceof Node.Seq)) {
            problems.add(new Problem(root.pos(), "a test file is a list of cases, not " + Node.kind(root)));
        } else if (root != null) {
            int i = 0;
            for (Node n : ((Node.Seq) root).items()) {
                i++;
                Case c = readCase(n, i, problems);
                if (c != null) {
                    cases.add(c);
                }
            }
        } else if (problems.isEmpty()) {
            problems.add(new Problem(new Source.Pos(name, 1, 1), "the test file is empty"));
        }
        if (!problems.isEmpty()) {
            throw new PolicyException(problems);
        }
        return cases;
    }

    private static Case readCase(Node n, int index, List<Problem> problems) {
        if (!(n instanceof Node.Map_ m)) {
            problems.add(new Problem(n.pos(), "a test case is a mapping with request and expect"));
            return null;
        }
        int before = problems.size();
        unknown(m, CASE_KEYS, problems);
        String name = m.entries().get("name") instanceof Node.Scalar s && s.isString() ? (String) s.value() : "case " + index;
        Node req = m.entries().get("request");
        Node exp = m.entries().get("expect");
        if (!(req instanceof Node.Map_ rm)) {
            problems.add(new Problem(req == null ? m.pos() : req.pos(), "a test case needs 'request:' as a mapping"));
            return null;
        }
        if (!(exp instanceof Node.Map_ em)) {
            problems.add(new Problem(exp == null ? m.pos() : exp.pos(), "a test case needs 'expect:' as a mapping"));
            return null;
        }
        unknown(em, EXPECT_KEYS, problems);
        Map<String, Object> target = new LinkedHashMap<>();
        String family = null;
        String action = null;
        Set<Fact> facts = Set.of();
        for (Map.Entry<String, Node> e : rm.entries().entrySet()) {
            Object v = plain(e.getValue());
            if (e.getKey().equals("facts")) {
                facts = facts(e.getValue(), problems);
            } else if (e.getKey().equals("family")) {
                family = v instanceof String s ? s : null;
            } else if (e.getKey().equals("action")) {
                action = v instanceof String s ? s : null;
            } else {
                target.put(e.getKey(), v);
            }
        }
        if (family == null || action == null) {
            problems.add(new Problem(rm.pos(), "the request needs 'family' and 'action' strings"));
        }
        String effect = str(em, "effect");
        if (!"allow".equals(effect) && !"deny".equals(effect)) {
            problems.add(new Problem(em.pos(), "'expect' needs 'effect: allow' or 'effect: deny'"));
        }
        Agent agent = Agent.named("policy-test");
        if (m.entries().get("agent") instanceof Node.Map_ am) {
            unknown(am, AGENT_KEYS, problems);
            String an = str(am, "name");
            String id = str(am, "id");
            Map<String, String> labels = new LinkedHashMap<>();
            if (am.entries().get("labels") instanceof Node.Map_ lm) {
                lm.entries().forEach((k, v) -> labels.put(k, String.valueOf(plain(v))));
            }
            String nm = an == null ? "policy-test" : an;
            agent = new Agent(id == null ? nm : id, nm, "", "test", labels);
        } else if (m.entries().containsKey("agent")) {
            problems.add(new Problem(m.entries().get("agent").pos(), "'agent' is a mapping with name, id and labels"));
        }
        if (problems.size() > before) {
            return null;
        }
        return new Case(name, m.pos(), agent, new Request(family, action, target, "", List.of()), facts, effect, str(em, "rule"), str(em, "code"), str(em, "sandbox"));
    }

    public static List<Result> run(Policy policy, List<Case> cases) {
        Evaluator ev = new Evaluator();
        List<Result> out = new ArrayList<>();
        for (Case c : cases) {
            Decision d = ev.evaluate(policy, c.request(), c.agent(), c.facts()).decision();
            boolean ok = (d.allowed() ? "allow" : "deny").equals(c.effect())
                    && (c.rule() == null || c.rule().equals(d.rule()))
                    && (c.code() == null || c.code().equals(d.code()))
                    && (c.sandbox() == null || c.sandbox().equals(d.sandbox()));
            out.add(new Result(c, d, ok));
        }
        return out;
    }

    /** {@code facts: [mcp.tool.flagged, ...]}: names checked like a policy's {@code when}. */
    private static Set<Fact> facts(Node n, List<Problem> problems) {
        List<Node> items = n instanceof Node.Seq s ? s.items() : List.of(n);
        EnumSet<Fact> out = EnumSet.noneOf(Fact.class);
        for (Node i : items) {
            Fact f = i instanceof Node.Scalar s && s.value() instanceof String str ? Fact.of(str) : null;
            if (f == null) {
                problems.add(new Problem(i.pos(), i instanceof Node.Scalar s && s.value() instanceof String str
                        ? "unknown fact '" + str + "'" + RuleReader.suggestFact(str) : "'facts' takes fact names, not " + Node.kind(i)));
            } else {
                out.add(f);
            }
        }
        return Set.copyOf(out);
    }

    private static void unknown(Node.Map_ m, Set<String> allowed, List<Problem> problems) {
        m.keys().forEach((k, pos) -> {
            if (!allowed.contains(k)) {
                String near = PolicyLoader.nearest(k, allowed);
                problems.add(new Problem(pos, "unknown key '" + k + "'" + (near != null ? " (did you mean '" + near + "'?)" : "")));
            }
        });
    }

    private static String str(Node.Map_ m, String key) {
        return m.entries().get(key) instanceof Node.Scalar s && s.isString() ? (String) s.value() : null;
    }

    /** A node as plain Java values, the shape requests have on the wire. */
    static Object plain(Node n) {
        if (n instanceof Node.Scalar s) {
            return s.value() instanceof Integer i ? Long.valueOf(i) : s.value();
        }
        if (n instanceof Node.Seq s) {
            List<Object> l = new ArrayList<>();
            s.items().forEach(i -> l.add(plain(i)));
            return l;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        ((Node.Map_) n).entries().forEach((k, v) -> m.put(k, plain(v)));
        return m;
    }
}
