package dev.agt.engine.policy;

import dev.agt.protocol.Family;
import dev.agt.config.Keys;
import dev.agt.config.Node;
import dev.agt.config.Source;
import dev.agt.config.Problem;
import dev.agt.config.YamlReader;
import dev.agt.identity.CanonicalJson;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a policy file and its includes, resolves variables, validates everything and compiles
 * the rules. Every problem found is reported, each with {@code file:line:column}; a policy with
 * any problem is refused whole.
 */
public final class PolicyLoader {
    /** The id prefix of the engine's built-in rules; a policy's own rule may not use it. */
    static final String BUILTIN_RULE_PREFIX = "builtin.";
    static final Set<String> TOP_KEYS = Set.of("version", "mode", "include", "vars", "rules", "builtin_rules", "prices", "budgets");
    static final Set<String> RULE_KEYS = Set.of("id", "effect", "family", "actions", "reason", "description",
            "paths", "hosts", "cidrs", "ports", "transports", "methods", "executables", "argv", "servers", "tools",
            "providers", "models", "where", "when", "unless", "labels", "agents", "limit", "mode", "sandbox", "timeout", "remember");
    /** Which condition keys make sense for which family; the rest apply to all. */
    static final Map<String, Set<Family>> KEY_FAMILIES = Map.ofEntries(
            Map.entry("paths", Set.of(Family.FILE, Family.NATIVE, Family.NET)),
            Map.entry("hosts", Set.of(Family.NET)), Map.entry("cidrs", Set.of(Family.NET)), Map.entry("ports", Set.of(Family.NET)),
            Map.entry("transports", Set.of(Family.NET)), Map.entry("methods", Set.of(Family.NET)),
            Map.entry("executables", Set.of(Family.PROCESS)), Map.entry("argv", Set.of(Family.PROCESS)),
            Map.entry("servers", Set.of(Family.MCP)), Map.entry("tools", Set.of(Family.MCP, Family.TOOL)),
            Map.entry("providers", Set.of(Family.MODEL)), Map.entry("models", Set.of(Family.MODEL)));
    static final Set<String> WHERE_KEYS = Set.of("pointer", "glob", "equals", "prefix", "regex", "host", "cidr", "present");
    static final Set<String> AGENT_KEYS = Set.of("names", "ids", "labels");
    static final Set<String> TRANSPORTS = Set.of("tcp", "udp", "unix");
    static final Pattern VAR = Pattern.compile("\\$\\{([^}]*)}");
    static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}");
    static final Pattern LIMIT = Pattern.compile("([0-9]{1,9})\\s*/\\s*(second|minute|hour|day)");
    static final int MAX_INCLUDE_DEPTH = 8;

    private final Map<String, String> externalVars;
    private final List<Problem> problems = new ArrayList<>();
    private final List<Path> files = new ArrayList<>();
    private final Map<String, Rule> rulesById = new LinkedHashMap<>();
    private final Deque<String> stack = new ArrayDeque<>();
    private Mode mode = Mode.ENFORCE;
    private dev.agt.engine.spend.SpendPolicy spend = dev.agt.engine.spend.SpendPolicy.NONE;
    /** The built-in rules every policy carries, by name, and the state the main file set: enforce, monitor or off. */
    private final Map<String, String> builtinRules = new LinkedHashMap<>(Policy.ALWAYS);

    private PolicyLoader(Map<String, String> externalVars) {
        this.externalVars = externalVars;
    }

    /** Loads {@code file}; {@code vars} (from the command line) override the file's {@code vars}. */
    public static Policy load(Path file, Map<String, String> vars) throws PolicyException {
        PolicyLoader l = new PolicyLoader(vars);
        String text;
        String name = file.toString();
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new PolicyException(List.of(new Problem(new Source.Pos(name, 1, 1), "policy file does not exist")));
        } catch (IOException e) {
            throw new PolicyException(List.of(new Problem(new Source.Pos(name, 1, 1), "cannot read policy file: " + e.getMessage())));
        }
        l.files.add(file.toAbsolutePath().normalize());
        return l.finish(name, text, file.toAbsolutePath().getParent());
    }

    /** Loads a policy from text (tests, tools); includes resolve against {@code baseDir}. */
    public static Policy loadText(String name, String text, Path baseDir, Map<String, String> vars) throws PolicyException {
        return new PolicyLoader(vars).finish(name, text, baseDir);
    }

    private Policy finish(String name, String text, Path baseDir) throws PolicyException {
        Map<String, String> vars = new LinkedHashMap<>();
        vars.put("home", System.getProperty("user.home"));
        loadFile(name, text, baseDir, vars, 0, true);
        addBuiltinRules(vars);
        checkDuplicates();
        if (!problems.isEmpty()) {
            throw new PolicyException(problems);
        }
        List<Rule> rules = List.copyOf(rulesById.values());
        Object spendText = spend.isEmpty() ? null : spend.canonical();
        return new Policy(rules, version(rules, mode, builtinRules, spendText), List.copyOf(files), mode, Map.copyOf(builtinRules), spend);
    }

    private void loadFile(String name, String text, Path baseDir, Map<String, String> inherited, int depth, boolean main) {
        stack.push(name);
        try {
            Node root = YamlReader.read(name, text, problems);
            if (root == null) {
                if (problems.stream().noneMatch(p -> p.pos().file().equals(name))) {
                    problems.add(new Problem(new Source.Pos(name, 1, 1), "the file is empty; a policy needs 'version: 1' and 'rules:'"));
                }
                return;
            }
            if (!(root instanceof Node.Map_ top)) {
                problems.add(new Problem(root.pos(), "a policy is a mapping with 'version' and 'rules', not " + Node.kind(root)));
                return;
            }
            unknownKeys(top, TOP_KEYS);
            Node version = top.entries().get("version");
            if (version == null) {
                problems.add(new Problem(top.pos(), "missing 'version: 1'"));
            } else if (!(version instanceof Node.Scalar s && Long.valueOf(1).equals(s.value()))) {
                problems.add(new Problem(version.pos(), "unsupported policy version " + scalarText(version) + "; this engine reads version 1"));
            }
            Node modeNode = top.entries().get("mode");
            if (modeNode != null) {
                readMode(modeNode, main, top.keys().get("mode"));
            }
            Node prices = top.entries().get("prices");
            Node budgets = top.entries().get("budgets");
            if (prices != null || budgets != null) {
                if (!main) {
                    problems.add(new Problem((prices != null ? prices : budgets).pos(), "'prices' and 'budgets' are set in the main policy file only,"
                            + " not in an included file"));
                } else {
                    spend = new SpendReader(this).read(prices, budgets);
                }
            }
            Node builtinNode = top.entries().get("builtin_rules");
            if (builtinNode != null) {
                readBuiltinRules(builtinNode, main, top.keys().get("builtin_rules"));
            }
            Map<String, String> vars = new LinkedHashMap<>(inherited);
            Node varsNode = top.entries().get("vars");
            if (varsNode != null) {
                readVars(varsNode, vars);
            }
            if (main) {
                vars.putAll(externalVars); // the command line wins over the file
            }
            Node include = top.entries().get("include");
            if (include != null) {
                for (Node.Scalar inc : stringList(include, "include")) {
                    include(inc, baseDir, vars, depth);
                }
            }
            Node rules = top.entries().get("rules");
            if (rules == null) {
                if (main && include == null) {
                    problems.add(new Problem(top.pos(), "missing 'rules:'; with no rules every call is denied"));
                }
            } else if (!(rules instanceof Node.Seq seq)) {
                problems.add(new Problem(rules.pos(), "'rules' must be a list of rules, not " + Node.kind(rules)));
            } else {
                if (seq.items().isEmpty() && main && include == null) {
                    problems.add(new Problem(rules.pos(), "'rules' is empty; with no rules every call is denied"));
                }
                for (Node r : seq.items()) {
                    Rule rule = new RuleReader(this, vars).read(r);
                    if (rule != null) {
                        Rule prior = rulesById.putIfAbsent(rule.id(), rule);
                        if (prior != null) {
                            problems.add(new Problem(rule.pos(), "rule id '" + rule.id() + "' is already used at " + prior.pos()));
                        }
                    }
                }
            }
        } finally {
            stack.pop();
        }
    }

    private void include(Node.Scalar inc, Path baseDir, Map<String, String> vars, int depth) {
        String ref = subst((String) inc.value(), inc.pos(), vars);
        if (ref == null) {
            return;
        }
        if (depth + 1 > MAX_INCLUDE_DEPTH) {
            problems.add(new Problem(inc.pos(), "includes nest deeper than " + MAX_INCLUDE_DEPTH));
            return;
        }
        String name;
        String text;
        Path dir;
        if (ref.matches("[a-z0-9-]+")) {
            name = "<builtin>/" + ref + ".yaml";
            try (InputStream in = PolicyLoader.class.getResourceAsStream(ref + ".yaml")) {
                if (in == null) {
                    problems.add(new Problem(inc.pos(), "no built-in policy named '" + ref + "' (built-ins: " + String.join(", ", Policy.BUILTINS) + ")"));
                    return;
                }
                text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                problems.add(new Problem(inc.pos(), "cannot read built-in policy '" + ref + "': " + e.getMessage()));
                return;
            }
            dir = baseDir;
        } else {
            Path p = (baseDir == null ? Path.of(ref) : baseDir.resolve(ref)).toAbsolutePath().normalize();
            name = p.toString();
            try {
                text = Files.readString(p, StandardCharsets.UTF_8);
            } catch (IOException e) {
                problems.add(new Problem(inc.pos(), "cannot read included file " + p + ": "
                        + (e instanceof NoSuchFileException ? "no such file" : e.getMessage())));
                return;
            }
            files.add(p);
            dir = p.getParent();
        }
        if (stack.contains(name)) {
            problems.add(new Problem(inc.pos(), "include cycle: " + name + " is already being read"));
            return;
        }
        loadFile(name, text, dir, vars, depth + 1, false);
    }

    /** The top-level {@code mode}: the main file's alone, so an include cannot quietly switch enforcement off. */
    private void readMode(Node node, boolean main, Source.Pos keyPos) {
        if (!main) {
            problems.add(new Problem(keyPos, "'mode' applies to the whole policy and is set in the main policy file only, not in an included file"));
            return;
        }
        Mode m = node instanceof Node.Scalar s && s.value() instanceof String str ? Mode.of(str) : null;
        if (m == null) {
            problems.add(new Problem(node.pos(), "'mode' is 'enforce' or 'monitor', not " + scalarText(node)));
            return;
        }
        mode = m;
    }

    /**
     * {@code builtin_rules: {NAME: enforce|monitor|off}}: the main file's alone, like
     * {@code mode}, so an included file cannot switch a built-in rule off.
     */
    private void readBuiltinRules(Node node, boolean main, Source.Pos keyPos) {
        if (!main) {
            problems.add(new Problem(keyPos, "'builtin_rules' is set in the main policy file only, not in an included file"));
            return;
        }
        if (!(node instanceof Node.Map_ m)) {
            problems.add(new Problem(node.pos(), "'builtin_rules' must be a mapping of built-in rule names to enforce, monitor or off, not "
                    + Node.kind(node)));
            return;
        }
        for (Map.Entry<String, Node> e : m.entries().entrySet()) {
            Source.Pos kp = m.keys().get(e.getKey());
            if (!Policy.ALWAYS.containsKey(e.getKey())) {
                String near = nearest(e.getKey(), Policy.ALWAYS.keySet());
                problems.add(new Problem(kp, "no built-in rule named '" + e.getKey() + "'" + (near != null ? "; did you mean '" + near + "'?" : "")
                        + " (built-in rules: " + String.join(", ", Policy.ALWAYS.keySet()) + ")"));
                continue;
            }
            Object v = e.getValue() instanceof Node.Scalar sc ? sc.value() : null;
            if (Boolean.FALSE.equals(v)) {
                v = "off"; // YAML reads a bare off as false
            }
            if (!(v instanceof String state) || !Set.of("enforce", "monitor", "off").contains(state)) {
                problems.add(new Problem(e.getValue().pos(), "built-in rule '" + e.getKey() + "' is enforce, monitor or off, not "
                        + scalarText(e.getValue())));
                continue;
            }
            builtinRules.put(e.getKey(), state);
        }
    }

    /** Adds each built-in rule that is not off, from its file among the resources, in its state. */
    private void addBuiltinRules(Map<String, String> vars) {
        builtinRules.forEach((ruleName, state) -> {
            if (state.equals("off")) {
                return;
            }
            String name = "<builtin>/" + ruleName + ".yaml";
            try (InputStream in = PolicyLoader.class.getResourceAsStream("always/" + ruleName + ".yaml")) {
                if (in == null) {
                    throw new IOException("missing from the engine's resources");
                }
                Set<String> before = Set.copyOf(rulesById.keySet());
                loadFile(name, new String(in.readAllBytes(), StandardCharsets.UTF_8), null, vars, 1, false);
                if (state.equals("monitor")) {
                    rulesById.replaceAll((id, r) -> before.contains(id) ? r : new Rule(r.id(), r.deny(), r.family(), r.actions(), r.conditions(),
                            r.when(), r.limit(), Mode.MONITOR, r.sandbox(), r.reason(), r.pos(), r.body(), r.session(), r.ask()));
                }
            } catch (IOException e) {
                problems.add(new Problem(new Source.Pos(name, 1, 1), "cannot read built-in rule '" + ruleName + "': " + e.getMessage()));
            }
        });
    }

    private void readVars(Node node, Map<String, String> vars) {
        if (!(node instanceof Node.Map_ m)) {
            problems.add(new Problem(node.pos(), "'vars' must be a mapping of names to strings, not " + Node.kind(node)));
            return;
        }
        for (Map.Entry<String, Node> e : m.entries().entrySet()) {
            String k = e.getKey();
            Source.Pos kp = m.keys().get(k);
            if (!k.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                problems.add(new Problem(kp, "variable name '" + k + "' must be letters, digits and '_'"));
                continue;
            }
            if (k.equals("home") || k.equals("agent")) {
                problems.add(new Problem(kp, "'" + k + "' is predefined and cannot be redefined"));
                continue;
            }
            if (!(e.getValue() instanceof Node.Scalar s) || !s.isString()) {
                problems.add(new Problem(e.getValue().pos(), "variable '" + k + "' must be a string, not " + Node.kind(e.getValue())));
                continue;
            }
            String v = subst((String) s.value(), s.pos(), vars);
            if (v != null) {
                vars.put(k, v);
            }
        }
    }

    /** Substitutes {@code ${name}}; {@code ${agent.id}} stays for match time. Null after a problem. */
    String subst(String s, Source.Pos pos, Map<String, String> vars) {
        if (s.indexOf('$') < 0) {
            return s;
        }
        Matcher m = VAR.matcher(s);
        StringBuilder out = new StringBuilder();
        int last = 0;
        while (m.find()) {
            String name = m.group(1);
            out.append(s, last, m.start());
            if (name.equals("agent.id")) {
                out.append(m.group());
            } else if (vars.containsKey(name)) {
                out.append(vars.get(name));
            } else {
                problems.add(new Problem(pos, "unknown variable ${" + name + "}; define it under 'vars:' or pass --var "
                        + name + "=VALUE (predefined: ${home}, ${agent.id})"));
                return null;
            }
            last = m.end();
        }
        out.append(s.substring(last));
        String r = out.toString();
        String rest = VAR.matcher(r).replaceAll("");
        if (rest.contains("${")) {
            problems.add(new Problem(pos, "unclosed '${' in '" + s + "'"));
            return null;
        }
        return r;
    }

    void unknownKeys(Node.Map_ m, Set<String> allowed) {
        Keys.unknown(m, allowed, problems);
    }

    List<Node.Scalar> stringList(Node n, String key) {
        List<Node> items = n instanceof Node.Seq s ? s.items() : List.of(n);
        List<Node.Scalar> out = new ArrayList<>();
        for (Node i : items) {
            if (i instanceof Node.Scalar s && s.isString() && !((String) s.value()).isEmpty()) {
                out.add(s);
            } else {
                problems.add(new Problem(i.pos(), "'" + key + "' takes non-empty strings, not " + Node.kind(i)));
            }
        }
        if (n instanceof Node.Seq s && s.items().isEmpty()) {
            problems.add(new Problem(n.pos(), "'" + key + "' is an empty list; leave the key out instead"));
        }
        return out;
    }

    void problem(Source.Pos pos, String message) {
        problems.add(new Problem(pos, message));
    }

    private void checkDuplicates() {
        Map<String, Rule> byBody = new HashMap<>();
        List<Rule> sorted = new ArrayList<>(rulesById.values());
        sorted.sort((a, b) -> a.id().compareTo(b.id()));
        for (Rule r : sorted) {
            Rule other = byBody.get(r.body());
            if (other == null) {
                byBody.put(r.body(), r);
                continue;
            }
            Rule later = r.pos().compareTo(other.pos()) >= 0 ? r : other;
            Rule earlier = later == r ? other : r;
            if (r.deny() == other.deny()) {
                Rule own = later.id().startsWith(BUILTIN_RULE_PREFIX) ? earlier : later;
                Rule twin = own == later ? earlier : later;
                problems.add(new Problem(own.pos(), "rule '" + own.id() + "' matches exactly what rule '" + twin.id()
                        + "' (" + twin.pos() + ") matches; it can never change a decision, remove "
                        + (twin.id().startsWith(BUILTIN_RULE_PREFIX) ? "it (the built-in rule is in every policy)" : "one")));
            } else {
                Rule allow = r.deny() ? other : r;
                Rule deny = r.deny() ? r : other;
                if ((deny.mode() != null ? deny.mode() : mode) == Mode.MONITOR) {
                    // roll-out: watch what a deny would refuse while the allow it will replace still stands
                    continue;
                }
                problems.add(new Problem(allow.pos(), "rule '" + allow.id() + "' can never allow: rule '" + deny.id()
                        + "' (" + deny.pos() + ") denies exactly the same requests"
                        + (deny.id().startsWith(BUILTIN_RULE_PREFIX) ? "; switch it with builtin_rules: {" + deny.id().substring(BUILTIN_RULE_PREFIX.length())
                                + ": off}" : "")));
            }
        }
    }

    static String version(List<Rule> rules, Mode mode) {
        return version(rules, mode, Policy.ALWAYS, null);
    }

    /**
     * SHA-256 of the canonical policy. Modes and built-in rule states enter only when they
     * differ from the default, and the built-in rules themselves are the engine's (they come with
     * its version), so a policy that names neither keeps the version it had before they existed.
     */
    static String version(List<Rule> rules, Mode mode, Map<String, String> builtinRules, Object spendText) {
        List<Map<String, Object>> canon = new ArrayList<>();
        rules.stream().filter(r -> !r.id().startsWith(BUILTIN_RULE_PREFIX)).sorted((a, b) -> a.id().compareTo(b.id())).forEach(r -> {
            Map<String, Object> m = new TreeMap<>();
            m.put("id", r.id());
            m.put("effect", r.deny() ? "deny" : r.ask() != null ? "ask" : "allow");
            if (r.ask() != null) {
                m.put("ask", r.ask().timeout().toSeconds() + "/" + r.ask().remember().toSeconds());
            }
            m.put("match", r.body());
            m.put("reason", r.reason());
            m.put("limit", r.limit() == null ? "" : r.limit().text());
            if (r.mode() != null) {
                m.put("mode", r.mode().key());
            }
            canon.add(m);
        });
        Map<String, Object> top = new TreeMap<>();
        top.put("version", 1);
        top.put("rules", canon);
        if (mode != Mode.ENFORCE) {
            top.put("mode", mode.key());
        }
        if (!builtinRules.equals(Policy.ALWAYS)) {
            top.put("builtin_rules", new TreeMap<>(builtinRules));
        }
        if (spendText != null) {
            top.put("spend", spendText); // prices and budgets as read: a change to either is a new policy version
        }
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(CanonicalJson.bytes(top)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String canonical(Object o) {
        return CanonicalJson.string(o);
    }

    static String scalarText(Node n) {
        return n instanceof Node.Scalar s ? String.valueOf(s.value()) : Node.kind(n);
    }

    static String nearest(String word, Set<String> options) {
        return Keys.nearest(word, options);
    }
}
