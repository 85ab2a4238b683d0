package dev.agt.engine.policy;

import dev.agt.protocol.Family;
import dev.agt.config.Node;
import dev.agt.config.Source;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** Reads and validates one rule mapping. Problems go to the loader; a broken rule yields null. */
final class RuleReader {
    /** The sandbox module's built-in profiles (a typo must fail at load, not at the first launch) or a profile file. */
    static final Pattern SANDBOX_PROFILE = Pattern.compile("strict|workspace|networked|/[^\\u0000]+\\.ya?ml");
    private final PolicyLoader loader;
    private final Map<String, String> vars;
    private boolean ok = true;
    /** The canonical match body: sorted keys, set-like lists sorted. */
    private final Map<String, Object> body = new TreeMap<>();

    RuleReader(PolicyLoader loader, Map<String, String> vars) {
        this.loader = loader;
        this.vars = vars;
    }

    Rule read(Node node) {
        if (!(node instanceof Node.Map_ m)) {
            loader.problem(node.pos(), "a rule is a mapping with id, effect and family, not " + Node.kind(node));
            return null;
        }
        loader.unknownKeys(m, PolicyLoader.RULE_KEYS);
        Map<String, Node> e = m.entries();
        String id = requiredString(m, "id");
        if (id != null && !PolicyLoader.ID.matcher(id).matches()) {
            fail(e.get("id").pos(), "rule id '" + id + "' must be 1-128 letters, digits, '_', '.', ':' or '-', starting with a letter or digit");
        } else if (id != null && id.startsWith(PolicyLoader.BUILTIN_RULE_PREFIX) && !e.get("id").pos().file().startsWith("<builtin>/")) {
            fail(e.get("id").pos(), "rule ids starting with '" + PolicyLoader.BUILTIN_RULE_PREFIX + "' are the engine's own; switch a built-in rule with"
                    + " builtin_rules: {NAME: enforce|monitor|off}");
        }
        String effect = requiredString(m, "effect");
        boolean deny = false;
        boolean ask = false;
        if (effect != null) {
            if (effect.equals("deny")) {
                deny = true;
            } else if (effect.equals("ask")) {
                ask = true;
            } else if (!effect.equals("allow")) {
                fail(e.get("effect").pos(), "effect must be 'allow', 'deny' or 'ask', not '" + effect + "'");
            }
        }
        Family family = null;
        Node famNode = e.get("family");
        if (famNode instanceof Node.Seq) {
            fail(famNode.pos(), "'family' takes one family; write one rule per family");
        } else {
            String f = requiredString(m, "family");
            if (f != null) {
                family = Family.of(f).orElse(null);
                if (family == null) {
                    String near = PolicyLoader.nearest(f, Set.copyOf(Family.KEYS));
                    fail(famNode.pos(), "unknown family '" + f + "'" + (near != null ? " (did you mean '" + near + "'?)"
                            : " (families: " + String.join(", ", Family.KEYS) + ")"));
                }
            }
        }
        if (family != null) {
            body.put("family", family.key());
            for (Map.Entry<String, Set<Family>> k : PolicyLoader.KEY_FAMILIES.entrySet()) {
                if (e.containsKey(k.getKey()) && !k.getValue().contains(family)) {
                    fail(m.keys().get(k.getKey()), "'" + k.getKey() + "' does not apply to family " + family.key()
                            + " (it applies to " + families(k.getValue()) + ")");
                }
            }
        }
        Set<String> actions = Set.of();
        if (e.containsKey("actions")) {
            TreeSet<String> acts = new TreeSet<>();
            for (Node.Scalar a : loader.stringList(e.get("actions"), "actions")) {
                String act = (String) a.value();
                if (family != null && !family.actions().contains(act)) {
                    String near = PolicyLoader.nearest(act, family.actions());
                    fail(a.pos(), "family " + family.key() + " has no action '" + act + "'" + (near != null ? " (did you mean '" + near + "'?)"
                            : " (its actions: " + String.join(", ", new TreeSet<>(family.actions())) + ")"));
                } else if (!acts.add(act)) {
                    fail(a.pos(), "action '" + act + "' is listed twice");
                }
            }
            if (family != null && acts.equals(family.actions())) {
                acts.clear(); // all actions listed means the same as none listed
            }
            actions = Set.copyOf(acts);
            if (!acts.isEmpty()) {
                body.put("actions", List.copyOf(acts));
            }
        }
        List<Condition> conds = new ArrayList<>();
        if (e.containsKey("paths")) {
            conds.add(new Condition.Paths(patterns(e.get("paths"), "paths", Glob.Kind.PATH, true)));
        }
        if (e.containsKey("hosts")) {
            conds.add(new Condition.Hosts(patterns(e.get("hosts"), "hosts", Glob.Kind.HOST, false)));
        }
        if (e.containsKey("cidrs")) {
            conds.add(cidrs(e.get("cidrs")));
        }
        if (e.containsKey("ports")) {
            conds.add(ports(e.get("ports")));
        }
        if (e.containsKey("transports")) {
            conds.add(oneOf(e.get("transports"), "transports", "transport", PolicyLoader.TRANSPORTS));
        }
        if (e.containsKey("methods")) {
            conds.add(oneOf(e.get("methods"), "methods", "method", null));
        }
        if (e.containsKey("executables")) {
            conds.add(new Condition.Strings("executables", "executable", matchers(e.get("executables"), "executables")));
        }
        if (e.containsKey("argv")) {
            conds.add(argv(e.get("argv")));
        }
        if (e.containsKey("servers")) {
            conds.add(new Condition.Strings("servers", "server", patterns(e.get("servers"), "servers", Glob.Kind.NAME, false)));
        }
        if (e.containsKey("providers")) {
            conds.add(new Condition.Strings("providers", "provider", patterns(e.get("providers"), "providers", Glob.Kind.NAME, false)));
        }
        if (e.containsKey("models")) {
            conds.add(new Condition.Strings("models", "model", patterns(e.get("models"), "models", Glob.Kind.NAME, false)));
        }
        if (e.containsKey("tools")) {
            conds.add(new Condition.Strings("tools", "tool", patterns(e.get("tools"), "tools", Glob.Kind.NAME, false)));
        }
        if (e.containsKey("where")) {
            where(e.get("where"), conds);
        }
        Set<Fact> when = Set.of();
        Set<String> whenLabels = new TreeSet<>();
        if (e.containsKey("when")) {
            when = facts(e.get("when"), "when", family, actions, whenLabels);
        }
        Set<Fact> unlessFacts = Set.of();
        Set<String> unlessLabels = new TreeSet<>();
        if (e.containsKey("unless")) {
            unlessFacts = facts(e.get("unless"), "unless", family, actions, unlessLabels);
            for (String l : unlessLabels) {
                if (whenLabels.contains(l)) {
                    fail(e.get("unless").pos(), "label '" + l + "' is both required (when) and forbidden (unless): the rule could never match");
                }
            }
        }
        List<SessionTerms.LabelSet> sets = List.of();
        if (e.containsKey("labels")) {
            sets = labels(e.get("labels"));
        }
        SessionTerms session = whenLabels.isEmpty() && unlessLabels.isEmpty() && unlessFacts.isEmpty() && sets.isEmpty() ? SessionTerms.NONE
                : new SessionTerms(whenLabels, unlessLabels, unlessFacts, sets);
        if (e.containsKey("agents")) {
            Condition a = agents(e.get("agents"));
            if (a != null) {
                conds.add(a);
            }
        }
        Rule.RateLimit limit = null;
        if (e.containsKey("limit")) {
            limit = limit(e.get("limit"));
            if (limit != null && deny) {
                fail(e.get("limit").pos(), "'limit' applies to allow rules (a deny has nothing to ration)");
            }
        }
        Mode mode = null;
        if (e.containsKey("mode")) {
            mode = mode(e.get("mode"), effect == null || deny);
        }
        String sandbox = optionalString(m, "sandbox");
        if (sandbox != null) {
            if (deny || family != Family.PROCESS) {
                fail(e.get("sandbox").pos(), "'sandbox' applies to allow rules of family process (a launch allowed only inside that profile)");
            } else if (limit != null) {
                fail(e.get("sandbox").pos(), "a sandboxed allow takes no 'limit'");
            } else if (!SANDBOX_PROFILE.matcher(sandbox).matches()) {
                fail(e.get("sandbox").pos(), "'" + sandbox + "' is not a sandbox profile: a built-in name (strict, workspace, networked) "
                        + "or an absolute path to a profile file");
            }
            body.put("sandbox", sandbox);
        }
        Rule.Ask asking = null;
        if (ask) {
            java.time.Duration timeout = Rule.Ask.DEFAULT_TIMEOUT;
            java.time.Duration remember = java.time.Duration.ZERO;
            if (e.containsKey("timeout")) {
                timeout = duration(e.get("timeout")).orElse(Rule.Ask.DEFAULT_TIMEOUT);
                if (timeout.compareTo(java.time.Duration.ofHours(1)) > 0) {
                    fail(e.get("timeout").pos(), "'timeout' is at most 1h: a held call keeps its thread waiting");
                }
            }
            if (e.containsKey("remember")) {
                remember = duration(e.get("remember")).orElse(java.time.Duration.ZERO);
            }
            if (limit != null || sandbox != null || mode != null) {
                fail(m.pos(), "an ask rule takes no 'limit', 'sandbox' or 'mode'");
            }
            // labels: set when a person approves the call (it then goes ahead like an allowed one)
            asking = new Rule.Ask(timeout, remember);
            body.put("ask", timeout.toSeconds() + "/" + remember.toSeconds());
        } else {
            for (String k : List.of("timeout", "remember")) {
                if (e.containsKey(k)) {
                    fail(e.get(k).pos(), "'" + k + "' applies to rules with effect: ask");
                }
            }
        }
        String reason = optionalString(m, "reason");
        optionalString(m, "description");
        if (!ok || id == null || family == null || effect == null) {
            return null;
        }
        return new Rule(id, deny, family, actions, List.copyOf(conds), when, limit, mode, sandbox, reason == null ? "" : reason, m.pos(),
                PolicyLoader.canonical(body), session, asking);
    }

