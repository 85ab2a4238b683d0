package dev.agt.cli.suggest;

import dev.agt.engine.policy.Evaluator;
import dev.agt.engine.policy.Glob;
import dev.agt.engine.policy.Policy;
import dev.agt.engine.policy.PolicyException;
import dev.agt.engine.policy.PolicyLoader;
import dev.agt.protocol.Family;
import dev.agt.protocol.Request;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Sorts observed calls into allow-rule drafts (per agent and family, then merged across agents
 * whose drafts are identical), secrets, calls the {@code jvm-runtime} base already allows,
 * calls no rule can express, and calls that were denied while enforcing.
 */
final class Suggester {
    static final Set<String> FILE_READS = Set.of("read", "list", "attr", "stat");
    /** Executables whose arguments are a program: allowing them with any argv allows anything. */
    static final Pattern INTERPRETER = Pattern.compile("(ba|da|z|k|c|tc|fi)?sh|python[0-9.]*|node|perl|ruby|env|php|lua|osascript|pwsh");

    /** A call left out of the allow rules, and why. */
    record Left(Observed observed, String why) {
    }

    /** Everything the policy writer needs. */
    record Suggestion(List<Draft> rules, List<Observed> secrets, List<Left> inexpressible, List<Observed> enforceDenied,
                      long baseAllowedCalls, long baseAllowedTargets) {
    }

    private static final Policy BASE = base();
    private final Evaluator evaluator = new Evaluator();
    private final Secrets secrets = new Secrets();
    private final PathGeneralizer paths;
    private final List<Left> inexpressible = new ArrayList<>();

    Suggester(PathGeneralizer paths) {
        this.paths = paths;
    }

    private static Policy base() {
        try {
            return PolicyLoader.loadText("<jvm-runtime>", "version: 1\ninclude: [jvm-runtime]\n", null, Map.of());
        } catch (PolicyException e) {
            throw new IllegalStateException("the built-in jvm-runtime policy does not load: " + e.getMessage(), e);
        }
    }

    /** Whether the built-in base policy, which every suggestion includes, already allows this. */
    boolean baseAllows(Observed o) {
        return evaluator.decide(BASE, o.request, o.agent()).allowed();
    }

    Suggestion suggest(List<Observed> observed) {
        List<Observed> secret = new ArrayList<>();
        List<Observed> denied = new ArrayList<>();
        long baseCalls = 0;
        long baseTargets = 0;
        Map<String, Map<String, List<Observed>>> byAgentFamily = new TreeMap<>();
        for (Observed o : observed) {
            if (o.enforceDenied > 0) {
                denied.add(o);
            }
            if (o.observed() == 0) {
                continue;
            }
            if (!Family.of(o.family()).map(f -> f.has(o.action())).orElse(false)) {
                inexpressible.add(new Left(o, "unknown family/action"));
            } else if (secrets.secret(o)) {
                secret.add(o);
            } else if (baseAllows(o)) {
                baseCalls += o.observed();
                baseTargets++;
            } else {
                byAgentFamily.computeIfAbsent(o.agentName, k -> new TreeMap<>())
                        .computeIfAbsent(o.family(), k -> new ArrayList<>()).add(o);
            }
        }
        Map<String, Draft> merged = new LinkedHashMap<>();
        byAgentFamily.forEach((agent, families) -> families.forEach((family, list) -> {
            for (Draft d : drafts(family, list)) {
                d.agents.add(agent);
                Draft same = merged.putIfAbsent(d.body(), d);
                if (same != null) {
                    same.agents.add(agent);
                    same.from.addAll(d.from);
                    d.notes.stream().filter(n -> !same.notes.contains(n)).forEach(same.notes::add);
                }
            }
        }));
        List<Draft> rules = new ArrayList<>(merged.values());
        // grouped by agent (a rule shared by several agents forms its own group), then by family
        rules.sort(Comparator.comparing((Draft d) -> String.join(", ", d.agents))
                .thenComparingInt(d -> Family.KEYS.indexOf(d.family)).thenComparing(d -> d.kind));
        assignIds(rules);
        return new Suggestion(rules, secret, List.copyOf(inexpressible), denied, baseCalls, baseTargets);
    }

