package dev.agt.engine.policy;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * One condition of a rule on the request's target or the agent. A rule matches when all its
 * conditions hold; within one condition, any listed pattern may match.
 *
 * <p>{@code deny} says which kind of rule asks: where a request names two paths (rename, link),
 * a deny rule matches when either path matches and an allow rule only when both do, so a rename
 * out of a protected place is caught by the protection, and an allow never covers half a move.
 */
public sealed interface Condition {

    boolean test(Map<String, Object> target, Agent agent, boolean deny);

    /** The YAML key this condition came from, for messages. */
    String key();

    record Paths(List<StringPattern> patterns) implements Condition {
        @Override
        public boolean test(Map<String, Object> target, Agent agent, boolean deny) {
            Object p1 = target.get("path");
            Object p2 = target.get("dest");
            boolean has1 = p1 instanceof String;
            boolean has2 = p2 instanceof String;
            if (!has1 && !has2) {
                return false;
            }
            boolean m1 = has1 && any(patterns, normalizePath((String) p1), agent);
            boolean m2 = has2 && any(patterns, normalizePath((String) p2), agent);
            if (deny) {
                return m1 || m2;
            }
            return (!has1 || m1) && (!has2 || m2);
        }

        @Override
        public String key() {
            return "paths";
        }
    }

    record Hosts(List<StringPattern> patterns) implements Condition {
        @Override
        public boolean test(Map<String, Object> target, Agent agent, boolean deny) {
            return target.get("host") instanceof String h && any(patterns, normalizeHost(h), agent);
        }

        @Override
        public String key() {
            return "hosts";
        }
    }