    private static String families(Set<Family> fs) {
        TreeSet<String> s = new TreeSet<>();
        fs.forEach(f -> s.add(f.key()));
        return String.join(", ", s);
    }

    private void fail(Source.Pos pos, String msg) {
        ok = false;
        loader.problem(pos, msg);
    }

    private String requiredString(Node.Map_ m, String key) {
        Node n = m.entries().get(key);
        if (n == null) {
            fail(m.pos(), "rule is missing '" + key + "'");
            return null;
        }
        if (!(n instanceof Node.Scalar s) || !s.isString() || ((String) s.value()).isEmpty()) {
            fail(n.pos(), "'" + key + "' must be a non-empty string, not " + Node.kind(n));
            return null;
        }
        return (String) s.value();
    }

    private String optionalString(Node.Map_ m, String key) {
        Node n = m.entries().get(key);
        if (n == null) {
            return null;
        }
        if (!(n instanceof Node.Scalar s) || !s.isString()) {
            fail(n.pos(), "'" + key + "' must be a string, not " + Node.kind(n));
            return null;
        }
        return (String) s.value();
    }

    private String value(Node.Scalar s) {
        String v = loader.subst((String) s.value(), s.pos(), vars);
        if (v == null) {
            ok = false;
        }
        return v;
    }