    private List<Draft> drafts(String family, List<Observed> list) {
        // only families of the vocabulary get here (suggest() sorted the rest out)
        return switch (Family.of(family).orElseThrow()) {
            case FILE -> files(list);
            case NET -> net(list);
            case PROCESS -> processes(list);
            case NATIVE -> natives(list);
            case MCP -> mcp(list);
            case TOOL -> tools(list);
            case MODEL -> models(list);
        };
    }

    private List<Draft> files(List<Observed> list) {
        List<Draft> out = new ArrayList<>();
        for (boolean reads : new boolean[] {true, false}) {
            TreeSet<String> actions = new TreeSet<>();
            TreeSet<String> seen = new TreeSet<>();
            List<Observed> from = new ArrayList<>();
            for (Observed o : list) {
                if (FILE_READS.contains(o.action()) != reads) {
                    continue;
                }
                String p = PathGeneralizer.normalize(str(o, "path"));
                String d = o.target().containsKey("dest") ? PathGeneralizer.normalize(str(o, "dest")) : "";
                if (p == null || d == null) {
                    inexpressible.add(new Left(o, "not an absolute path"));
                    continue;
                }
                seen.add(p);
                if (!d.isEmpty()) {
                    seen.add(d);
                }
                actions.add(o.action());
                from.add(o);
            }
            if (from.isEmpty()) {
                continue;
            }
            // Read-ish and write-ish actions are generalized apart, so a directory that was only
            // read never becomes writable because a neighbouring one was written.
            Draft dr = new Draft("file", reads ? "read" : "write", actions, reads ? "read these files" : "write, create, move or delete these files")
                    .when("paths", paths.generalize(seen));
            dr.from.addAll(from);
            long globs = dr.conditions.get("paths").stream().filter(x -> ((String) x).endsWith("/**")).count();
            if (globs > 0) {
                dr.notes.add(seen.size() + " observed paths generalized: a directory with two or more observed branches became DIR/**");
            }
            out.add(dr);
        }
        return out;
    }

    private List<Draft> net(List<Observed> list) {
        List<Draft> out = new ArrayList<>();
        Map<String, TreeSet<String>> unix = new TreeMap<>();
        List<Observed> unixFrom = new ArrayList<>();
        TreeSet<String> unixActions = new TreeSet<>();
        // action -> host -> ports (empty: no port in the request)
        Map<String, Map<String, TreeSet<Long>>> hosts = new TreeMap<>();
        Map<String, List<Observed>> hostFrom = new TreeMap<>();
        for (Observed o : list) {
            String host = o.target().get("host") instanceof String h ? normalizeHost(h) : "";
            if (host.isEmpty() && (o.target().containsKey("path") || "unix".equals(o.target().get("transport")))) {
                String path = PathGeneralizer.normalize(str(o, "path"));
                if (path == null) {
                    inexpressible.add(new Left(o, "unix socket without an absolute path"));
                    continue;
                }
                unix.computeIfAbsent(path, k -> new TreeSet<>()).add(o.action());
                unixActions.add(o.action());
                unixFrom.add(o);
                continue;
            }
            if (host.isEmpty()) {
                inexpressible.add(new Left(o, "no host"));
                continue;
            }
            TreeSet<Long> ports = hosts.computeIfAbsent(o.action(), k -> new TreeMap<>()).computeIfAbsent(host, k -> new TreeSet<>());
            if (o.target().get("port") instanceof Long port && !"resolve".equals(o.action())) {
                ports.add(port);
            }
            hostFrom.computeIfAbsent(o.action(), k -> new ArrayList<>()).add(o);
        }
        if (!unix.isEmpty()) {
            Draft d = new Draft("net", "unix", unixActions, "connect to these Unix sockets")
                    .when("transports", List.of("unix"))
                    .when("paths", unix.keySet().stream().map(paths::write).toList());
            d.from.addAll(unixFrom);
            out.add(d);
        }
        hosts.forEach((action, byHost) -> {
            // hosts with the same observed ports share a rule; a port seen for one host is never granted to another
            Map<String, List<String>> byPorts = new TreeMap<>();
            byHost.forEach((h, ports) -> byPorts.computeIfAbsent(Yaml.json(List.copyOf(ports)), k -> new ArrayList<>()).add(h));
            byPorts.forEach((portKey, hs) -> {
                Draft d = new Draft("net", action, new TreeSet<>(Set.of(action)), switch (action) {
                    case "resolve" -> "resolve these host names";
                    case "listen" -> "listen on these addresses and ports";
                    case "send" -> "send datagrams to these hosts and ports";
                    default -> "connect to these hosts and ports";
                });
                d.when("hosts", hs.stream().map(Glob::escape).toList());
                TreeSet<Long> ports = byHost.get(hs.get(0));
                if (!ports.isEmpty()) {
                    d.when("ports", List.copyOf(ports));
                }
                for (Observed o : hostFrom.get(action)) {
                    if (hs.contains(normalizeHost(str(o, "host")))) {
                        d.from.add(o);
                    }
                }
                out.add(d);
            });
        });
        return out;
    }

