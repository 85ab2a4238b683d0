package dev.agt.sandbox;

import dev.agt.config.Keys;
import dev.agt.config.Node;
import dev.agt.config.Problem;
import dev.agt.config.Source;
import dev.agt.config.YamlReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** Reads a sandbox profile; every problem with {@code file:line:column}; a profile with any problem is refused whole. */
public final class ProfileParser {
    static final Set<String> KEYS = Set.of("version", "name", "description", "system", "read_only", "writable", "network", "env", "limits");
    static final Set<String> LIMIT_KEYS = Set.of("cpu_seconds", "memory_mb", "wall_seconds", "processes", "open_files");
    static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_-]{0,63}");
    static final Pattern ENV = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*\\*?");
    static final Pattern VAR = Pattern.compile("\\$\\{([^}]*)}");

    private final List<Problem> problems = new ArrayList<>();

    private ProfileParser() {
    }

    /** Parses {@code text}; {@code defaultName} names the profile when it does not name itself. */
    public static Profile parse(String file, String text, String defaultName) throws ProfileException {
        ProfileParser p = new ProfileParser();
        Node root = YamlReader.read(file, text, p.problems);
        Profile out = null;
        if (root == null && p.problems.isEmpty()) {
            p.problems.add(new Problem(new Source.Pos(file, 1, 1), "the profile is empty (expected 'version: 1' and its settings)"));
        } else if (root != null) {
            out = p.profile(root, defaultName);
        }
        if (!p.problems.isEmpty()) {
            throw new ProfileException(p.problems);
        }
        return out;
    }

    private Profile profile(Node root, String defaultName) {
        if (!(root instanceof Node.Map_ m)) {
            problem(root.pos(), "a profile is a mapping (version, network, writable, ...), not " + Node.kind(root));
            return null;
        }
        Keys.unknown(m, KEYS, problems);
        Map<String, Node> e = m.entries();
        Node v = e.get("version");
        if (v == null) {
            problem(m.pos(), "missing 'version: 1'");
        } else if (!(v instanceof Node.Scalar s && Long.valueOf(1).equals(s.value()))) {
            problem(v.pos(), "unsupported version (this build reads version 1)");
        }
        String name = string(e.get("name"), "name");
        if (name == null) {
            name = defaultName;
        } else if (!NAME.matcher(name).matches()) {
            problem(e.get("name").pos(), "a profile name is lower case letters, digits, '-' and '_', not '" + name + "'");
        }
        String description = string(e.get("description"), "description");
        boolean system = true;
        Node sys = e.get("system");
        if (sys != null) {
            String s = string(sys, "system");
            if ("read-only".equals(s)) {
                system = true;
            } else if ("none".equals(s)) {
                system = false;
            } else if (s != null) {
                problem(sys.pos(), "'system' is read-only (the OS's programs and libraries, visible, unchangeable) or none, not '" + s + "'");
            }
        }
        boolean network = false;
        Node net = e.get("network");
        if (net != null) {
            String s = string(net, "network");
            if ("host".equals(s)) {
                network = true;
            } else if (s != null && !"none".equals(s)) {
                problem(net.pos(), "'network' is none (no network at all, loopback included) or host, not '" + s + "'");
            }
        }
        List<String> readOnly = paths(e.get("read_only"), "read_only");
        List<String> writable = paths(e.get("writable"), "writable");
        List<String> env = new ArrayList<>();
        for (Node.Scalar s : strings(e.get("env"), "env")) {
            String var = (String) s.value();
            if (!ENV.matcher(var).matches()) {
                problem(s.pos(), "'" + var + "' is not an environment variable name (a trailing '*' matches a prefix, e.g. LC_*)");
            } else {
                env.add(var);
            }
        }
        Profile.Limits limits = limits(e.get("limits"));
        return new Profile(name, description == null ? "" : description, system, readOnly, writable, network, List.copyOf(env), limits,
                m.pos().toString());
    }

    private Profile.Limits limits(Node n) {
        if (n == null) {
            return Profile.Limits.NONE;
        }
        if (!(n instanceof Node.Map_ m)) {
            problem(n.pos(), "'limits' is a mapping such as {cpu_seconds: 600, memory_mb: 2048}");
            return Profile.Limits.NONE;
        }
        Keys.unknown(m, LIMIT_KEYS, problems);
        long[] v = new long[5];
        String[] keys = {"cpu_seconds", "memory_mb", "wall_seconds", "processes", "open_files"};
        for (int i = 0; i < keys.length; i++) {
            Node x = m.entries().get(keys[i]);
            if (x == null) {
                continue;
            }
            if (x instanceof Node.Scalar s && s.value() instanceof Long l && l > 0 && l <= 1L << 40) {
                v[i] = l;
            } else {
                problem(x.pos(), "'" + keys[i] + "' must be a positive whole number");
            }
        }
        return new Profile.Limits(v[0], v[1], v[2], v[3], v[4]);
    }

    private List<String> paths(Node n, String key) {
        List<String> out = new ArrayList<>();
        for (Node.Scalar s : strings(n, key)) {
            String p = (String) s.value();
            Pattern unknownVar = VAR;
            var mm = unknownVar.matcher(p);
            boolean ok = true;
            while (mm.find()) {
                if (!mm.group(1).equals("workspace") && !mm.group(1).equals("home")) {
                    problem(s.pos(), "unknown variable ${" + mm.group(1) + "} (paths may use ${workspace} and ${home})");
                    ok = false;
                }
            }
            String expanded = p.replace("${workspace}", "/w").replace("${home}", "/h");
            if (ok && !expanded.startsWith("/")) {
                problem(s.pos(), "'" + p + "' must be an absolute path (or start with ${workspace} or ${home})");
                ok = false;
            }
            if (ok && (expanded.equals("/") || p.contains("/../") || p.endsWith("/..") || p.contains("*"))) {
                problem(s.pos(), "'" + p + "' is not allowed: no '/', no '..' and no patterns (bind real directories)");
                ok = false;
            }
            if (ok) {
                out.add(p);
            }
        }
        return List.copyOf(out);
    }

    private List<Node.Scalar> strings(Node n, String key) {
        List<Node.Scalar> out = new ArrayList<>();
        if (n == null) {
            return out;
        }
        if (!(n instanceof Node.Seq seq)) {
            problem(n.pos(), "'" + key + "' must be a list");
            return out;
        }
        for (Node i : seq.items()) {
            if (i instanceof Node.Scalar s && s.isString() && !((String) s.value()).isEmpty()) {
                out.add(s);
            } else {
                problem(i.pos(), "'" + key + "' entries are non-empty strings, not " + Node.kind(i));
            }
        }
        return out;
    }

    private String string(Node n, String key) {
        if (n == null) {
            return null;
        }
        if (n instanceof Node.Scalar s && s.isString()) {
            return (String) s.value();
        }
        problem(n.pos(), "'" + key + "' must be a string, not " + Node.kind(n));
        return null;
    }

    private void problem(Source.Pos pos, String message) {
        problems.add(new Problem(pos, message));
    }
}
