package dev.agt.javaagent.runtime;

import dev.agt.identity.AgentKey;
import dev.agt.javaagent.bootstrap.Dispatcher;
import dev.agt.javaagent.bootstrap.Handler;
import dev.agt.protocol.Outcome;
import dev.agt.protocol.OutcomeSpool;
import dev.agt.protocol.Request;
import dev.agt.rules.InterceptRule;
import java.io.File;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The agent side of every decision, as the dispatcher sees it ({@link Handler}): turns what a
 * hook was given into the canonical request ({@link Targets}), asks the engine
 * ({@link EngineSession}) and turns the answer into allow or a denial ({@link Answers}). No
 * policy here: the only local answers are the runtime image's own reads and libraries
 * ({@link RuntimeImage}). Launches ({@link Launches}), calls governed by interception rules
 * ({@link RuleCalls}), resolver answers ({@link EarnedNames}), child keys ({@link ChildKeys}) and
 * calling frames ({@link CallingFrames}) each have their own class; this one wires them.
 */
public final class AgentRuntime implements Handler, Settings {
    static final Set<String> READS = Set.of("read", "list", "stat");
    private volatile Options options;
    private volatile CallingFrames frames;
    private final Object key;
    /**
     * What this agent did on its own (denied locally, let through in monitor mode or fail-open,
     * changed a launch), reported to the engine's log linked to the decision it follows; held
     * while the engine cannot be reached and delivered when it can, with the gap recorded.
     */
    private final OutcomeSpool outcomes;
    private final RuntimeImage image = new RuntimeImage();
    private final EarnedNames names = new EarnedNames();
    private final EngineSession session;
    private final Answers answers;
    private final ChildKeys childKeys;
    private final Launches launches;
    private final RuleCalls ruleCalls;
    private final TraceContexts traces;

    public AgentRuntime(Options options, Object key) {
        this.options = options;
        this.frames = new CallingFrames(options.frames(), options.framesEvery());
        this.key = key;
        this.traces = new TraceContexts(key);
        this.outcomes = new OutcomeSpool(OutcomeSpool.DEFAULT_CAPACITY, r -> {
            Thread t = new Thread(() -> {
                Dispatcher.enter(key); // delivering is the agent's own work
                try {
                    r.run();
                } finally {
                    Dispatcher.exit(key);
                }
            }, "agt-outcome-spool");
            t.setDaemon(true);
            return t;
        });
        this.session = new EngineSession(this, outcomes);
        this.answers = new Answers(this, outcomes);
        this.childKeys = new ChildKeys(this, session, key);
        this.launches = new Launches(this, outcomes, session, answers, childKeys);
        this.ruleCalls = new RuleCalls(this, outcomes, new RuleCalls.Asker() {
            @Override
            public String[] ask(String family, String action, Map<String, Object> target, boolean ruleMonitor, boolean atReturn) {
                return AgentRuntime.this.ask(family, action, target, ruleMonitor, atReturn);
            }
        }, key);
    }

    /** This agent's identity: the handshake proves it, and child JVMs get keys delegated from it. */
    public void identity(AgentKey key) {
        session.identity(key);
    }

    /** The interception rules in force, by the index the rewritten classes pass. */
    public void rules(List<InterceptRule> rules) {
        ruleCalls.rules(rules);
    }

    /** The jar named by -javaagent, which child JVMs are given (see AgentMain.agentJar). */
    public void agentJar(String path) {
        launches.agentJar(path);
    }

    /** Options settled at start-up (the name a key file gives, when none was given). */
    public void options(Options o) {
        this.options = o;
        this.frames = new CallingFrames(o.frames(), o.framesEvery());
    }

    @Override
    public Options options() {
        return options;
    }

    @Override
    public String trace() {
        return traces.current();
    }

    @Override
    public CallingFrames frames() {
        return frames;
    }

    /** Connects; returns null on success or the reason it failed. */
    public String connect() {
        return session.connect();
    }

    /**
     * The reason code with which the engine refused this agent's session ({@code auth-required},
     * {@code unknown-agent}, ...), while it does; empty when it accepted it or could not be reached.
     */
    public Optional<String> refusal() {
        return session.refusal();
    }

