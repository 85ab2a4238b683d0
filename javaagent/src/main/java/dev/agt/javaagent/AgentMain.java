package dev.agt.javaagent;

import dev.agt.javaagent.bootstrap.Dispatcher;
import dev.agt.javaagent.gates.Gate;
import dev.agt.javaagent.gates.GateClasses;
import dev.agt.javaagent.gates.GateInstrumentation;
import dev.agt.javaagent.gates.GateTransformer;
import dev.agt.javaagent.hooks.Hook;
import dev.agt.javaagent.hooks.HookTransformer;
import dev.agt.javaagent.hooks.JdkInstrumentation;
import dev.agt.javaagent.runtime.AgentRuntime;
import dev.agt.javaagent.runtime.Options;
import dev.agt.identity.AgentKey;
import dev.agt.identity.IdentityException;
import dev.agt.javaagent.rules.RuleTransformer;
import dev.agt.rules.BuiltinRules;
import dev.agt.rules.InterceptRule;
import dev.agt.rules.RulesException;
import dev.agt.rules.RulesParser;
import java.io.IOException;
import java.lang.instrument.Instrumentation;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code -javaagent:agt-javaagent.jar=engine=/run/agt.sock,name=my-agent}: governs every
 * outbound connection, file access, process launch and native-library load of this JVM.
 *
 * <p>Start-up order matters: bootstrap classes first (the hooks call them), then the
 * transformer and retransformation of the JDK classes already loaded, then the self-check (a
 * family whose hook did not take is never left silently unguarded: the JVM stops), then the
 * engine connection, then arming.
 */
final class AgentMain {
    private AgentMain() {
    }