    private List<StringPattern> patterns(Node n, String key, Glob.Kind kind, boolean absolutePaths) {
        List<StringPattern> out = new ArrayList<>();
        TreeSet<String> canon = new TreeSet<>();
        for (Node.Scalar s : loader.stringList(n, key)) {
            String v = value(s);
            if (v == null) {
                continue;
            }
            StringPattern p = glob(s, v, kind, absolutePaths);
            if (p != null) {
                out.add(p);
                canon.add(kind == Glob.Kind.HOST ? v.toLowerCase(Locale.ROOT) : v);
            }
        }
        if (out.isEmpty()) {
            ok = false;
        }
        body.put(key, List.copyOf(canon));
        return List.copyOf(out);
    }

    /**
     * Why a {@code where} host pattern could never match, or null. URL hosts are compared in
     * canonical form (ASCII, punycode, no trailing dot), so a pattern in Unicode or ending in a
     * dot would be a deny that silently never denies.
     */
    static String deadUrlHostPattern(String v) {
        if (v.length() > 1 && v.endsWith(".")) {
            return "host pattern '" + v + "' ends with '.'; hosts are matched without their trailing dot, so it could never match: write '"
                    + v.replaceAll("\\.+$", "") + "'";
        }
        if (v.chars().anyMatch(c -> c >= 0x80)) {
            StringBuilder ascii = new StringBuilder();
            for (String label : v.split("\\.", -1)) {
                if (ascii.length() > 0 || v.startsWith(".")) {
                    ascii.append('.');
                }
                if (label.chars().allMatch(c -> c < 0x80)) {
                    ascii.append(label);
                } else if (label.chars().anyMatch(c -> "*?{}\\,".indexOf(c) >= 0)) {
                    ascii = null;
                    break;
                } else {
                    try {
                        ascii.append(HostParser.domainToAscii(label));
                    } catch (HostParser.Failure f) {
                        ascii = null;
                        break;
                    }
                }
            }
            return "host pattern '" + v + "' is not ASCII; URL hosts are matched in their ASCII (punycode) form, so it could never match"
                    + (ascii == null ? "" : ": write '" + ascii + "'");
        }
        return null;
    }