    /**
     * The last thing before the JVM exits: removes delegated child keys, gives the outcomes still
     * held a moment to reach the log (saying how many did not), and closes the connection.
     */
    public void close() {
        childKeys.removeAll();
        try {
            outcomes.awaitEmpty(Math.min(options.timeoutMs(), 1000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if ((outcomes.held() > 0 || outcomes.dropped() > 0) && !options.quiet()) {
            System.err.println("agt: " + outcomes.held() + " local outcomes not delivered to the engine's log at exit"
                    + (outcomes.dropped() > 0 ? " (" + outcomes.dropped() + " dropped while it was unreachable)" : ""));
        }
        outcomes.close();
        session.close();
    }

    @Override
    public String[] intercept(int index, Object self, Object[] args) {
        return ruleCalls.intercept(index, self, args);
    }

    @Override
    public Object result(int index, Object self, Object[] args, Object result) {
        return ruleCalls.result(index, self, args, result);
    }

    @Override
    public String[] launch(ProcessBuilder builder) {
        return launches.launch(builder);
    }

    @Override
    public void resolved(String host, InetAddress[] addresses) {
        names.resolved(host, addresses);
    }

    @Override
    public void refused(String family, String action, String code, String reason, String what) {
        outcomes.report(Outcome.deniedLocally(code, reason, new Request(family, action, Map.of("method", what),
                Thread.currentThread().getName(), frames.walk())));
    }

    @Override
    public String[] check(String family, String action, Object[] fields) {
        Map<String, Object> target = new LinkedHashMap<>();
        String act = action;
        if (family.equals("file") && READS.contains(action) && fields.length >= 2 && fields[0].equals("path") && image.writtenInImage(fields[1])) {
            return null; // the JDK reading its own image by name (see RuntimeImage)
        }
        for (int i = 0; i + 1 < fields.length; i += 2) {
            String k = (String) fields[i];
            Object v = fields[i + 1];
            boolean entry = family.equals("file") && (action.equals("delete") || action.equals("rename") || action.equals("link"));
            switch (k) {
                // a name that is deleted, renamed or linked is the directory entry itself (its directory resolved)
                case "path" -> target.put("path", entry ? Targets.linkPath(v) : Targets.realPath(v));
                case "at" -> target.put("path", entry ? Targets.linkPath(Targets.at((Object[]) v)) : Targets.realPath(Targets.at((Object[]) v)));
                case "fd" -> target.put("path", Targets.realPath(Targets.fdPath((Integer) v)));
                case "link" -> target.put("path", Targets.linkPath(v));
                case "linkAt" -> target.put("path", Targets.linkPath(Targets.at((Object[]) v)));
                case "dest" -> target.put("dest", Targets.linkPath(v)); // rename's destination and link's existing name: not followed
                case "destAt" -> target.put("dest", Targets.linkPath(Targets.at((Object[]) v)));
                case "symlinkTarget" -> target.put("dest", Targets.symlinkTarget(fields[1], (byte[]) v));
                case "address" -> Targets.address((InetAddress) v, target, names::earned, !action.equals("listen"));
                case "reverse" -> {
                    try {
                        target.put("ip", InetAddress.getByAddress((byte[]) v).getHostAddress());
                    } catch (java.net.UnknownHostException e) {
                        target.put("ip", "invalid");
                    }
                    target.put("reverse", "true");
                }
                case "port" -> target.put("port", ((Integer) v).longValue());
                case "unix" -> {
                    target.put("transport", "unix");
                    target.put("path", Targets.realPath(v));
                }
                case "library" -> target.put("path", library(String.valueOf(v)));
                case "hostname" -> target.put("host", String.valueOf(v));
                case "transport" -> target.put("transport", String.valueOf(v));
                case "signal" -> {
                    // the process a signal is for: its pid, and what it runs (for executables: rules)
                    long pid = (Long) v;
                    target.put("pid", pid);
                    target.put("executable", Targets.realPath(Path.of("/proc/" + pid + "/exe")));
                }
                case "launch" -> {
                    return launches.finalLaunch((Object[]) v);
                }
                case "append" -> {
                    // a detail of java.io writes; the action already says write
                }
                default -> target.put(k, String.valueOf(v));
            }
        }
        if (family.equals("file") && READS.contains(act) && target.get("path") instanceof String p && image.ownRead(p, act)) {
            return null;
        }
        if (family.equals("native") && target.get("path") instanceof String p && image.ownLibrary(p)) {
            return null; // the JDK's own libraries from its runtime image (see RuntimeImage)
        }
        return ask(family, act, target, false, false);
    }

    /** Asks the engine; null to allow, else the denial as the dispatcher reports it. */
    private String[] ask(String family, String act, Map<String, Object> target, boolean ruleMonitor, boolean atReturn) {
        Request request = new Request(family, act, target, Thread.currentThread().getName(), frames.forRequest(family, act, target),
                ruleMonitor, atReturn, traces.current());
        return answers.answer(session.decide(request), request, ruleMonitor);
    }

    private static String library(String name) {
        if (name.indexOf('/') >= 0) {
            return Targets.realPath(name); // a path (NativeLibraries hands over the canonical one)
        }
        String file = System.mapLibraryName(name);
        for (String prop : new String[] {"java.library.path", "sun.boot.library.path"}) {
            for (String dir : System.getProperty(prop, "").split(File.pathSeparator)) {
                if (!dir.isEmpty() && new File(dir, file).isFile()) {
                    return Targets.realPath(Path.of(dir, file));
                }
            }
        }
        return name;
    }
}