    private List<Draft> processes(List<Observed> list) {
        List<Draft> out = new ArrayList<>();
        Map<String, List<Observed>> byExe = new TreeMap<>();
        for (Observed o : list) {
            String exe = PathGeneralizer.normalize(str(o, "executable"));
            if (exe == null) {
                inexpressible.add(new Left(o, "the executable was not resolved to an absolute path"));
                continue;
            }
            byExe.computeIfAbsent(exe, k -> new ArrayList<>()).add(o);
        }
        Draft loose = new Draft("process", "exec", new TreeSet<>(Set.of("exec")), "run these programs, with any arguments");
        List<String> looseExes = new ArrayList<>();
        byExe.forEach((exe, obs) -> {
            Set<Object> argvs = new java.util.LinkedHashSet<>();
            obs.forEach(o -> argvs.add(o.target().get("argv")));
            Object only = argvs.size() == 1 ? argvs.iterator().next() : null;
            if (only instanceof List<?> argv && !argv.isEmpty() && argv.stream().allMatch(a -> a instanceof String s && !s.isEmpty())) {
                // always the same arguments: pin them exactly
                Draft d = new Draft("process", "exec", new TreeSet<>(Set.of("exec")), "run this program with exactly these arguments")
                        .when("executables", List.of(paths.write(exe)))
                        .when("argv", argv.stream().map(a -> Glob.escape((String) a).replace("|", "\\|")).toList());
                d.from.addAll(obs);
                out.add(d);
                return;
            }
            looseExes.add(exe);
            loose.from.addAll(obs);
            String base = exe.substring(exe.lastIndexOf('/') + 1);
            List<String> samples = argvs.stream().limit(3).map(String::valueOf).toList();
            loose.notes.add(exe + ": " + argvs.size() + " different argv, any is allowed; e.g. " + String.join(", ", samples));
            if (INTERPRETER.matcher(base).matches()) {
                loose.notes.add("WARNING: " + exe + " runs whatever its arguments say; pin argv (or drop it) before enforcing");
            }
        });
        if (!looseExes.isEmpty()) {
            loose.when("executables", looseExes.stream().map(paths::write).toList());
            out.add(loose);
        }
        return out;
    }

    private List<Draft> natives(List<Observed> list) {
        TreeSet<String> libs = new TreeSet<>();
        List<Observed> from = new ArrayList<>();
        for (Observed o : list) {
            String p = PathGeneralizer.normalize(str(o, "path"));
            if (p == null) {
                inexpressible.add(new Left(o, "not an absolute library path"));
                continue;
            }
            libs.add(p);
            from.add(o);
        }
        if (libs.isEmpty()) {
            return List.of();
        }
        Draft d = new Draft("native", "load", new TreeSet<>(Set.of("load")), "load these native libraries")
                .when("paths", libs.stream().map(paths::write).toList());
        d.from.addAll(from);
        return List.of(d);
    }