    private StringPattern glob(Node.Scalar s, String v, Glob.Kind kind, boolean absolutePaths) {
        if (absolutePaths) {
            if (!v.startsWith("/") && !v.startsWith("**/") && !v.startsWith("${agent.id}")) {
                fail(s.pos(), "path pattern '" + v + "' must be absolute (start with '/') or start with '**/'");
                return null;
            }
            if (v.contains("/../") || v.endsWith("/..") || v.contains("/./") || v.endsWith("/.") || v.contains("//")) {
                fail(s.pos(), "path pattern '" + v + "' is not normalized ('..', '.' or '//'); paths are matched after resolution, so it could never match");
                return null;
            }
            if (v.length() > 1 && v.endsWith("/")) {
                fail(s.pos(), "path pattern '" + v + "' ends with '/'; write '" + v + "**' for everything below it, or drop the '/'");
                return null;
            }
        }
        try {
            if (v.contains(StringPattern.AgentGlob.PLACEHOLDER)) {
                return new StringPattern.AgentGlob(v, kind);
            }
            return new StringPattern.GlobPattern(Glob.compile(v, kind));
        } catch (IllegalArgumentException ex) {
            fail(s.pos(), "bad pattern '" + v + "': " + ex.getMessage());
            return null;
        }
    }

    /** Executables: a glob string, or {prefix: ...} / {regex: ...}. */
    private List<StringPattern> matchers(Node n, String key) {
        List<Node> items = n instanceof Node.Seq s ? s.items() : List.of(n);
        if (items.isEmpty()) {
            fail(n.pos(), "'" + key + "' is an empty list; leave the key out instead");
        }
        List<StringPattern> out = new ArrayList<>();
        TreeSet<String> canon = new TreeSet<>();
        for (Node i : items) {
            StringPattern p = matcher(i, key, Glob.Kind.PATH);
            if (p != null) {
                out.add(p);
                canon.add(p.text());
            }
        }
        body.put(key, List.copyOf(canon));
        return out;
    }

    private StringPattern matcher(Node i, String key, Glob.Kind kind) {
        if (i instanceof Node.Scalar s && s.isString() && !((String) s.value()).isEmpty()) {
            String v = value(s);
            return v == null ? null : glob(s, v, kind, false);
        }
        if (i instanceof Node.Map_ m && m.entries().size() == 1
                && (m.entries().containsKey("prefix") || m.entries().containsKey("regex"))) {
            String k = m.entries().keySet().iterator().next();
            Node v = m.entries().get(k);
            if (!(v instanceof Node.Scalar s) || !s.isString() || ((String) s.value()).isEmpty()) {
                fail(v.pos(), "'" + k + "' takes a non-empty string");
                return null;
            }
            String text = value(s);
            if (text == null) {
                return null;
            }
            if (k.equals("prefix")) {
                return new StringPattern.Prefix(text);
            }
            try {
                return new StringPattern.Regex(Pattern.compile(text));
            } catch (PatternSyntaxException ex) {
                fail(s.pos(), "bad regex '" + text + "': " + ex.getDescription() + " near index " + ex.getIndex());
                return null;
            }
        }
        fail(i.pos(), "'" + key + "' entries are a pattern string, {prefix: ...} or {regex: ...}");
        return null;
    }

    private Condition cidrs(Node n) {
        List<Ip.Cidr> out = new ArrayList<>();
        TreeSet<String> canon = new TreeSet<>();
        for (Node.Scalar s : loader.stringList(n, "cidrs")) {
            String v = value(s);
            if (v == null) {
                continue;
            }
            try {
                Ip.Cidr c = Ip.Cidr.parse(v);
                out.add(c);
                canon.add(v);
            } catch (IllegalArgumentException ex) {
                fail(s.pos(), "bad CIDR '" + v + "': " + ex.getMessage());
            }
        }
        body.put("cidrs", List.copyOf(canon));
        return new Condition.Cidrs(List.copyOf(out));
    }