    record Cidrs(List<Ip.Cidr> blocks) implements Condition {
        @Override
        public boolean test(Map<String, Object> target, Agent agent, boolean deny) {
            if (!(target.get("ip") instanceof String ip)) {
                return false;
            }
            byte[] addr = Ip.parse(ip);
            for (Ip.Cidr c : blocks) {
                if (c.contains(addr)) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public String key() {
            return "cidrs";
        }
    }

    /** Inclusive port ranges, {@code [from, to]} pairs. */
    record Ports(List<long[]> ranges) implements Condition {
        @Override
        public boolean test(Map<String, Object> target, Agent agent, boolean deny) {
            if (!(target.get("port") instanceof Long port)) {
                return false;
            }
            for (long[] r : ranges) {
                if (port >= r[0] && port <= r[1]) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public String key() {
            return "ports";
        }
    }

    /** Exact, case-insensitive values of one field: {@code transports}, {@code methods}. */
    record OneOf(String key, String field, Set<String> values) implements Condition {
        @Override
        public boolean test(Map<String, Object> target, Agent agent, boolean deny) {
            return target.get(field) instanceof String v && values.contains(v.toLowerCase(Locale.ROOT));
        }
    }

    /** String patterns on one field: {@code executables}, {@code servers}, {@code tools}. */
    record Strings(String key, String field, List<StringPattern> patterns) implements Condition {
        @Override
        public boolean test(Map<String, Object> target, Agent agent, boolean deny) {
            return target.get(field) instanceof String v && any(patterns, v, agent);
        }
    }

    /**
     * Per-position argv patterns. Each position holds alternatives; {@code **} as the last
     * position matches any number of remaining arguments, otherwise the lengths must agree.
     */
    record Argv(List<List<StringPattern>> positions, boolean openEnded) implements Condition {
        @Override
        public boolean test(Map<String, Object> target, Agent agent, boolean deny) {
            if (!(target.get("argv") instanceof List<?> argv)) {
                return false;
            }
            if (openEnded ? argv.size() < positions.size() : argv.size() != positions.size()) {
                return false;
            }
            for (int i = 0; i < positions.size(); i++) {
                if (!(argv.get(i) instanceof String a) || !any(positions.get(i), a, agent)) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public String key() {
            return "argv";
        }
    }

    /** A test on the value at a JSON pointer into the call's {@code arguments}. */
    record Where(String pointer, List<String> tokens, String op, Object operand) implements Condition {
        @Override
        public boolean test(Map<String, Object> target, Agent agent, boolean deny) {
            Object v = JsonPointer.resolve(target.get("arguments"), tokens);
            if (op.equals("present")) {
                return (v != JsonPointer.MISSING) == (Boolean) operand;
            }
            if (v == JsonPointer.MISSING) {
                return false;
            }
            switch (op) {
                case "equals":
                    return JsonPointer.sameScalar(v, operand);
                case "glob":
                case "prefix": {
                    if (!(v instanceof String s)) {
                        return false;
                    }
                    StringPattern pattern = (StringPattern) operand;
                    String path = argumentPath(s);
                    if (pattern.text().startsWith("/") && !path.startsWith("/")) {
                        // "~/.ssh/id_rsa" or "../../etc/passwd": the server resolves it, not us; such a
                        // value never satisfies an allow on absolute paths, and always meets a deny
                        return deny;
                    }
                    // "/work/../secret" must not pass as under "/work" (nor dodge a deny on "/secret")
                    return pattern.matches(normalizePath(path), agent);
                }
                case "regex":
                    return v instanceof String s && ((StringPattern) operand).matches(s, agent);
                case "host":
                    return hostTest(UrlHost.readings(v), (StringPattern) operand, agent, deny);
                case "cidr":
                    return v instanceof String s && ((Ip.Cidr) operand).contains(Ip.parse(s));
                default:
                    throw new IllegalStateException("unknown where operator " + op);
            }
        }

        @Override
        public String key() {
            return "where";
        }
    }

    record Agents(List<StringPattern> names, Set<String> ids, Map<String, String> labels) implements Condition {
        @Override
        public boolean test(Map<String, Object> target, Agent agent, boolean deny) {
            if (!names.isEmpty() && !any(names, agent.name(), agent)) {
                return false;
            }
            if (!ids.isEmpty() && !ids.contains(agent.id())) {
                return false;
            }
            for (Map.Entry<String, String> e : labels.entrySet()) {
                if (!e.getValue().equals(agent.labels().get(e.getKey()))) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public String key() {
            return "agents";
        }
    }

    private static boolean any(List<StringPattern> patterns, String s, Agent agent) {
        for (StringPattern p : patterns) {
            if (p.matches(s, agent)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Lexical normalization of an absolute path ({@code .}, {@code ..}, repeated slashes). The agent
     * sends real paths already; this keeps a confused or hostile sender from walking out of an
     * allowed tree with {@code ..} that a {@code **} would otherwise accept.
     */
    /** A path argument as the server will take it: a file: URI is its path. */
    static String argumentPath(String s) {
        if (s.regionMatches(true, 0, "file:", 0, 5)) {
            try {
                String p = java.net.URI.create(s).getPath();
                return p == null ? s : p;
            } catch (IllegalArgumentException malformed) {
                return s.substring(5);
            }
        }
        return s;
    }

    static String normalizePath(String p) {
        if (p.indexOf("/.") < 0 && p.indexOf("//") < 0 && !p.endsWith("/")) {
            return p;
        }
        if (!p.startsWith("/")) {
            return p;
        }
        String n = Path.of(p).normalize().toString();
        return n;
    }

    static String normalizeHost(String h) {
        String l = h.toLowerCase(Locale.ROOT);
        // a trailing dot names the same host: "evil.com." must not escape a deny on "evil.com"
        while (l.endsWith(".") && l.length() > 1) {
            l = l.substring(0, l.length() - 1);
        }
        return l;
    }

    /**
     * {@code where: {pointer: ..., host: ...}} over every host a client may read in the argument
     * ({@link UrlHost#readings}). Fails closed in both directions, and that needs the rule's effect:
     * a deny rule's condition holds when ANY reading is unparseable or matches; an allow rule's
     * only when EVERY reading is a host that matches. Rules combine only by "any matching deny wins,
     * then any matching allow, else default-deny", and a rule matches only when all its conditions
     * hold, with no negation anywhere; so a doubt that makes a deny's condition true can only add a
     * denial, and one that makes an allow's condition false can only take an allow away. Answering
     * false on doubt for both (the old behaviour) let every URL the engine could not read past a
     * deny; answering true for both would let it satisfy an allow.
     */
    private static boolean hostTest(List<UrlHost> readings, StringPattern pattern, Agent agent, boolean deny) {
        for (UrlHost r : readings) {
            boolean matches = r instanceof UrlHost.Host h && pattern.matches(normalizeHost(h.name()), agent);
            if (deny && (matches || r instanceof UrlHost.Unparseable)) {
                return true;
            }
            if (!deny && !matches) {
                return false;
            }
        }
        return !deny;
    }
}
