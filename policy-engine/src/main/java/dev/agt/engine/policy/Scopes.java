package dev.agt.engine.policy;

import dev.agt.identity.Scope;
import dev.agt.protocol.Request;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Delegation scopes in the policy language's terms: which requests a scope admits, with the same
 * globs and normalization as rules, and whether one pattern stays inside another.
 *
 * <p>What each field governs (a request missing the field it is judged by is outside):
 * <ul>
 *   <li>{@code families}: every request, by family;</li>
 *   <li>{@code hosts}: every {@code net} request, by {@code host} (host globs; a request naming no
 *       host, such as a Unix socket connect, is outside a scope that restricts hosts);</li>
 *   <li>{@code paths}: {@code file} and {@code native} requests by {@code path} and, for rename and
 *       link, {@code dest} too; {@code net} requests that carry a {@code path} (Unix sockets);</li>
 *   <li>{@code executables}: {@code process} requests, by {@code executable} (path globs);</li>
 *   <li>{@code tools}: {@code tool} calls and {@code mcp} calls, by {@code tool} (name globs).
 *       A tool list ({@code mcp/list}) names no tool and is not governed by {@code tools}.</li>
 * </ul>
 * Paths and executables are normalized ({@code ..}, {@code .}, {@code //}) before matching, as
 * for rules.
 */
public final class Scopes {
    private Scopes() {
    }

    /** A scope ready to match; compiled once per session. */
    public static final class Compiled {
        private final Scope scope;
        private final Set<String> families;
        private final List<Glob> hosts;
        private final List<Glob> paths;
        private final List<Glob> executables;
        private final List<Glob> tools;

        private Compiled(Scope scope) {
            this.scope = scope;
            this.families = scope.get(Scope.Field.FAMILIES).map(Set::copyOf).orElse(null);
            this.hosts = globs(scope, Scope.Field.HOSTS, Glob.Kind.HOST);
            this.paths = globs(scope, Scope.Field.PATHS, Glob.Kind.PATH);
            this.executables = globs(scope, Scope.Field.EXECUTABLES, Glob.Kind.PATH);
            this.tools = globs(scope, Scope.Field.TOOLS, Glob.Kind.NAME);
        }

        public Scope scope() {
            return scope;
        }
    }

    /**
     * @throws IllegalArgumentException naming the field and pattern when a pattern is not a valid glob
     */
    public static Compiled compile(Scope scope) {
        return new Compiled(scope);
    }

    private static List<Glob> globs(Scope s, Scope.Field f, Glob.Kind kind) {
        Optional<List<String>> l = s.get(f);
        if (l.isEmpty()) {
            return null;
        }
        List<Glob> out = new ArrayList<>();
        for (String p : l.get()) {
            try {
                out.add(Glob.compile(p, kind));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(f.key() + " pattern '" + p + "': " + e.getMessage());
            }
        }
        return List.copyOf(out);
    }

    /** Why {@code request} is outside the scope, or null when the scope admits it. */
    public static String outside(Compiled c, Request request) {
        String family = request.family();
        if (c.families != null && !c.families.contains(family)) {
            return "family " + family + " is not in families " + c.scope.get(Scope.Field.FAMILIES).orElseThrow();
        }
        Map<String, Object> t = request.target();
        switch (family) {
            case "net" -> {
                if (c.hosts != null) {
                    if (!(t.get("host") instanceof String h)) {
                        return "the request names no host and hosts is restricted to " + list(c, Scope.Field.HOSTS);
                    }
                    if (!any(c.hosts, Condition.normalizeHost(h))) {
                        return "host " + h + " is not in hosts " + list(c, Scope.Field.HOSTS);
                    }
                }
                if (c.paths != null && t.get("path") instanceof String) {
                    return paths(c, t);
                }
            }
            case "file", "native" -> {
                if (c.paths != null) {
                    return paths(c, t);
                }
            }
            case "process" -> {
                if (c.executables != null) {
                    if (!(t.get("executable") instanceof String e) || !any(c.executables, Condition.normalizePath(e))) {
                        return "executable " + t.get("executable") + " is not in executables " + list(c, Scope.Field.EXECUTABLES);
                    }
                }
            }
            case "mcp", "tool" -> {
                if (c.tools != null && (family.equals("tool") || request.action().equals("call"))) {
                    if (!(t.get("tool") instanceof String tool) || !any(c.tools, tool)) {
                        return "tool " + t.get("tool") + " is not in tools " + list(c, Scope.Field.TOOLS);
                    }
                }
            }
            default -> {
                // unknown families are refused by the evaluator; a scope adds nothing to say
            }
        }
        return null;
    }

    private static String paths(Compiled c, Map<String, Object> t) {
        if (!(t.get("path") instanceof String p) || !any(c.paths, Condition.normalizePath(p))) {
            return "path " + t.get("path") + " is not in paths " + list(c, Scope.Field.PATHS);
        }
        if (t.get("dest") instanceof String d && !any(c.paths, Condition.normalizePath(d))) {
            return "dest " + d + " is not in paths " + list(c, Scope.Field.PATHS);
        }
        return null;
    }

    private static boolean any(List<Glob> globs, String s) {
        for (Glob g : globs) {
            if (g.matches(s)) {
                return true;
            }
        }
        return false;
    }

    private static List<String> list(Compiled c, Scope.Field f) {
        return c.scope.get(f).orElse(List.of());
    }

    /**
     * The engine's judgement of narrowing: a child pattern is inside a parent pattern when it is
     * the same text; or a literal (normalized, for paths) that the parent's glob matches; or, for
     * paths and executables, a glob whose literal prefix lies below a parent {@code BASE/**} with a
     * literal BASE; or, for hosts, a glob whose literal suffix ends in {@code .S} under a parent
     * {@code **.S} with a literal S. Everything else counts as widening: sound, not complete.
     */
    public static final Scope.PatternCover COVER = Scopes::covers;

    static boolean covers(Scope.Field field, String parent, String child) {
        if (parent.equals(child)) {
            return true;
        }
        Glob.Kind kind = switch (field) {
            case HOSTS -> Glob.Kind.HOST;
            case PATHS, EXECUTABLES -> Glob.Kind.PATH;
            default -> Glob.Kind.NAME;
        };
        Glob p;
        Glob c;
        try {
            p = Glob.compile(parent, kind);
            c = Glob.compile(child, kind);
        } catch (IllegalArgumentException e) {
            return false;
        }
        if (c.isExact()) {
            String literal = c.literalPrefix();
            if (kind == Glob.Kind.PATH && !Condition.normalizePath(literal).equals(literal)) {
                return false; // "/work/../etc" must not pass as under "/work/**"
            }
            return p.matches(kind == Glob.Kind.HOST ? Condition.normalizeHost(literal) : literal);
        }
        if (kind == Glob.Kind.PATH && parent.endsWith("/**")) {
            String base = parent.substring(0, parent.length() - 3);
            if (base.isEmpty()) {
                return c.literalPrefix().startsWith("/");
            }
            Glob b = Glob.compile(base, kind);
            return b.isExact() && c.literalPrefix().startsWith(b.literalPrefix() + "/") && !c.literalPrefix().contains("/../")
                    && !c.literalPrefix().contains("/./");
        }
        if (kind == Glob.Kind.HOST && parent.startsWith("**.")) {
            Glob b = Glob.compile(parent.substring(3), kind);
            String suffix = c.literalSuffix();
            return b.isExact() && suffix != null && suffix.endsWith("." + b.literalPrefix());
        }
        return false;
    }
}