    private Condition ports(Node n) {
        List<Node> items = n instanceof Node.Seq s ? s.items() : List.of(n);
        if (items.isEmpty()) {
            fail(n.pos(), "'ports' is an empty list; leave the key out instead");
        }
        List<long[]> out = new ArrayList<>();
        TreeSet<String> canon = new TreeSet<>();
        for (Node i : items) {
            long[] r = null;
            if (i instanceof Node.Scalar s && s.value() instanceof Long p) {
                r = new long[] {p, p};
            } else if (i instanceof Node.Scalar s && s.value() instanceof String str) {
                Matcher mm = Pattern.compile("([0-9]{1,5})\\s*-\\s*([0-9]{1,5})").matcher(str.trim());
                if (mm.matches()) {
                    r = new long[] {Long.parseLong(mm.group(1)), Long.parseLong(mm.group(2))};
                }
            }
            if (r == null) {
                fail(i.pos(), "a port is a number 0-65535 or a range 'FROM-TO', not " + describe(i));
            } else if (r[0] < 0 || r[1] > 65535 || r[0] > r[1]) {
                fail(i.pos(), "port range " + r[0] + "-" + r[1] + " is outside 0-65535 or reversed");
            } else {
                out.add(r);
                canon.add(r[0] + "-" + r[1]);
            }
        }
        body.put("ports", List.copyOf(canon));
        return new Condition.Ports(List.copyOf(out));
    }

    private static String describe(Node i) {
        if (i instanceof Node.Scalar s && s.value() instanceof Double d && !Double.isFinite(d)) {
            return "a non-finite number";
        }
        if (i instanceof Node.Scalar s && s.value() instanceof Double) {
            return "a fraction";
        }
        if (i instanceof Node.Scalar s && s.value() != null) {
            return "'" + s.value() + "'";
        }
        return Node.kind(i);
    }

    private Condition oneOf(Node n, String key, String field, Set<String> allowed) {
        TreeSet<String> vals = new TreeSet<>();
        for (Node.Scalar s : loader.stringList(n, key)) {
            String v = ((String) s.value()).toLowerCase(Locale.ROOT);
            if (allowed != null && !allowed.contains(v)) {
                fail(s.pos(), "unknown " + field + " '" + s.value() + "' (one of: " + String.join(", ", new TreeSet<>(allowed)) + ")");
            }
            vals.add(v);
        }
        body.put(key, List.copyOf(vals));
        return new Condition.OneOf(key, field, Set.copyOf(vals));
    }

    private Condition argv(Node n) {
        if (!(n instanceof Node.Seq seq) || seq.items().isEmpty()) {
            fail(n.pos(), "'argv' is a non-empty list of per-position patterns");
            return new Condition.Argv(List.of(), false);
        }
        List<List<StringPattern>> positions = new ArrayList<>();
        List<Object> canon = new ArrayList<>();
        boolean open = false;
        for (int idx = 0; idx < seq.items().size(); idx++) {
            Node i = seq.items().get(idx);
            if (i instanceof Node.Scalar s && "**".equals(s.value())) {
                if (idx != seq.items().size() - 1) {
                    fail(i.pos(), "'**' in argv stands for any remaining arguments, so it must come last");
                }
                open = true;
                canon.add("**");
                continue;
            }
            if (i instanceof Node.Scalar s && s.isString()) {
                String v = value(s);
                if (v == null) {
                    continue;
                }
                List<StringPattern> alts = new ArrayList<>();
                for (String alt : v.split("(?<!\\\\)\\|", -1)) {
                    StringPattern p = glob(s, alt.replace("\\|", "|"), Glob.Kind.NAME, false);
                    if (p != null) {
                        alts.add(p);
                    }
                }
                positions.add(List.copyOf(alts));
                canon.add(v);
            } else {
                StringPattern p = matcher(i, "argv", Glob.Kind.NAME);
                if (p != null) {
                    positions.add(List.of(p));
                    canon.add(p.text());
                }
            }
        }
        body.put("argv", canon);
        return new Condition.Argv(List.copyOf(positions), open);
    }

