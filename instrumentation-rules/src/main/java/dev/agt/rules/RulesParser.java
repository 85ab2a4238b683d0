package dev.agt.rules;

import dev.agt.config.Keys;
import dev.agt.config.Node;
import dev.agt.config.Problem;
import dev.agt.config.Source;
import dev.agt.config.YamlReader;
import dev.agt.protocol.Family;
import dev.agt.protocol.Vocabulary;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Reads an interception-rules file. Every problem is reported with {@code file:line:column}
 * (unknown keys with a did-you-mean, bad selectors, accessor paths that cannot work, such as
 * {@code arg2} on a method with two parameters or {@code result} on an entry rule); a file with
 * any problem is refused whole.
 */
public final class RulesParser {
    static final Set<String> TOP_KEYS = Set.of("version", "rules");
    static final Set<String> RULE_KEYS = Set.of("id", "description", "class", "implements", "extends", "method", "params",
            "param_count", "at", "family", "action", "target", "mode");
    static final Set<String> FIELD_KEYS = Set.of("value", "as", "each", "const", "fields");
    /** The agent's own packages (in the agent jar): never intercepted, or the agent would ask itself. */
    public static final List<String> AGENT_PACKAGES = List.of("dev.agt.javaagent.", "dev.agt.rules.", "dev.agt.protocol.", "dev.agt.config.", "dev.agt.sandbox.", "dev.agt.identity.");
    static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}");
    static final Pattern CLASS = Pattern.compile("[A-Za-z_$][A-Za-z0-9_$]*(\\.[A-Za-z_$][A-Za-z0-9_$]*)*");
    static final Pattern CLASS_PATTERN = Pattern.compile("[A-Za-z0-9_$.*]+");
    static final Pattern TYPE = Pattern.compile("(boolean|byte|char|short|int|long|float|double|"
            + "[A-Za-z_$][A-Za-z0-9_$]*(\\.[A-Za-z_$][A-Za-z0-9_$]*)*)(\\[])*");
    static final Pattern METHOD = Pattern.compile("[A-Za-z_$][A-Za-z0-9_$]*");
    static final Pattern FIELD_NAME = Pattern.compile("[a-z][a-z0-9_]{0,63}");

    private final String file;
    private final boolean builtin;
    private final List<Problem> problems = new ArrayList<>();

    private RulesParser(String file, boolean builtin) {
        this.file = file;
        this.builtin = builtin;
    }

    public static RuleSet load(Path path) throws RulesException {
        String name = path.toString();
        try {
            return parse(name, Files.readString(path, StandardCharsets.UTF_8), false);
        } catch (NoSuchFileException e) {
            throw new RulesException(List.of(new Problem(new Source.Pos(name, 1, 1), "rules file does not exist")));
        } catch (IOException e) {
            throw new RulesException(List.of(new Problem(new Source.Pos(name, 1, 1), "cannot read rules file: " + e.getMessage())));
        }
    }

    public static RuleSet parse(String file, String text, boolean builtin) throws RulesException {
        RulesParser p = new RulesParser(file, builtin);
        Node root = YamlReader.read(file, text, p.problems);
        List<InterceptRule> rules = new ArrayList<>();
        if (root == null && p.problems.isEmpty()) {
            p.problems.add(new Problem(new Source.Pos(file, 1, 1), "the rules file is empty (expected 'version: 1' and 'rules:')"));
        } else if (root != null) {
            p.top(root, rules);
        }
        if (!p.problems.isEmpty()) {
            throw new RulesException(p.problems);
        }
        return new RuleSet(file, rules);
    }

    private void top(Node root, List<InterceptRule> rules) {
        if (!(root instanceof Node.Map_ m)) {
            problem(root.pos(), "a rules file is a mapping with 'version: 1' and 'rules:', not " + Node.kind(root));
            return;
        }
        Keys.unknown(m, TOP_KEYS, problems);
        Node v = m.entries().get("version");
        if (v == null) {
            problem(m.pos(), "missing 'version: 1'");
        } else if (!(v instanceof Node.Scalar s && Long.valueOf(1).equals(s.value()))) {
            problem(v.pos(), "unsupported version (this agent reads version 1)");
        }
        Node rs = m.entries().get("rules");
        if (rs == null) {
            problem(m.pos(), "missing 'rules:' (a list of rules)");
            return;
        }
        if (!(rs instanceof Node.Seq seq)) {
            problem(rs.pos(), "'rules' must be a list, not " + Node.kind(rs));
            return;
        }
        Map<String, Source.Pos> ids = new LinkedHashMap<>();
        for (Node n : seq.items()) {
            InterceptRule r = rule(n);
            if (r != null) {
                Source.Pos first = ids.putIfAbsent(r.id(), n.pos());
                if (first != null) {
                    problem(((Node.Map_) n).entries().get("id").pos(), "duplicate rule id '" + r.id() + "' (first at line " + first.line() + ")");
                } else {
                    rules.add(r);
                }
            }
        }
    }

    private InterceptRule rule(Node n) {
        if (!(n instanceof Node.Map_ m)) {
            problem(n.pos(), "a rule is a mapping with id, class, method, family, action and target, not " + Node.kind(n));
            return null;
        }
        int before = problems.size();
        Keys.unknown(m, RULE_KEYS, problems);
        Map<String, Node> e = m.entries();
        String id = string(m, "id", true);
        if (id != null && !ID.matcher(id).matches()) {
            problem(e.get("id").pos(), "rule id '" + id + "' must be 1-128 letters, digits, '_', '.', ':' or '-', starting with a letter or digit");
        }
        String description = string(m, "description", false);
        ClassSelector selector = selector(m);
        String method = string(m, "method", true);
        if (method != null && (!METHOD.matcher(method).matches())) {
            problem(e.get("method").pos(), "'" + method + "' is not a method name" + (method.startsWith("<")
                    ? " (constructors and static initializers cannot be intercepted: their receiver is not yet an object)" : ""));
        }
        List<String> params = null;
        int paramCount = -1;
        if (e.containsKey("params") && e.containsKey("param_count")) {
            problem(m.keys().get("param_count"), "give either 'params' (the types) or 'param_count', not both");
        }
        if (e.containsKey("params")) {
            params = new ArrayList<>();
            Node pn = e.get("params");
            if (!(pn instanceof Node.Seq ps)) {
                problem(pn.pos(), "'params' must be a list of parameter types, e.g. [java.lang.String, int]");
            } else {
                for (Node t : ps.items()) {
                    if (t instanceof Node.Scalar s && s.isString() && TYPE.matcher((String) s.value()).matches()) {
                        params.add((String) s.value());
                    } else {
                        problem(t.pos(), "a parameter type is a Java type name such as java.lang.String, int or byte[] "
                                + "(nested classes with '$': a.B$C), not " + (t instanceof Node.Scalar s ? "'" + s.value() + "'" : Node.kind(t)));
                    }
                }
                params = List.copyOf(params);
                paramCount = params.size();
            }
        } else if (e.containsKey("param_count")) {
            Node pc = e.get("param_count");
            if (pc instanceof Node.Scalar s && s.value() instanceof Long l && l >= 0 && l <= 255) {
                paramCount = l.intValue();
            } else {
                problem(pc.pos(), "'param_count' must be a whole number from 0 to 255");
            }
        }
        InterceptRule.At at = InterceptRule.At.ENTRY;
        String atText = string(m, "at", false);
        if (atText != null) {
            switch (atText) {
                case "entry" -> at = InterceptRule.At.ENTRY;
                case "return" -> at = InterceptRule.At.RETURN;
                case "completion" -> at = InterceptRule.At.COMPLETION;
                default -> problem(e.get("at").pos(), "'at' is 'entry' (decide before the method runs, the default), 'return' (decide on its result)"
                        + " or 'completion' (the method is a callback that receives an earlier call's outcome), not '" + atText + "'");
            }
        }
        String family = string(m, "family", true);
        Family known = family == null ? null : Family.of(family).orElse(null);
        if (family != null && known == null) {
            String near = Keys.nearest(family, Set.copyOf(Family.KEYS));
            problem(e.get("family").pos(), "unknown family '" + family + "'" + (near != null ? " (did you mean '" + near + "'?)"
                    : " (families: " + String.join(", ", Family.KEYS) + ")"));
            family = null;
        }
        String action = string(m, "action", true);
        if (known != null && action != null && !known.has(action)) {
            String near = Keys.nearest(action, known.actions());
            problem(e.get("action").pos(), "family " + family + " has no action '" + action + "'" + (near != null
                    ? " (did you mean '" + near + "'?)" : " (its actions: " + String.join(", ", new TreeSet<>(known.actions())) + ")"));
        }
        InterceptRule.Mode mode = InterceptRule.Mode.ENFORCE;
        String modeText = string(m, "mode", false);
        if (modeText != null) {
            try {
                mode = InterceptRule.Mode.valueOf(modeText.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException x) {
                problem(e.get("mode").pos(), "'mode' is enforce, monitor or off, not '" + modeText + "'");
            }
        }
        Map<String, Field> target = null;
        Node tn = e.get("target");
        if (tn == null) {
            problem(m.pos(), "rule is missing 'target' (how the request's fields are built from the call, e.g. {tool: arg0.name})");
        } else {
            target = fields(tn, params, paramCount, at, false);
            if (target != null && known != null && action != null && known.has(action)) {
                for (Vocabulary.Required r : Vocabulary.required(known, action, at.afterCall())) {
                    if (!target.containsKey(r.field().key())) {
                        // every call it governs would reach the engine without it, and be denied incomplete-request
                        problem(tn.pos(), "target has no '" + r.field().key() + "': a " + family + "/" + action + " request needs "
                                + r.describe() + " (every call this rule governs would be denied as incomplete-request)");
                    }
                }
            }
        }
        if (problems.size() > before || id == null || selector == null || method == null || family == null || action == null || target == null) {
            return null;
        }
        Map<String, String> places = new LinkedHashMap<>();
        for (String k : List.of("class", "implements", "extends")) {
            if (e.containsKey(k)) {
                places.put("selector", e.get(k).pos().toString());
            }
        }
        places.put("method", e.get("method").pos().toString());
        ((Node.Map_) tn).entries().forEach((name, v) -> places.put("target." + name, v.pos().toString()));
        return new InterceptRule(id, description == null ? "" : description, selector, method, params, paramCount, at, family, action,
                target, mode, builtin, m.pos().toString(), Map.copyOf(places));
    }

    private ClassSelector selector(Node.Map_ m) {
        List<String> given = new ArrayList<>();
        for (String k : List.of("class", "implements", "extends")) {
            if (m.entries().containsKey(k)) {
                given.add(k);
            }
        }
        if (given.size() != 1) {
            problem(given.isEmpty() ? m.pos() : m.keys().get(given.get(1)), given.isEmpty()
                    ? "rule needs one of 'class' (a name or pattern), 'implements' (an interface) or 'extends' (a class)"
                    : "give only one of 'class', 'implements' and 'extends'");
            return null;
        }
        String k = given.get(0);
        String name = string(m, k, true);
        if (name == null) {
            return null;
        }
        Source.Pos pos = m.entries().get(k).pos();
        if (k.equals("class") && name.contains("*")) {
            if (!CLASS_PATTERN.matcher(name).matches() || name.contains("***")) {
                problem(pos, "bad class pattern '" + name + "' (a Java name where '*' matches within one package level and '**' across levels)");
                return null;
            }
            if (name.equals("*") || name.equals("**") || name.startsWith("*")) {
                problem(pos, "class pattern '" + name + "' would select every class; start it with a package, e.g. com.acme.tools.*");
                return null;
            }
            return new ClassSelector(ClassSelector.Kind.PATTERN, name);
        }
        if (!CLASS.matcher(name).matches()) {
            problem(pos, "'" + name + "' is not a Java class name (nested classes are written with '$': a.Outer$Inner)");
            return null;
        }
        if (name.startsWith("java.") || name.startsWith("javax.") || name.startsWith("jdk.") || name.startsWith("sun.")
                || AGENT_PACKAGES.stream().anyMatch(name::startsWith)) {
            if (k.equals("class")) {
                problem(pos, "JDK classes are governed by the agent's own hooks, and its own classes never; rules select application and library classes");
                return null;
            }
        }
        return new ClassSelector(switch (k) {
            case "implements" -> ClassSelector.Kind.IMPLEMENTS;
            case "extends" -> ClassSelector.Kind.EXTENDS;
            default -> ClassSelector.Kind.EXACT;
        }, name);
    }

    private Map<String, Field> fields(Node n, List<String> params, int paramCount, InterceptRule.At at, boolean inEach) {
        if (!(n instanceof Node.Map_ m) || m.entries().isEmpty()) {
            problem(n.pos(), "'target' is a non-empty mapping from request field names to accessor paths, e.g. {tool: arg0.name, arguments: arg0.arguments}"
                    + " (a fixed value: {tool: {const: deploy}})");
            return null;
        }
        Map<String, Field> out = new LinkedHashMap<>();
        for (Map.Entry<String, Node> f : m.entries().entrySet()) {
            if (!FIELD_NAME.matcher(f.getKey()).matches()) {
                problem(m.keys().get(f.getKey()), "target field name '" + f.getKey() + "' must be lower case letters, digits and '_'");
                continue;
            }
            Field field = field(f.getValue(), params, paramCount, at, inEach);
            if (field != null) {
                out.put(f.getKey(), field);
            }
        }
        return out.size() == m.entries().size() ? Map.copyOf(out) : null;
    }

    private Field field(Node n, List<String> params, int paramCount, InterceptRule.At at, boolean inEach) {
        Node value = n;
        Field.As as = Field.As.VALUE;
        Map<String, Field> each = null;
        if (n instanceof Node.Map_ m && m.entries().containsKey("const")) {
            Node c = m.entries().get("const");
            if (m.entries().size() != 1 || !(c instanceof Node.Scalar s) || s.value() == null) {
                problem(m.pos(), "a constant field is {const: text} alone");
                return null;
            }
            String text = String.valueOf(s.value());
            return new Field(List.of(Expr.parse(Expr.CONSTANT + text)), List.of(Expr.CONSTANT + text), Field.As.VALUE, null);
        }
        if (n instanceof Node.Map_ m && m.entries().containsKey("fields")) {
            if (m.entries().size() != 1) {
                problem(m.pos(), "a mapping field is {fields: {name: path, ...}} alone");
                return null;
            }
            Map<String, Field> sub = fields(m.entries().get("fields"), params, paramCount, at, inEach);
            return sub == null ? null : new Field(List.of(), List.of(), Field.As.VALUE, null, sub);
        }
        if (n instanceof Node.Map_ m) {
            Keys.unknown(m, FIELD_KEYS, problems);
            value = m.entries().get("value");
            if (value == null) {
                problem(m.pos(), "a target field mapping needs 'value' (an accessor path, a template, or a list of alternatives)");
                return null;
            }
            Node asNode = m.entries().get("as");
            if (asNode != null) {
                String a = asNode instanceof Node.Scalar s && s.isString() ? (String) s.value() : "";
                try {
                    as = Field.As.valueOf(a.toUpperCase(Locale.ROOT).replace('-', '_'));
                } catch (IllegalArgumentException x) {
                    problem(asNode.pos(), "'as' is value, string, json (parse JSON text) or json_text (write as JSON text), not '" + a + "'");
                    return null;
                }
            }
            Node eachNode = m.entries().get("each");
            if (eachNode != null) {
                if (asNode != null) {
                    problem(eachNode.pos(), "'each' builds a list of mappings; it cannot be combined with 'as'");
                    return null;
                }
                // inside each, the element is the root: write its members as this.name
                each = fields(eachNode, List.of(), 0, InterceptRule.At.ENTRY, true);
                if (each == null) {
                    return null;
                }
            }
        }
        List<Node> alts = value instanceof Node.Seq s ? s.items() : List.of(value);
        if (alts.isEmpty()) {
            problem(value.pos(), "an empty list of alternatives");
            return null;
        }
        List<Expr> exprs = new ArrayList<>();
        List<String> sources = new ArrayList<>();
        for (Node a : alts) {
            if (!(a instanceof Node.Scalar s && s.isString())) {
                problem(a.pos(), "an accessor is a string such as arg0.name or \"${this.command} ${this.args}\", not " + Node.kind(a));
                continue;
            }
            String text = (String) s.value();
            Expr e;
            try {
                if (text.startsWith(Expr.CONSTANT)) {
                    throw new IllegalArgumentException("'" + text + "' is not an accessor path; a fixed value is written {const: text}");
                }
                e = Expr.parse(text);
            } catch (IllegalArgumentException x) {
                problem(a.pos(), x.getMessage());
                continue;
            }
            boolean ok = true;
            for (Expr.Path p : Expr.paths(e)) {
                ok &= checkRoot(p, a.pos(), params, paramCount, at, inEach);
            }
            if (ok) {
                exprs.add(e);
                sources.add(text);
            }
        }
        return exprs.size() == alts.size() ? new Field(List.copyOf(exprs), List.copyOf(sources), as, each) : null;
    }

    private boolean checkRoot(Expr.Path p, Source.Pos pos, List<String> params, int paramCount, InterceptRule.At at, boolean inEach) {
        if (inEach) {
            if (!p.root().equals("this")) {
                problem(pos, "inside 'each', paths start at the list element: write this.name, not " + p.root());
                return false;
            }
            return true;
        }
        int arg = p.argIndex();
        if (arg >= 0 && paramCount >= 0 && arg >= paramCount) {
            problem(pos, "'" + p + "': the method has " + paramCount + " parameter" + (paramCount == 1 ? "" : "s")
                    + (paramCount == 0 ? "" : " (arg0 to arg" + (paramCount - 1) + ")"));
            return false;
        }
        if (arg >= 0 && paramCount < 0) {
            problem(pos, "'" + p + "' reads an argument: give 'params' or 'param_count' so the argument is known to exist");
            return false;
        }
        if (p.root().equals("result") && at != InterceptRule.At.RETURN) {
            problem(pos, "'" + p + "' reads the result: only rules with 'at: return' have one"
                    + (at == InterceptRule.At.COMPLETION ? " (a completion callback's outcome is its argument: arg0...)" : ""));
            return false;
        }
        if (params != null && arg >= 0 && !p.steps().isEmpty() && TYPE.matcher(params.get(arg)).matches()
                && Set.of("boolean", "byte", "char", "short", "int", "long", "float", "double").contains(params.get(arg))) {
            problem(pos, "'" + p + "': arg" + arg + " is a " + params.get(arg) + ", which has no members");
            return false;
        }
        return true;
    }

    private String string(Node.Map_ m, String key, boolean required) {
        Node n = m.entries().get(key);
        if (n == null) {
            if (required) {
                problem(m.pos(), "rule is missing '" + key + "'");
            }
            return null;
        }
        if (!(n instanceof Node.Scalar s) || !s.isString() || ((String) s.value()).isEmpty()) {
            problem(n.pos(), "'" + key + "' must be a non-empty string, not " + Node.kind(n));
            return null;
        }
        return (String) s.value();
    }

    private void problem(Source.Pos pos, String message) {
        problems.add(new Problem(pos, message));
    }
}
