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
 *
 * <p>A case may also be a sequence: {@code steps:}, each a request with what to expect and,
 * optionally, the session labels expected after it ({@code labels: [secret]}); the labels the
 * deciding rules set carry from one step to the next, as they do in a session. {@code labels:} on
 * the case gives the labels the session starts with.
 * <pre>
 * - name: a secret read closes the way out
 *   steps:
 *     - request: {family: file, action: read, path: /home/u/.config/app/token}
 *       expect: {effect: allow}
 *       labels: [secret]
 *     - request: {family: net, action: connect, host: paste.example, port: 443}
 *       expect: {effect: deny}
 * </pre>
 */
public final class PolicyTests {
    static final Set<String> CASE_KEYS = Set.of("name", "agent", "request", "expect", "steps", "labels");
    static final Set<String> STEP_KEYS = Set.of("request", "expect", "labels");
    static final Set<String> EXPECT_KEYS = Set.of("effect", "rule", "code", "sandbox");
    static final Set<String> AGENT_KEYS = Set.of("name", "id", "labels");

    /** One step: a request and what to expect of it; {@code labelsAfter} null when the step does not check them. */
    public record Step(Source.Pos pos, Request request, Set<Fact> facts, String effect, String rule, String code, String sandbox,
                       Set<String> labelsAfter) {
    }

    /** One case as read from the file: its steps (one for a plain case) and the session labels it starts with. */
    public record Case(String name, Source.Pos pos, Agent agent, Set<String> labels, List<Step> steps) {
    }

    /**
     * The outcome of one case: the first step that failed ({@code step} -1 when all passed), with
     * what it got.
     */
    public record Result(Case testCase, int step, Decision actual, Set<String> labelsAfter, boolean passed) {
        public String describe() {
            if (passed) {
                return "PASS " + testCase.name();
            }
            Step s = testCase.steps().get(step);
            String got = effect(actual) + " by " + actual.rule() + " (" + actual.code() + ")"
                    + (actual.sandbox() != null ? " in sandbox " + actual.sandbox() : "");
            String where = testCase.steps().size() > 1 ? " (step " + (step + 1) + ")" : "";
            boolean decisionOk = matches(s, actual);
            return "FAIL " + testCase.name() + where + ": " + (decisionOk
                    ? "expected session labels " + new java.util.TreeSet<>(s.labelsAfter()) + ", got " + new java.util.TreeSet<>(labelsAfter)
                    : "expected " + s.effect() + (s.rule() != null ? " by " + s.rule() : "") + (s.code() != null ? " (" + s.code() + ")" : "")
                    + (s.sandbox() != null ? " in sandbox " + s.sandbox() : "") + ", got " + got) + "  [" + s.pos() + "]";
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
            problems.add(new Problem(n.pos(), "a test case is a mapping with request and expect (or steps)"));
            return null;
        }
        int before = problems.size();
        unknown(m, CASE_KEYS, problems);
        String name = m.entries().get("name") instanceof Node.Scalar s && s.isString() ? (String) s.value() : "case " + index;
        List<Step> steps = new ArrayList<>();
        Node stepsNode = m.entries().get("steps");
        if (stepsNode != null) {
            if (m.entries().containsKey("request") || m.entries().containsKey("expect")) {
                problems.add(new Problem(stepsNode.pos(), "a case has either 'steps' or 'request' and 'expect', not both"));
            } else if (!(stepsNode instanceof Node.Seq seq) || seq.items().isEmpty()) {
                problems.add(new Problem(stepsNode.pos(), "'steps' is a list of {request, expect, [labels]}"));
            } else {
                for (Node sn : seq.items()) {
                    if (!(sn instanceof Node.Map_ sm)) {
                        problems.add(new Problem(sn.pos(), "a step is a mapping with request, expect and optionally labels"));
                        continue;
                    }
                    unknown(sm, STEP_KEYS, problems);
                    Step st = readStep(sm, problems);
                    if (st != null) {
                        steps.add(st);
                    }
                }
            }
        } else {
            Step st = readStep(m, problems);
            if (st != null) {
                steps.add(st);
            }
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
        // with steps, 'labels' are those the session starts with; on a plain case, those expected after it (read as its step's)
        Set<String> start = stepsNode != null && m.entries().containsKey("labels") ? labelNames(m.entries().get("labels"), problems) : Set.of();
        if (problems.size() > before || steps.isEmpty()) {
            return null;
        }
        return new Case(name, m.pos(), agent, start, List.copyOf(steps));
    }

    /** A step's request, expect and (optionally) labels expected after it, from {@code m}. */
    private static Step readStep(Node.Map_ m, List<Problem> problems) {
        int before = problems.size();
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
        if (!"allow".equals(effect) && !"deny".equals(effect) && !"ask".equals(effect)) {
            problems.add(new Problem(em.pos(), "'expect' needs 'effect: allow', 'effect: deny' or 'effect: ask'"));
        }
        Set<String> after = m.entries().containsKey("labels") ? labelNames(m.entries().get("labels"), problems) : null;
        if (problems.size() > before) {
            return null;
        }
        return new Step(m.pos(), new Request(family, action, target, "", List.of()), facts, effect, str(em, "rule"), str(em, "code"),
                str(em, "sandbox"), after);
    }

    private static Set<String> labelNames(Node n, List<Problem> problems) {
        if (!(n instanceof Node.Seq seq)) {
            problems.add(new Problem(n.pos(), "'labels' is a list of session label names, e.g. [secret]"));
            return Set.of();
        }
        Set<String> out = new java.util.TreeSet<>();
        for (Node i : seq.items()) {
            if (i instanceof Node.Scalar sc && sc.value() instanceof String str && SessionTerms.LABEL.matcher(str).matches()) {
                out.add(str);
            } else {
                problems.add(new Problem(i.pos(), "a session label name is lower case letters, digits, '-' or '_', starting with a letter"));
            }
        }
        return Set.copyOf(out);
    }

    /** {@code ask} for a call a rule holds for approval (a test has no one to approve it). */
    static String effect(Decision d) {
        return d.code().equals(dev.agt.protocol.Reasons.APPROVAL_REQUIRED) ? "ask" : d.allowed() ? "allow" : "deny";
    }

    /** Runs every case; each case's session starts with its own labels and carries those its steps' deciding rules set. */
    public static List<Result> run(Policy policy, List<Case> cases) {
        Evaluator ev = new Evaluator();
        List<Result> out = new ArrayList<>();
        for (Case c : cases) {
            Set<String> labels = new java.util.TreeSet<>(c.labels());
            Result r = null;
            for (int i = 0; i < c.steps().size() && r == null; i++) {
                Step s = c.steps().get(i);
                Set<String> before = Set.copyOf(labels);
                Decision d = ev.evaluate(policy, s.request(), c.agent(), s.facts(), before).decision();
                ev.labelsSet(policy, s.request(), c.agent(), s.facts(), before, d).forEach(l -> labels.add(l.label().label()));
                boolean ok = matches(s, d) && (s.labelsAfter() == null || s.labelsAfter().equals(labels));
                if (!ok || i == c.steps().size() - 1) {
                    r = new Result(c, ok ? -1 : i, d, Set.copyOf(labels), ok);
                }
            }
            out.add(r);
        }
        return out;
    }

    static boolean matches(Step s, Decision d) {
        return effect(d).equals(s.effect())
                && (s.rule() == null || s.rule().equals(d.rule()))
                && (s.code() == null || s.code().equals(d.code()))
                && (s.sandbox() == null || s.sandbox().equals(d.sandbox()));
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