    private void where(Node n, List<Condition> conds) {
        List<Node> items = n instanceof Node.Seq s ? s.items() : List.of(n);
        if (items.isEmpty()) {
            fail(n.pos(), "'where' is an empty list; leave the key out instead");
        }
        TreeSet<String> canon = new TreeSet<>();
        for (Node i : items) {
            if (!(i instanceof Node.Map_ m)) {
                fail(i.pos(), "a 'where' entry is a mapping like {pointer: /path, glob: \"/work/**\"}");
                continue;
            }
            loader.unknownKeys(m, PolicyLoader.WHERE_KEYS);
            Node p = m.entries().get("pointer");
            if (!(p instanceof Node.Scalar ps) || !ps.isString()) {
                fail(m.pos(), "a 'where' entry needs 'pointer' (a JSON pointer such as /path)");
                continue;
            }
            List<String> tokens;
            try {
                tokens = JsonPointer.parse((String) ps.value());
            } catch (IllegalArgumentException ex) {
                fail(ps.pos(), "bad JSON pointer '" + ps.value() + "': " + ex.getMessage());
                continue;
            }
            List<String> ops = new ArrayList<>(m.entries().keySet());
            ops.remove("pointer");
            ops.retainAll(PolicyLoader.WHERE_KEYS);
            if (ops.size() != 1) {
                fail(m.pos(), "a 'where' entry needs exactly one test: glob, equals, prefix, regex, host, cidr or present");
                continue;
            }
            String op = ops.get(0);
            Node v = m.entries().get(op);
            Object operand = null;
            if (op.equals("equals")) {
                if (!(v instanceof Node.Scalar s)) {
                    fail(v.pos(), "'equals' compares with a scalar, not " + Node.kind(v));
                    continue;
                }
                operand = s.value() instanceof String str ? value(s) : s.value();
                if (operand instanceof Double d && !Double.isFinite(d)) {
                    fail(v.pos(), "'equals' cannot compare with a non-finite number");
                    continue;
                }
            } else if (op.equals("present")) {
                if (!(v instanceof Node.Scalar s) || !(s.value() instanceof Boolean)) {
                    fail(v.pos(), "'present' takes true or false");
                    continue;
                }
                operand = s.value();
            } else {
                if (!(v instanceof Node.Scalar s) || !s.isString() || ((String) s.value()).isEmpty()) {
                    fail(v.pos(), "'" + op + "' takes a non-empty string, not " + Node.kind(v));
                    continue;
                }
                String text = value(s);
                if (text == null) {
                    continue;
                }
                switch (op) {
                    case "glob":
                        operand = glob(s, text, Glob.Kind.PATH, false);
                        break;
                    case "host": {
                        String dead = deadUrlHostPattern(text);
                        if (dead != null) {
                            fail(s.pos(), dead);
                        } else {
                            operand = glob(s, text, Glob.Kind.HOST, false);
                        }
                        break;
                    }
                    case "prefix":
                        operand = new StringPattern.Prefix(text);
                        break;
                    case "regex":
                        try {
                            operand = new StringPattern.Regex(Pattern.compile(text));
                        } catch (PatternSyntaxException ex) {
                            fail(s.pos(), "bad regex '" + text + "': " + ex.getDescription() + " near index " + ex.getIndex());
                        }
                        break;
                    default: // cidr
                        try {
                            operand = Ip.Cidr.parse(text);
                        } catch (IllegalArgumentException ex) {
                            fail(s.pos(), "bad CIDR '" + text + "': " + ex.getMessage());
                        }
                }
                if (operand == null) {
                    continue;
                }
            }
            conds.add(new Condition.Where((String) ps.value(), tokens, op, operand));
            canon.add(ps.value() + " " + op + " " + (operand instanceof StringPattern sp ? sp.text()
                    : operand instanceof Ip.Cidr c ? c.text() : String.valueOf(operand)));
        }
        body.put("where", List.copyOf(canon));
    }