    static void start(Options given, Instrumentation inst, String placement) {
        Options options = given;
        HookTransformer transformer = new HookTransformer(JdkInstrumentation.HOOKS);
        GateClasses.Written written = BootstrapInjector.gates;
        if (written == null) {
            fatal("refusing to run unguarded on Java " + System.getProperty("java.version")
                    + ": the file-system gates could not be defined in java.base", 3);
            return;
        }
        List<String> absentGates = GateClasses.missing(GateInstrumentation.GATES, written);
        if (!absentGates.isEmpty()) {
            fatal("refusing to run unguarded on Java " + System.getProperty("java.version") + ": gated methods not found: "
                    + String.join("; ", absentGates), 3);
            return;
        }
        GateTransformer gates = new GateTransformer(GateInstrumentation.GATES, written);
        Object key;
        try {
            key = Dispatcher.claim(); // before any application code can
            Dispatcher.enter(key); // everything below is the agent's own work
            inst.addTransformer(transformer, true);
            inst.addTransformer(gates, true);
            List<Class<?>> loaded = new ArrayList<>();
            ClassLoader platform = ClassLoader.getPlatformClassLoader();
            for (Class<?> c : inst.getAllLoadedClasses()) {
                ClassLoader l = c.getClassLoader();
                String internal = c.getName().replace('.', '/');
                if ((l == null || l == platform && JdkInstrumentation.PLATFORM_CLASSES.contains(internal)
                        || JdkInstrumentation.APP_LOADER_CLASSES.containsKey(internal)) && transformer.classes().contains(internal)
                        || l == null && gates.covers(internal) && gates.callsGated(c)) {
                    loaded.add(c);
                }
            }
            if (!loaded.isEmpty()) {
                inst.retransformClasses(loaded.toArray(Class[]::new));
            }
            for (String internal : transformer.classes()) { // the rest: transformed as they load now
                if (JdkInstrumentation.HOOKS.stream().noneMatch(h -> h.owner().equals(internal) && !h.optional())) {
                    continue; // only optional hooks (management, attach, FFM, JDK 17's legacy sockets): hooked if and when they load
                }
                boolean onPlatform = JdkInstrumentation.PLATFORM_CLASSES.contains(internal);
                if (!onPlatform || ModuleLayer.boot().findModule("java.net.http").isPresent()) {
                    try {
                        Class.forName(internal.replace('/', '.'), false, onPlatform ? platform
                                : JdkInstrumentation.APP_LOADER_CLASSES.containsKey(internal) ? ClassLoader.getSystemClassLoader() : null);
                    } catch (ClassNotFoundException e) {
                        if (JdkInstrumentation.HOOKS.stream().anyMatch(h -> h.owner().equals(internal) && !h.optional())) {
                            throw e;
                        } // only optional hooks live there: a class this JDK does not have (JDK 17's legacy sockets on 25)
                    }
                }
            }
        } catch (Throwable t) {
            fatal("could not install its hooks: " + t, 3);
            return;
        }
        Set<String> missing = new TreeSet<>();
        Set<String> families = new TreeSet<>();
        for (Hook h : JdkInstrumentation.HOOKS) {
            families.add(h.family());
            boolean absent = JdkInstrumentation.PLATFORM_CLASSES.contains(h.owner()) && ModuleLayer.boot().findModule("java.net.http").isEmpty();
            if (!transformer.applied(h) && !absent && !h.optional()) { // a runtime image without java.net.http has no HttpClient to watch
                missing.add(h.family() + ": " + h.id());
            }
        }
        for (Gate g : GateInstrumentation.GATES) {
            families.add(g.family());
        }
        transformer.failures().putAll(gates.failures());
        if (!transformer.failures().isEmpty() || !missing.isEmpty()) {
            fatal("refusing to run unguarded on Java " + System.getProperty("java.version") + ": hooks not applied: "
                    + (missing.isEmpty() ? "" : String.join("; ", missing)) + (transformer.failures().isEmpty() ? "" : " errors: " + transformer.failures()), 3);
            return;
        }
        AgentRuntime runtime = new AgentRuntime(options, key);
        RuleTransformer rules;
        try {
            rules = interceptionRules(options, key);
        } catch (RulesException e) {
            fatal("refusing to run: the interception rules in " + options.rules() + " are invalid:\n" + e.getMessage(), 3);
            return;
        } catch (IOException e) {
            fatal("refusing to run: cannot read interception rules: " + e.getMessage(), 3);
            return;
        }
        runtime.rules(rules.rules());
        if (options.identity() != null) {
            try {
                AgentKey agentKey = AgentKey.read(Path.of(options.identity()));
                runtime.identity(agentKey);
                if (options.name().equals(Options.DEFAULT_NAME)) {
                    options = options.withName(agentKey.name()); // no name= given: the key's registered name
                    runtime.options(options);
                }
            } catch (IdentityException | IOException e) {
                fatal("refusing to run: cannot use the identity in " + options.identity() + ": " + e.getMessage(), 3);
                return;
            }
        }
        String jar = agentJar(inst, key);
        runtime.agentJar(jar);
        if (jar == null) {
            System.err.println("agt: warning: cannot tell which jar -javaagent named; child JVMs will start without the agent "
                    + "(their launch is still decided by policy)");
        }
        inst.addTransformer(rules, false);
        String error = runtime.connect();
        Options settled = options;
        closeLast(inst, key, () -> {
            reportUnmatched(rules, settled);
            runtime.close();
        });
        gates.arm(); // from now on a class whose calls cannot be gated or hooked stops the JVM rather than load ungoverned
        transformer.arm();
        Dispatcher.install(key, runtime);
        Dispatcher.exit(key);
        if (error != null) {
            // told apart by the reply's code, not its wording: a refused session is never "unreachable"
            boolean refusedSession = runtime.refusal().isPresent();
            System.err.println(refusedSession ? "agt: " + error + ": every governed call will be denied"
                    : "agt: engine unreachable at " + options.engine() + " (" + error + "): "
                    + (options.failClosed() ? "every governed call will be denied" : "failMode=open: governed calls pass unchecked"));
            if (options.exitOnEngineDown()) {
                fatal("onEngineDown=exit", 4);
            }
        }
        if (!options.quiet()) {
            System.err.println("agt: guarding " + String.join(", ", families) + " (" + JdkInstrumentation.HOOKS.size() + " hooks, " + written.found().size() + " gates, bootstrap "
                    + placement + "); engine " + options.engine() + (error == null ? "" : " (unreachable)") + "; mode "
                    + (options.monitor() ? "monitor (denials are logged, not enforced)" : "enforce") + "; agent " + options.name()
                    + "; interception rules: " + rules.rules().stream().filter(r -> r.builtin()).count() + " built-in"
                    + (options.rules() == null ? "" : ", " + rules.rules().stream().filter(r -> !r.builtin()).count() + " from " + options.rules()));
        }
    }