    private List<Draft> mcp(List<Observed> list) {
        List<Draft> out = new ArrayList<>();
        Map<String, TreeSet<String>> toolsByServer = new TreeMap<>();
        Map<String, List<Observed>> callFrom = new TreeMap<>();
        TreeSet<String> listServers = new TreeSet<>();
        List<Observed> listFrom = new ArrayList<>();
        for (Observed o : list) {
            String server = str(o, "server");
            String tool = str(o, "tool");
            if (server == null || server.isEmpty()) {
                String transport = str(o, "transport");
                inexpressible.add(new Left(o, "no MCP server could be named" + (transport == null ? "" : " (transport " + transport + ")")
                        + ": builtin.mcp-unknown-server denies these; builtin_rules: {mcp-unknown-server: off} leaves them to rules of your own"));
            } else if (o.action().equals("list")) {
                listServers.add(server);
                listFrom.add(o);
            } else if (tool == null || tool.isEmpty()) {
                inexpressible.add(new Left(o, "an MCP call without a tool name"));
            } else {
                toolsByServer.computeIfAbsent(server, k -> new TreeSet<>()).add(tool);
                callFrom.computeIfAbsent(server, k -> new ArrayList<>()).add(o);
            }
        }
        toolsByServer.forEach((server, tools) -> {
            Draft d = new Draft("mcp", "call", new TreeSet<>(Set.of("call")), "call these tools of this MCP server")
                    .when("servers", List.of(Glob.escape(server)))
                    .when("tools", tools.stream().map(Glob::escape).toList());
            d.notes.add("arguments are not constrained: add 'where:' tests to narrow them");
            d.from.addAll(callFrom.get(server));
            out.add(d);
        });
        if (!listServers.isEmpty()) {
            Draft d = new Draft("mcp", "list", new TreeSet<>(Set.of("list")), "list the tools of these MCP servers")
                    .when("servers", listServers.stream().map(Glob::escape).toList());
            d.from.addAll(listFrom);
            out.add(d);
        }
        return out;
    }

    private List<Draft> tools(List<Observed> list) {
        TreeSet<String> tools = new TreeSet<>();
        List<Observed> from = new ArrayList<>();
        for (Observed o : list) {
            String t = str(o, "tool");
            if (t == null || t.isEmpty()) {
                inexpressible.add(new Left(o, "no tool name"));
                continue;
            }
            tools.add(t);
            from.add(o);
        }
        if (tools.isEmpty()) {
            return List.of();
        }
        Draft d = new Draft("tool", "call", new TreeSet<>(Set.of("call")), "call these framework tools")
                .when("tools", tools.stream().map(Glob::escape).toList());
        d.notes.add("arguments are not constrained: add 'where:' tests to narrow them");
        d.from.addAll(from);
        return List.of(d);
    }

    /** One rule per provider, naming the models seen, over the actions seen. */
    private List<Draft> models(List<Observed> list) {
        Map<String, TreeSet<String>> modelsByProvider = new TreeMap<>();
        Map<String, TreeSet<String>> actionsByProvider = new TreeMap<>();
        Map<String, List<Observed>> from = new TreeMap<>();
        for (Observed o : list) {
            String provider = str(o, "provider");
            String model = str(o, "model");
            if (provider == null || provider.isEmpty() || model == null || model.isEmpty()) {
                inexpressible.add(new Left(o, "no provider or model named"));
                continue;
            }
            modelsByProvider.computeIfAbsent(provider, k -> new TreeSet<>()).add(model);
            actionsByProvider.computeIfAbsent(provider, k -> new TreeSet<>()).add(o.action());
            from.computeIfAbsent(provider, k -> new ArrayList<>()).add(o);
        }
        List<Draft> out = new ArrayList<>();
        modelsByProvider.forEach((provider, models) -> {
            Draft d = new Draft("model", "models", actionsByProvider.get(provider), "call these models of " + provider)
                    .when("providers", List.of(Glob.escape(provider)))
                    .when("models", models.stream().map(Glob::escape).toList());
            d.from.addAll(from.get(provider));
            out.add(d);
        });
        return out;
    }

    private static void assignIds(List<Draft> rules) {
        Set<String> used = new java.util.HashSet<>(Set.of(Secrets.RULE_ID));
        for (Draft d : rules) {
            String who = d.agents.size() == 1 ? d.agents.first() : String.join("_", d.agents);
            if (who.length() > 60) {
                who = d.agents.first() + "_and_" + (d.agents.size() - 1) + "_more";
            }
            who = who.replaceAll("[^A-Za-z0-9_.:-]", "-");
            if (who.length() > 80) {
                who = who.substring(0, 80);
            }
            if (!Character.isLetterOrDigit(who.charAt(0)) || who.charAt(0) > 127) {
                who = "a" + who;
            }
            String base = who + "." + d.family + "-" + d.kind;
            String id = base;
            for (int n = 2; !used.add(id); n++) {
                id = base + "-" + n;
            }
            d.id = id;
        }
    }

    static String normalizeHost(String h) {
        String l = h == null ? "" : h.toLowerCase(Locale.ROOT);
        while (l.endsWith(".") && l.length() > 1) {
            l = l.substring(0, l.length() - 1);
        }
        return l;
    }

    private static String str(Observed o, String key) {
        return o.target().get(key) instanceof String s ? s : null;
    }
}