    private Condition agents(Node n) {
        if (!(n instanceof Node.Map_ m)) {
            fail(n.pos(), "'agents' is a mapping with names, ids and/or labels");
            return null;
        }
        loader.unknownKeys(m, PolicyLoader.AGENT_KEYS);
        List<StringPattern> names = List.of();
        Set<String> ids = Set.of();
        Map<String, String> labels = Map.of();
        Map<String, Object> canon = new TreeMap<>();
        if (m.entries().containsKey("names")) {
            names = new ArrayList<>();
            TreeSet<String> c = new TreeSet<>();
            for (Node.Scalar s : loader.stringList(m.entries().get("names"), "names")) {
                StringPattern p = glob(s, (String) s.value(), Glob.Kind.NAME, false);
                if (p != null) {
                    names.add(p);
                    c.add(p.text());
                }
            }
            canon.put("names", List.copyOf(c));
        }
        if (m.entries().containsKey("ids")) {
            TreeSet<String> c = new TreeSet<>();
            for (Node.Scalar s : loader.stringList(m.entries().get("ids"), "ids")) {
                c.add((String) s.value());
            }
            ids = Set.copyOf(c);
            canon.put("ids", List.copyOf(c));
        }
        if (m.entries().containsKey("labels")) {
            Node l = m.entries().get("labels");
            if (!(l instanceof Node.Map_ lm) || lm.entries().isEmpty()) {
                fail(l.pos(), "'labels' is a non-empty mapping of label names to values");
            } else {
                TreeMap<String, String> c = new TreeMap<>();
                for (Map.Entry<String, Node> e : lm.entries().entrySet()) {
                    if (e.getValue() instanceof Node.Scalar s && s.isString()) {
                        c.put(e.getKey(), (String) s.value());
                    } else {
                        fail(e.getValue().pos(), "label '" + e.getKey() + "' must be a string value");
                    }
                }
                labels = Map.copyOf(c);
                canon.put("labels", c);
            }
        }
        if (canon.isEmpty()) {
            fail(m.pos(), "'agents' needs at least one of names, ids, labels");
            return null;
        }
        body.put("agents", canon);
        return new Condition.Agents(List.copyOf(names), ids, labels);
    }

    /**
     * The facts of a {@code when:} or {@code unless:} list; its {@code session.NAME} entries go to
     * {@code labels}. Both enter the canonical body.
     */
    private Set<Fact> facts(Node n, String key, Family family, Set<String> actions, Set<String> labels) {
        EnumSet<Fact> facts = EnumSet.noneOf(Fact.class);
        for (Node.Scalar s : loader.stringList(n, key)) {
            String name = (String) s.value();
            if (name.startsWith(SessionTerms.PREFIX)) {
                String label = name.substring(SessionTerms.PREFIX.length());
                if (!SessionTerms.LABEL.matcher(label).matches()) {
                    fail(s.pos(), "'" + name + "': a session label is lower case letters, digits, '-' or '_' (at most 64), starting with a letter");
                } else if (!labels.add(label)) {
                    fail(s.pos(), "'" + name + "' is listed twice");
                }
                continue;
            }
            Fact f = Fact.of(name);
            if (f == null) {
                fail(s.pos(), "unknown fact '" + name + "'" + suggestFact(name) + "; session labels are written session.NAME");
            } else if (family != null && !f.families().contains(family)) {
                fail(s.pos(), "fact '" + name + "' is about MCP requests (family mcp); rules of family " + family.key()
                        + " test session labels (session.NAME)");
            } else if (!facts.add(f)) {
                fail(s.pos(), "fact '" + name + "' is listed twice");
            } else if (f == Fact.MCP_TOOL_UNKNOWN && actions.equals(Set.of("list"))) {
                fail(s.pos(), "'mcp.tool.unknown' never holds for action list (a listed tool is seen by that list); it is a fact about calls");
            }
        }
        if (facts.isEmpty() && labels.isEmpty()) {
            ok = false; // the problem is already reported
        }
        TreeSet<String> canon = new TreeSet<>();
        facts.forEach(f -> canon.add(f.key()));
        labels.forEach(l -> canon.add(SessionTerms.PREFIX + l));
        body.put(key, List.copyOf(canon));
        return Set.copyOf(facts);
    }