    /**
     * Closes the engine connection as the very last shutdown step. It must not close earlier,
     * while application shutdown hooks may still make governed calls; and it must close, because
     * at exit the JVM waits up to 300 ms for every thread blocked in native code, which is where
     * the connection's reader thread sits. The JDK runs its internal shutdown slots in order,
     * after the application's hooks (slot 1) and delete-on-exit (slot 2); the last slot is ours.
     */
    private static void closeLast(Instrumentation inst, Object key, Runnable last) {
        try {
            Module javaBase = Object.class.getModule();
            // to the bootstrap classes only (see agentJar): the application's module never gains jdk.internal.access
            inst.redefineModule(javaBase, java.util.Set.of(), java.util.Map.of("jdk.internal.access", java.util.Set.of(Dispatcher.class.getModule())),
                    java.util.Map.of(), java.util.Set.of(), java.util.Map.of());
            Dispatcher.lastShutdownHook(key, last);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // not fatal: the JVM then exits up to 300 ms later, that is all
        }
    }

    /**
     * The jar named by -javaagent (on the command line or in JAVA_TOOL_OPTIONS), whose manifest
     * names this agent. Not where AgtAgent was loaded from: premain classes load through the
     * system class path, where an application's own copy of agt jars would come first, and a
     * child given such a jar fails to start ("Failed to find Premain-Class").
     */
    static String agentJar(Instrumentation inst, Object key) {
        try {
            // exported to the bootstrap classes' module only: never to the application's unnamed
            // module, where every class of the application would gain jdk.internal.misc (Unsafe)
            inst.redefineModule(Object.class.getModule(), Set.of(), java.util.Map.of("jdk.internal.misc", Set.of(Dispatcher.class.getModule())),
                    java.util.Map.of(), Set.of(), java.util.Map.of());
            String[] args = Dispatcher.runtimeArguments(key);
            for (String a : args) {
                if (!a.startsWith("-javaagent:")) {
                    continue;
                }
                String jar = a.substring("-javaagent:".length());
                int eq = jar.indexOf('=');
                jar = eq >= 0 ? jar.substring(0, eq) : jar;
                try (java.util.jar.JarFile j = new java.util.jar.JarFile(jar)) {
                    java.util.jar.Manifest m = j.getManifest();
                    if (m != null && AgtAgent.class.getName().equals(m.getMainAttributes().getValue("Premain-Class"))) {
                        return Path.of(jar).toAbsolutePath().toString();
                    }
                }
            }
        } catch (ReflectiveOperationException | IOException | RuntimeException e) {
            // fall through: children then run without the agent, and the policy still decides their launch
        }
        return null;
    }

    /** The built-in rules (compiled into the jar) and the ops team's file from {@code rules=}, if any. */
    static RuleTransformer interceptionRules(Options options, Object key) throws IOException, RulesException {
        List<InterceptRule> all = new ArrayList<>(BuiltinRules.load().rules());
        if (options.rules() != null) {
            all.addAll(RulesParser.load(Path.of(options.rules())).rules());
        }
        return new RuleTransformer(all, options.quiet());
    }

    /** At exit: the ops team's rules that never matched a method (a typo in a class name shows here). */
    private static void reportUnmatched(RuleTransformer rules, Options options) {
        List<String> unmatched = new ArrayList<>();
        for (int i = 0; i < rules.rules().size(); i++) {
            InterceptRule r = rules.rules().get(i);
            if (!r.builtin() && r.mode() != InterceptRule.Mode.OFF && !rules.matched().containsKey(i)) {
                unmatched.add(r.id() + " (" + r.origin() + ")");
            }
        }
        if (!unmatched.isEmpty() && !options.quiet()) {
            System.err.println("agt: interception rules that matched no method in this run: " + String.join(", ", unmatched));
        }
    }

    static void fatal(String message, int status) {
        AgtAgent.fatal(message, status);
    }
}
