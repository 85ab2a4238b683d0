package dev.agt.engine.policy;

import dev.agt.protocol.Family;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A loaded, validated policy: its rules, its version (SHA-256 of the canonical form) and the
 * files it was read from. Immutable and safe to share between threads; the engine swaps whole
 * policies atomically on reload.
 *
 * <p>Rules are indexed per family by their most selective condition, so a request is checked
 * against the few rules that could match it rather than all of them. The index only ever
 * narrows to a superset of the matching rules: every candidate is then matched in full.
 */
public final class Policy {
    public static final List<String> BUILTINS = List.of("jvm-runtime");

    /**
     * The built-in rules every policy carries unless its main file switches them
     * ({@code builtin_rules: {NAME: enforce|monitor|off}}), with their default state.
     */
    public static final Map<String, String> ALWAYS = Map.of("mcp-unknown-server", "enforce");

    private final List<Rule> rules;
    private final String version;
    private final List<Path> files;
    private final Mode mode;
    private final Map<String, String> builtinRules;
    private final dev.agt.engine.spend.SpendPolicy spend;
    private final Map<Family, Index> index = new EnumMap<>(Family.class);
    private final Map<String, Rule> byId = new HashMap<>();
    private final boolean usesLabels;

    Policy(List<Rule> rules, String version, List<Path> files) {
        this(rules, version, files, Mode.ENFORCE, Map.of(), dev.agt.engine.spend.SpendPolicy.NONE);
    }

    Policy(List<Rule> rules, String version, List<Path> files, Mode mode, Map<String, String> builtinRules, dev.agt.engine.spend.SpendPolicy spend) {
        this.rules = rules;
        this.version = version;
        this.files = files;
        this.mode = mode;
        this.builtinRules = builtinRules;
        this.spend = spend;
        for (Family f : Family.values()) {
            index.put(f, new Index(f));
        }
        boolean labels = false;
        for (Rule r : rules) {
            index.get(r.family()).add(r);
            byId.put(r.id(), r);
            labels |= r.session() != SessionTerms.NONE;
        }
        this.usesLabels = labels;
    }

    /** Whether any rule reads or sets session labels: only then does a decision look at them. */
    public boolean usesLabels() {
        return usesLabels;
    }

    /** The rule with this id, or null. */
    public Rule rule(String id) {
        return byId.get(id);
    }

    public List<Rule> rules() {
        return rules;
    }

    public String version() {
        return version;
    }

    /** The policy's own mode (top-level {@code mode:}); {@code enforce} unless it says otherwise. */
    public Mode mode() {
        return mode;
    }

    /** The policy's prices and budgets ({@link dev.agt.engine.spend.SpendPolicy#NONE} when it has none). */
    public dev.agt.engine.spend.SpendPolicy spend() {
        return spend;
    }

    /** Each built-in rule ({@link #ALWAYS}) and its state in this policy: enforce, monitor or off. */
    public Map<String, String> builtinRules() {
        return builtinRules;
    }

    /** Whether a matching deny rule only records its denial: its own mode, else the policy's. */
    public boolean monitors(Rule deny) {
        return (deny.mode() != null ? deny.mode() : mode) == Mode.MONITOR;
    }

    /** The files this policy was read from, for reload on change. */
    public List<Path> files() {
        return files;
    }

    /** Calls {@code sink} with every rule that could match (some possibly more than once). */
    void candidates(Family family, Map<String, Object> target, List<Rule> sink) {
        index.get(family).collect(target, sink);
    }

    /**
     * Per-family index. Paths: rules keyed by the literal directory prefix of each pattern,
     * looked up at every '/' of the request path. Hosts: keyed by a label-aligned literal
     * suffix, looked up at every '.' of the request host. Executables and tool names: exact.
     * A rule with no usable key is always a candidate.
     */
    private static final class Index {
        private final Family family;
        private final List<Rule> always = new ArrayList<>();
        private final Map<String, List<Rule>> keyed = new HashMap<>();

        Index(Family family) {
            this.family = family;
        }

        void add(Rule r) {
            List<String> keys = keys(r);
            if (keys == null) {
                always.add(r);
            } else {
                for (String k : keys) {
                    keyed.computeIfAbsent(k, x -> new ArrayList<>()).add(r);
                }
            }
        }

        private List<String> keys(Rule r) {
            for (Condition c : r.conditions()) {
                if ((family == Family.FILE || family == Family.NATIVE) && c instanceof Condition.Paths p) {
                    List<String> keys = new ArrayList<>();
                    for (StringPattern sp : p.patterns()) {
                        String lit = sp.literalPrefix();
                        int slash = lit.lastIndexOf('/');
                        if (slash < 0) {
                            return null;
                        }
                        keys.add(lit.substring(0, slash + 1));
                    }
                    return keys;
                }
                if (family == Family.NET && c instanceof Condition.Hosts h) {
                    List<String> keys = new ArrayList<>();
                    for (StringPattern sp : h.patterns()) {
                        String k = hostKey(sp);
                        if (k == null) {
                            return null;
                        }
                        keys.add(k);
                    }
                    return keys;
                }
                if (c instanceof Condition.Strings s && (s.field().equals("executable") || s.field().equals("tool"))) {
                    List<String> keys = new ArrayList<>();
                    for (StringPattern sp : s.patterns()) {
                        if (sp.exact() == null) {
                            return null;
                        }
                        keys.add(s.field() + "\0" + sp.exact());
                    }
                    return keys;
                }
            }
            return null;
        }

        private static String hostKey(StringPattern sp) {
            if (!(sp instanceof StringPattern.GlobPattern g)) {
                return null;
            }
            Glob glob = g.glob();
            if (glob.isExact()) {
                return Condition.normalizeHost(glob.literalPrefix());
            }
            String tail = glob.literalSuffix();
            int dot = tail.indexOf('.');
            if (dot < 0 || dot == tail.length() - 1) {
                return null;
            }
            return tail.substring(dot + 1);
        }

        void collect(Map<String, Object> target, List<Rule> sink) {
            sink.addAll(always);
            if (keyed.isEmpty()) {
                return;
            }
            switch (family) {
                case FILE, NATIVE -> {
                    pathKeys(target.get("path"), sink);
                    pathKeys(target.get("dest"), sink);
                }
                case NET -> {
                    if (target.get("host") instanceof String h) {
                        String host = Condition.normalizeHost(h);
                        add(host, sink);
                        for (int i = host.indexOf('.'); i >= 0; i = host.indexOf('.', i + 1)) {
                            add(host.substring(i + 1), sink);
                        }
                    }
                }
                case PROCESS -> {
                    if (target.get("executable") instanceof String e) {
                        add("executable\0" + e, sink);
                    }
                }
                default -> {
                    if (target.get("tool") instanceof String t) {
                        add("tool\0" + t, sink);
                    }
                }
            }
        }

        private void pathKeys(Object v, List<Rule> sink) {
            if (!(v instanceof String p)) {
                return;
            }
            String path = Condition.normalizePath(p);
            for (int i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) {
                add(path.substring(0, i + 1), sink);
            }
        }

        private void add(String key, List<Rule> sink) {
            List<Rule> l = keyed.get(key);
            if (l != null) {
                sink.addAll(l);
            }
        }
    }
}