    /** {@code labels: [secret, {label: untrusted, for: 30m}]}: what the rule sets on the session when it decides a call. */
    private List<SessionTerms.LabelSet> labels(Node n) {
        if (!(n instanceof Node.Seq seq) || seq.items().isEmpty()) {
            fail(n.pos(), "'labels' is a list of labels the rule sets on the session, e.g. [secret, {label: untrusted, for: 30m}]");
            return List.of();
        }
        List<SessionTerms.LabelSet> out = new ArrayList<>();
        Set<String> seen = new TreeSet<>();
        List<Object> canon = new ArrayList<>();
        for (Node item : seq.items()) {
            String label = null;
            java.util.Optional<java.time.Duration> ttl = java.util.Optional.empty();
            if (item instanceof Node.Scalar sc && sc.value() instanceof String str) {
                label = str;
            } else if (item instanceof Node.Map_ im) {
                loader.unknownKeys(im, Set.of("label", "for"));
                label = im.entries().get("label") instanceof Node.Scalar ls && ls.value() instanceof String str ? str : null;
                if (label == null) {
                    fail(im.pos(), "a label with a lifetime is written {label: NAME, for: 30m}");
                    continue;
                }
                Node f = im.entries().get("for");
                if (f != null) {
                    ttl = duration(f);
                    if (ttl.isEmpty()) {
                        continue;
                    }
                }
            } else {
                fail(item.pos(), "a label is a NAME or {label: NAME, for: 30m}, not " + describe(item));
                continue;
            }
            if (!SessionTerms.LABEL.matcher(label).matches()) {
                fail(item.pos(), "'" + label + "' is not a label name: lower case letters, digits, '-' or '_' (at most 64), starting with a letter");
                continue;
            }
            if (!seen.add(label)) {
                fail(item.pos(), "label '" + label + "' is listed twice");
                continue;
            }
            out.add(new SessionTerms.LabelSet(label, ttl));
            canon.add(ttl.isEmpty() ? label : Map.of("label", label, "for", ttl.get().toSeconds()));
        }
        body.put("labels", canon);
        return List.copyOf(out);
    }

    private static final Pattern DURATION = Pattern.compile("([1-9][0-9]{0,5})([smhd])");

    /** A lifetime such as 45s, 30m, 12h or 7d (at most 366 days). */
    private java.util.Optional<java.time.Duration> duration(Node n) {
        Matcher mm = n instanceof Node.Scalar s && s.value() instanceof String str ? DURATION.matcher(str) : null;
        if (mm != null && mm.matches()) {
            long k = Long.parseLong(mm.group(1));
            java.time.Duration d = switch (mm.group(2)) {
                case "s" -> java.time.Duration.ofSeconds(k);
                case "m" -> java.time.Duration.ofMinutes(k);
                case "h" -> java.time.Duration.ofHours(k);
                default -> java.time.Duration.ofDays(k);
            };
            if (d.compareTo(java.time.Duration.ofDays(366)) <= 0) {
                return java.util.Optional.of(d);
            }
        }
        fail(n.pos(), "'for' is a lifetime such as 45s, 30m, 12h or 7d (at most 366 days), not " + describe(n));
        return java.util.Optional.empty();
    }

    /** " (did you mean 'x'?)" for a near or partial fact name, else the list of facts. */
    static String suggestFact(String name) {
        String near = PolicyLoader.nearest(name, Fact.names());
        if (near == null) {
            for (String f : Fact.names()) {
                if (f.endsWith("." + name.toLowerCase(Locale.ROOT))) {
                    near = f;
                }
            }
        }
        return near != null ? " (did you mean '" + near + "'?)" : " (facts: " + String.join(", ", Fact.names()) + ")";
    }

    private Mode mode(Node n, boolean denyRule) {
        Mode m = n instanceof Node.Scalar s && s.value() instanceof String str ? Mode.of(str) : null;
        if (m == null) {
            fail(n.pos(), "'mode' is 'enforce' or 'monitor', not " + describe(n));
            return null;
        }
        if (!denyRule) {
            fail(n.pos(), "'mode' applies to deny rules (an allow rule makes no denial to monitor); the policy's own 'mode' covers default-deny");
            return null;
        }
        return m;
    }

    private Rule.RateLimit limit(Node n) {
        if (n instanceof Node.Scalar s && s.value() instanceof String str) {
            Matcher mm = PolicyLoader.LIMIT.matcher(str.trim());
            if (mm.matches()) {
                long count = Long.parseLong(mm.group(1));
                if (count < 1) {
                    fail(n.pos(), "a limit must allow at least 1 call");
                    return null;
                }
                TimeUnit unit = switch (mm.group(2)) {
                    case "second" -> TimeUnit.SECONDS;
                    case "minute" -> TimeUnit.MINUTES;
                    case "hour" -> TimeUnit.HOURS;
                    default -> TimeUnit.DAYS;
                };
                return new Rule.RateLimit(count, unit.toNanos(1), count + "/" + mm.group(2));
            }
        }
        fail(n.pos(), "a limit is written COUNT/UNIT with a whole, positive COUNT and UNIT second, minute, hour or day (e.g. 60/minute), not "
                + describe(n));
        return null;
    }
}
