package dev.agt.javaagent.runtime;

import dev.agt.identity.AgentKey;
import dev.agt.javaagent.bootstrap.Dispatcher;
import dev.agt.javaagent.bootstrap.Handler;
import dev.agt.rules.Accessors;
import dev.agt.rules.InterceptRule;
import dev.agt.protocol.Authenticator;
import dev.agt.protocol.Decision;
import dev.agt.protocol.EngineAddress;
import dev.agt.protocol.EngineClient;
import dev.agt.protocol.Outcome;
import dev.agt.protocol.OutcomeSpool;
import dev.agt.protocol.Reasons;
import dev.agt.protocol.Request;
import dev.agt.protocol.SessionRefused;
import dev.agt.protocol.TargetField;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The agent side of every decision: builds the canonical request, asks the engine over one
 * pipelined connection, and turns the answer into allow or a denial. No policy here: the only
 * local answers are reads of the JVM's own runtime image and start-up class path, which class
 * loading needs before anything else can work, and loads of the JDK's own native libraries
 * from its runtime image (narrow, read-only, documented).
 *
 * <p>Fail closed: no engine, a broken connection, a timeout or a bad reply is a denial with
 * its reason code. A broken connection is re-established at most once a second.
 */
public final class AgentRuntime implements Handler {
    static final Set<String> READS = Set.of("read", "list", "stat");
    private volatile Options options;
    private volatile CallingFrames frames;
    /** The JDK runtime image (java.home and what its conf/lib/legal resolve to). */
    private final List<String> runtimeDirs = new ArrayList<>();
    /** Directories on the start-up class path: matched on real paths only (they may be writable). */
    private final List<String> classPathDirs = new ArrayList<>();
    private final Set<String> classPathFiles;
    private volatile EngineClient client;
    private volatile String lastError = "not connected yet";
    private volatile long lastAttempt;
    private volatile boolean closed;
    private volatile List<InterceptRule> rules = List.of();
    /** This agent's key (identity=), or null for a declared name only. */
    private volatile AgentKey identity;
    /** The engine's refusal of the session, while it refuses it. */
    private volatile SessionRefused refused;
    private Path delegations;

    private final Object key;
    /**
     * What this agent did on its own (denied locally, let through in monitor mode or fail-open,
     * changed a launch), reported to the engine's log linked to the decision it follows; held
     * while the engine cannot be reached and delivered when it can, with the gap recorded.
     */
    private final OutcomeSpool outcomes;

    public AgentRuntime(Options options, Object key) {
        this.options = options;
        this.frames = new CallingFrames(options.frames(), options.framesEvery());
        this.key = key;
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
        String home = System.getProperty("java.home");
        runtimeDirs.add(Targets.realPath(home) + "/");
        // distributions link parts of the image elsewhere (Debian: conf -> /etc/java-17-openjdk)
        for (String sub : new String[] {"conf", "lib", "legal"}) {
            String real = Targets.realPath(home + "/" + sub) + "/";
            if (!real.startsWith(runtimeDirs.get(0))) {
                runtimeDirs.add(real);
            }
        }
        String cp = System.getProperty("java.class.path", "");
        Set<String> files = new java.util.HashSet<>();
        for (String entry : cp.split(File.pathSeparator)) {
            if (entry.isEmpty()) {
                continue;
            }
            String real = Targets.realPath(entry);
            if (new File(real).isDirectory()) {
                classPathDirs.add(real.endsWith("/") ? real : real + "/"); // classes are read from below it
            } else {
                files.add(real);
            }
        }
        classPathFiles = Set.copyOf(files);
    }

    /** This agent's identity: the handshake proves it, and child JVMs get keys delegated from it. */
    public void identity(AgentKey key) {
        this.identity = key;
    }

    /** The interception rules in force, by the index the rewritten classes pass. */
    public void rules(List<InterceptRule> rules) {
        this.rules = List.copyOf(rules);
    }

    @Override
    public String[] intercept(int index, Object self, Object[] args) {
        InterceptRule r = rules.get(index);
        Map<String, Object> target;
        try {
            target = Accessors.target(r.target(), self, args, null);
        } catch (RuntimeException e) {
            return unbuildable(r, e);
        }
        // sent as read, even without a field the vocabulary requires: the engine denies an
        // incomplete request (incomplete-request) and logs it, so a broken rule shows in the log
        return ask(r.family(), r.action(), strings(target), r.mode() == InterceptRule.Mode.MONITOR);
    }

    /** Fields the vocabulary defines as strings stay strings whatever a rule found (a command line as a list: joined). */
    private static Map<String, Object> strings(Map<String, Object> target) {
        for (Map.Entry<String, Object> e : target.entrySet()) {
            if (TargetField.of(e.getKey()).filter(f -> f.type() == TargetField.Type.STRING).isPresent() && !(e.getValue() instanceof String)) {
                e.setValue(Accessors.text(e.getValue()));
            }
        }
        return target;
    }

    @Override
    public Object result(int index, Object self, Object result) {
        InterceptRule r = rules.get(index);
        if (result == null) {
            return null;
        }
        java.util.function.Function<Object, Object> check = value -> {
            String[] d = decideResult(r, self, value);
            if (d != null) {
                throw Dispatcher.denial(d);
            }
            return value;
        };
        Object deferred = Results.onArrival(result, check);
        return deferred != null ? deferred : check.apply(result);
    }

    private String[] decideResult(InterceptRule r, Object self, Object value) {
        Dispatcher.enter(key);
        try {
            Map<String, Object> target;
            try {
                target = Accessors.target(r.target(), self, new Object[0], value);
            } catch (RuntimeException e) {
                return unbuildable(r, e);
            }
            return ask(r.family(), r.action(), strings(target), r.mode() == InterceptRule.Mode.MONITOR);
        } finally {
            Dispatcher.exit(key);
        }
    }

    /**
     * A target that cannot be built (an accessor failed) is denied here: nothing of it could be
     * read to send. A target built without a field is sent, and the engine denies it.
     */
    private String[] unbuildable(InterceptRule r, RuntimeException e) {
        String reason = "interception rule " + r.id() + ": " + e.getMessage();
        Request request = new Request(r.family(), r.action(), Map.of("rule", r.id()), Thread.currentThread().getName(), frames.walk());
        if (options.monitor() || r.mode() == InterceptRule.Mode.MONITOR) {
            System.err.println("agt: monitor mode: would deny " + r.family() + "/" + r.action() + " (rule " + r.id() + "): " + e.getMessage());
            outcomes.report(Outcome.passedMonitor(Reasons.UNBUILDABLE_REQUEST, reason, request));
            return null;
        }
        outcomes.report(Outcome.deniedLocally(Reasons.UNBUILDABLE_REQUEST, reason, request));
        return new String[] {"", Reasons.UNBUILDABLE_REQUEST, reason, "-1", r.family() + "/" + r.action() + " (" + r.id() + ")"};
    }

    /**
     * The reason code with which the engine refused this agent's session ({@code auth-required},
     * {@code unknown-agent}, ...), while it does; empty when it accepted it or could not be reached.
     */
    public Optional<String> refusal() {
        SessionRefused r = refused;
        return r == null ? Optional.empty() : Optional.of(r.code());
    }

    /** Connects; returns null on success or the reason it failed. */
    public String connect() {
        lastAttempt = System.nanoTime();
        try {
            Map<String, Object> attrs = new LinkedHashMap<>();
            attrs.put("mode", options.monitor() ? "monitor" : "enforce");
            attrs.put("java", System.getProperty("java.version"));
            EngineAddress address = EngineAddress.parse(options.engine());
            long timeout = Math.max(options.timeoutMs(), 2000);
            AgentKey k = identity;
            client = k == null ? EngineClient.connect(address, options.name(), attrs, timeout)
                    : EngineClient.connect(address, options.name(), attrs, timeout, Authenticator.of(k.did(), k.chain(), k::sign));
            refused = null;
            frames.newSession();
            outcomes.connected(client); // what was held while the engine could not be reached goes now
            return null;
        } catch (SessionRefused e) {
            // the engine answered, and said no: never excused as "unreachable" (failMode=open does not apply)
            refused = e;
            lastError = e.getMessage();
            return lastError;
        } catch (IOException | RuntimeException e) {
            lastError = e.getMessage() == null ? e.toString() : e.getMessage();
            return lastError;
        }
    }

    /** Closes the engine connection for good (the last thing before the JVM exits), and removes delegated child keys. */
    public void close() {
        closed = true;
        Path d = delegations;
        if (d != null) {
            Dispatcher.enter(key);
            try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(d)) {
                files.forEach(f -> f.toFile().delete());
                d.toFile().delete();
            } catch (IOException | RuntimeException e) {
                // best effort at exit: the keys are 0600 in a 0700 directory and expire with their tokens
            } finally {
                Dispatcher.exit(key);
            }
        }
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
        EngineClient c = client;
        if (c != null) {
            c.close();
        }
    }

    /** Options settled at start-up (the name a key file gives, when none was given). */
    public void options(Options o) {
        this.options = o;
        this.frames = new CallingFrames(o.frames(), o.framesEvery());
    }

    public Options options() {
        return options;
    }

    @Override
    public String[] check(String family, String action, Object[] fields) {
        Map<String, Object> target = new LinkedHashMap<>();
        String act = action;
        if (family.equals("file") && READS.contains(action) && fields.length >= 2 && fields[0].equals("path")) {
            // The JDK reads its own files by their place in the image, some of which link out
            // (Debian: conf/security/... -> /etc/java-17-openjdk, lib/security/cacerts ->
            // /etc/ssl/certs/java/cacerts). The image is root-owned; its own links are its plumbing.
            // Only for the image: a class path directory may be writable, and a link planted
            // there must be judged by where it leads.
            // Never with "..": after a link out of the image, ".." is the link target's parent.
            String written = String.valueOf(fields[1]);
            String lexical = Targets.lexical(fields[1]);
            if (!written.contains("..") && under(lexical, runtimeDirs)) {
                return null;
            }
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
                case "address" -> Targets.address((InetAddress) v, target, this::earned, !action.equals("listen"));
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
                    return finalLaunch((Object[]) v);
                }
                case "append" -> {
                    // a detail of java.io writes; the action already says write
                }
                default -> target.put(k, String.valueOf(v));
            }
        }
        if (family.equals("file") && READS.contains(act) && target.get("path") instanceof String p && runtimeRead(p, act)) {
            return null;
        }
        if (family.equals("native") && target.get("path") instanceof String p && p.startsWith(runtimeDirs.get(0))) {
            // the JDK's own libraries from its runtime image (libextnet, libzip...): without them
            // the JDK's networking classes fail to initialize for good, even before any policy
            return null;
        }
        return ask(family, act, target, false);
    }

    /** Asks the engine; null to allow, else the denial as the dispatcher reports it. */
    private String[] ask(String family, String act, Map<String, Object> target, boolean ruleMonitor) {
        Request request = new Request(family, act, target, Thread.currentThread().getName(), frames.forRequest(family, act, target),
                ruleMonitor);
        return answer(decide(request), request, ruleMonitor);
    }

    /** A decision as the dispatcher takes it: null to go on, else the denial (monitor mode and failMode applied). */
    private String[] answer(Decision d, Request request, boolean ruleMonitor) {
        String family = request.family();
        String act = request.action();
        Map<String, Object> target = request.target();
        if (d.allowed() && Reasons.MONITORED.equals(d.code()) && !options.quiet()) {
            System.err.println("agt: monitor mode (policy): would deny " + family + "/" + act + " " + describe(target) + " (rule " + d.rule() + ")");
        }
        if (d.allowed()) {
            return null;
        }
        boolean failure = d.rule().isEmpty();
        // failMode=open excuses only not reaching the engine; an engine that answered (even
        // audit-unavailable or refused) has decided, and its denial stands
        boolean unreachable = d.code().equals(Reasons.ENGINE_UNREACHABLE) || d.code().equals(Reasons.TIMEOUT);
        String what = family + "/" + act + " " + describe(target);
        boolean stopped = d.code().equals(Reasons.KILLED) || d.code().equals(Reasons.REVOKED) || d.code().equals(Reasons.REFUSED);
        if ((options.monitor() || ruleMonitor) && !stopped) { // a kill switch or a refused identity is never just watched
            System.err.println("agt: monitor mode" + (ruleMonitor && !options.monitor() ? " (interception rule)" : "") + ": would deny " + what
                    + " (" + (failure ? d.code() : "rule " + d.rule()) + ")");
            outcomes.report(d.auditSeq() >= 0 ? Outcome.passedMonitor(d.auditSeq(), d.code(), d.reason())
                    : Outcome.passedMonitor(d.code(), d.reason(), request));
            return null;
        }
        if (unreachable && !options.failClosed()) {
            outcomes.report(Outcome.passedFailOpen(d.code(), d.reason(), request));
            return null; // failMode=open: calls pass only while the engine cannot be reached
        }
        if (d.auditSeq() < 0) {
            outcomes.report(Outcome.deniedLocally(d.code(), d.reason(), request)); // unreachable, timeout, bad reply: the log learns later
        }
        return new String[] {d.rule(), d.code(), d.reason(), Long.toString(d.auditSeq()), what};
    }

    private Decision decide(Request request) {
        EngineClient c = client;
        if (c != null && c.isBroken()) {
            lastError = "connection lost: " + c.brokenReason();
        }
        if (c == null || c.isBroken()) {
            if (!closed && System.nanoTime() - lastAttempt > 1_000_000_000L) {
                if (connect() == null) {
                    c = client;
                }
            }
            if (c == null || c.isBroken()) {
                SessionRefused r = refused;
                if (r != null) {
                    return Decision.failure(Reasons.REFUSED, r.getMessage());
                }
                return Decision.failure(Reasons.ENGINE_UNREACHABLE, "the engine at " + options.engine() + " is unreachable: " + lastError);
            }
        }
        Decision d = c.decide(request, options.timeoutMs());
        if (Reasons.ENGINE_UNREACHABLE.equals(d.code()) && c.isBroken() && !closed && client == c
                && System.nanoTime() - lastAttempt > 1_000_000_000L) {
            // Nobody reads the connection between calls (see EngineClient), so an engine that
            // restarted since the last call is noticed by this one: ask on a new connection
            // (at most once a second, as above) instead of denying a call the engine never saw.
            lastError = "connection lost: " + c.brokenReason();
            if (connect() == null) {
                return client.decide(request, options.timeoutMs());
            }
        }
        return d;
    }

    /**
     * Reads that never reach the engine: the JDK's runtime image, the jars of the start-up class
     * path, and class files (only those) below its directories, which class loading needs. A
     * resource, a key or any other file below a class path directory is decided like any file.
     */
    private boolean runtimeRead(String realPath, String action) {
        if (under(realPath, runtimeDirs) || classPathFiles.contains(realPath)) {
            return true;
        }
        if (action.equals("stat") && classPathDirs.contains(realPath + "/")) {
            return true; // the class loader resolves its directory (getCanonicalFile): its metadata, never its listing
        }
        return realPath.endsWith(".class") && under(realPath, classPathDirs);
    }

    private static boolean under(String path, List<String> dirs) {
        for (String dir : dirs) {
            if (path.startsWith(dir)) {
                return true;
            }
        }
        return false;
    }

    /** The launch this thread's ProcessBuilder decided: ProcessImpl's constructor lets exactly it through. */
    private final ThreadLocal<Decided> decidedLaunch = new ThreadLocal<>();

    /** What a launch was decided on: command, the whole environment the child gets, and its directory as ProcessImpl names it. */
    private record Decided(List<String> cmd, Map<String, String> env, String dir, long auditSeq) {
    }

    /**
     * At ProcessImpl's constructor, with the bytes forkAndExec will use: the launch must be the
     * one decided at ProcessBuilder.start on this thread, byte for byte. Another thread that
     * changed the builder's command, environment (say, removed this agent from
     * JAVA_TOOL_OPTIONS) or directory in between gets no process.
     */
    private String[] finalLaunch(Object[] l) {
        List<String> cmd = new ArrayList<>();
        cmd.add(cString((byte[]) l[0]));
        cmd.addAll(cStrings((byte[]) l[1], (Integer) l[2]));
        Map<String, String> env = null;
        if (l[3] != null) {
            env = new java.util.HashMap<>();
            for (String kv : cStrings((byte[]) l[3], Integer.MAX_VALUE)) {
                int eq = kv.indexOf('=', 1);
                env.put(eq < 0 ? kv : kv.substring(0, eq), eq < 0 ? "" : kv.substring(eq + 1));
            }
        }
        String dir = l[4] == null ? null : cString((byte[]) l[4]);
        Decided decided = decidedLaunch.get();
        decidedLaunch.remove();
        String what = "process/exec " + cmd;
        if (decided != null && decided.cmd().equals(cmd) && java.util.Objects.equals(decided.env(), env)
                && java.util.Objects.equals(decided.dir(), dir)) {
            return null; // launched as decided: the common case costs a comparison, nothing more
        }
        Request arrived = new Request("process", "exec", Targets.process(cmd.toArray(String[]::new), env, dir), Thread.currentThread().getName(),
                frames.walk());
        if (decided == null) {
            String reason = "this launch reached the JDK's last gateway without a decision at ProcessBuilder.start";
            outcomes.report(Outcome.deniedLocally(Reasons.LAUNCH_CHANGED, reason, arrived));
            return new String[] {"", Reasons.LAUNCH_CHANGED, reason, "-1", what};
        }
        List<String> changed = new ArrayList<>();
        if (!decided.cmd().equals(cmd)) {
            changed.add("command");
        }
        if (!java.util.Objects.equals(decided.env(), env)) {
            changed.add("environment");
        }
        if (!java.util.Objects.equals(decided.dir(), dir)) {
            changed.add("directory");
        }
        if (changed.isEmpty()) {
            return null;
        }
        String reason = "the " + String.join(", ", changed) + " changed between the decision and the launch (another thread changed the ProcessBuilder)";
        outcomes.report(decided.auditSeq() >= 0 ? Outcome.overridden(decided.auditSeq(), Reasons.LAUNCH_CHANGED, reason, arrived)
                : Outcome.deniedLocally(Reasons.LAUNCH_CHANGED, reason, arrived));
        return new String[] {"", Reasons.LAUNCH_CHANGED, reason, Long.toString(decided.auditSeq()), what};
    }

    private static String cString(byte[] b) {
        int n = b.length > 0 && b[b.length - 1] == 0 ? b.length - 1 : b.length;
        return new String(b, 0, n, java.nio.charset.Charset.defaultCharset());
    }

    /** NUL-separated strings, at most {@code max}. */
    private static List<String> cStrings(byte[] b, int max) {
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < b.length && out.size() < max; i++) {
            if (b[i] == 0) {
                out.add(new String(b, start, i - start, java.nio.charset.Charset.defaultCharset()));
                start = i + 1;
            }
        }
        return out;
    }

    /** Names the resolver of this JVM answered, by address: a connect reports a name only if it is here for its IP. */
    private final Map<String, Set<String>> earnedNames = java.util.Collections.synchronizedMap(
            new LinkedHashMap<String, Set<String>>(256, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Set<String>> eldest) {
                    return size() > 16_384;
                }
            });

    @Override
    public void resolved(String host, InetAddress[] addresses) {
        String name = host.toLowerCase(java.util.Locale.ROOT);
        for (InetAddress a : addresses) {
            if (a != null) {
                earnedNames.computeIfAbsent(a.getHostAddress(), k -> java.util.concurrent.ConcurrentHashMap.newKeySet()).add(name);
            }
        }
    }

    @Override
    public void refused(String family, String action, String code, String reason, String what) {
        outcomes.report(Outcome.deniedLocally(code, reason, new Request(family, action, Map.of("method", what),
                Thread.currentThread().getName(), frames.walk())));
    }

    boolean earned(String name, String ip) {
        Set<String> names = earnedNames.get(ip);
        return names != null && names.contains(name.toLowerCase(java.util.Locale.ROOT));
    }
    /** Builders this agent rewrote to run in a sandbox, with the command their owner gave. */
    private final Map<ProcessBuilder, Launch> rewritten = java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

    @Override
    public String[] launch(ProcessBuilder builder) {
        decidedLaunch.remove();
        Launch original = rewritten.remove(builder);
        if (original != null) { // started again: decide on what its owner wrote, not on our wrapper
            builder.command(new ArrayList<>(original.command()));
            builder.environment().clear();
            builder.environment().putAll(original.env());
        }
        String[] cmd = builder.command().toArray(String[]::new);
        if (cmd.length == 0 || hasNull(java.util.Arrays.asList(cmd))) {
            return null; // ProcessBuilder itself refuses these (IndexOutOfBounds, NullPointerException): nothing launches
        }
        if (isJava(cmd[0])) {
            String bad = JvmOptions.unsafe(List.of(cmd), this::isAgtAgent);
            if (bad != null) {
                String reason = "a child JVM may not be started with " + bad
                        + " (native agents, the boot class path, JDK internals and option files are refused)";
                String dir = builder.directory() == null ? null : builder.directory().getPath();
                @SuppressWarnings({"unchecked", "rawtypes"})
                Map<Object, Object> env = (Map) builder.environment();
                outcomes.report(Outcome.deniedLocally(Reasons.UNSAFE_JVM_OPTION, reason, new Request("process", "exec",
                        Targets.process(cmd, env, dir), Thread.currentThread().getName(), frames.walk())));
                return new String[] {"", Reasons.UNSAFE_JVM_OPTION, reason, "-1", "process/exec " + java.util.Arrays.toString(cmd)};
            }
        }
        List<String> removed = new ArrayList<>();
        String minted = prepareLaunch(builder, removed);
        cmd = builder.command().toArray(String[]::new);
        String dir = builder.directory() == null ? null : builder.directory().getPath();
        // the environment as prepared, copied once: what is decided, and what the final gateway must
        // see; another thread may change the builder's map from here on, never this copy
        Map<String, String> prepared = new java.util.HashMap<>(builder.environment());
        if (agentJar != null && !prepared.getOrDefault("JAVA_TOOL_OPTIONS", "").startsWith("-javaagent:" + agentJar + "=")) {
            String reason = "another thread removed this agent from the child's JAVA_TOOL_OPTIONS while the launch was prepared";
            outcomes.report(Outcome.deniedLocally(Reasons.LAUNCH_CHANGED, reason, new Request("process", "exec",
                    Targets.process(cmd, prepared, dir), Thread.currentThread().getName(), frames.walk())));
            return new String[] {"", Reasons.LAUNCH_CHANGED, reason, "-1", "process/exec " + java.util.Arrays.toString(cmd)};
        }
        Map<String, Object> target = new LinkedHashMap<>(Targets.process(cmd, prepared, dir));
        Request request = new Request("process", "exec", target, Thread.currentThread().getName(), frames.forRequest("process", "exec", target));
        Decision d = decide(request);
        String[] denial = answer(d, request, false);
        if (denial != null) {
            return denial;
        }
        if (!removed.isEmpty()) {
            outcomes.report(Outcome.modified(d.auditSeq() >= 0 ? d.auditSeq() : Outcome.NONE, Reasons.UNSAFE_JVM_OPTION,
                    "removed from the child's JVM options (not on the safe list): " + String.join(", ", removed), request));
        }
        if (d.allowed() && d.sandbox() != null) {
            try {
                Map<String, String> before = new LinkedHashMap<>(prepared);
                List<String> wrapped = Sandboxes.wrap(d.sandbox(), builder, options.engine(), String.valueOf(target.get("executable")), agentJar,
                        minted, options.rules());
                rewritten.put(builder, new Launch(builder.command(), before));
                builder.command(wrapped);
                builder.environment().clear(); // bwrap sets the sandbox's environment; nothing else (LD_PRELOAD...) reaches bwrap itself
                prepared.clear();
                cmd = wrapped.toArray(String[]::new);
                if (!options.quiet()) {
                    System.err.println("agt: launching " + target.get("executable") + " inside sandbox " + d.sandbox() + " (rule " + d.rule() + ")");
                }
            } catch (Exception e) {
                // the policy allows this launch only inside the sandbox: without one, it does not run
                String reason = "sandbox " + d.sandbox() + " cannot be set up: " + e.getMessage();
                outcomes.report(Outcome.overridden(d.auditSeq(), Reasons.SANDBOX_UNAVAILABLE, reason));
                return new String[] {d.rule(), Reasons.SANDBOX_UNAVAILABLE, reason, Long.toString(d.auditSeq()), "process/exec " + describe(target)};
            }
        }
        decidedLaunch.set(new Decided(List.of(cmd), prepared, dir, d.auditSeq()));
        return null;
    }

    /** Null-safe for every List: List.of(...).contains(null) throws. */
    private static boolean hasNull(List<String> l) {
        for (String x : l) {
            if (x == null) {
                return true;
            }
        }
        return false;
    }

    /** A builder's command and environment as its owner wrote them, before a sandbox rewrote them. */
    private record Launch(List<String> command, Map<String, String> env) {
    }

    /**
     * Every child gets this agent in {@code JAVA_TOOL_OPTIONS} (every HotSpot JVM reads it, so a
     * JVM a child shell starts is governed too), first in the variable so it starts before any
     * other agent, with the same engine and settings and a name that says whose child it is. An
     * agt agent the caller put there (say with {@code mode=monitor} or another engine) is removed
     * first, and so is every {@code AGT_*} variable. A direct child JVM also gets a delegated key.
     *
     * @return the delegated key file minted for this launch, or null
     */
    private String prepareLaunch(ProcessBuilder builder, List<String> removed) {
        List<String> cmd = builder.command();
        if (cmd.isEmpty() || hasNull(cmd)) {
            return null;
        }
        Map<String, String> env = builder.environment();
        String delegated = agentJar != null && isJava(cmd.get(0)) ? delegate() : null;
        // without the jar's path, children run without the agent (said at start-up), and still without smuggled options
        String flag = agentJar == null ? "" : "-javaagent:" + agentJar + "=engine=" + options.engine() + ",name=" + options.name() + "/child"
                + (delegated == null ? "" : ",identity=" + delegated)
                + ",failMode=" + (options.failClosed() ? "closed" : "open") + ",timeoutMs=" + options.timeoutMs()
                + ",mode=" + (options.monitor() ? "monitor" : "enforce") + ",frames=" + options.frames()
                + (options.framesEvery() ? ",framesFor=every" : "")
                + (options.exitOnEngineDown() ? ",onEngineDown=exit" : "")
                + (options.rules() == null ? "" : ",rules=" + Path.of(options.rules()).toAbsolutePath()); // sub-agents follow the same rules
        for (String variable : JvmOptions.VARIABLES) {
            StringBuilder kept = new StringBuilder();
            for (String token : env.getOrDefault(variable, "").trim().split("\\s+")) {
                if (token.isEmpty() || isAgtAgent(token)) {
                    continue;
                }
                if (JvmOptions.safe(token)) {
                    kept.append(' ').append(token);
                } else {
                    removed.add(variable + ": " + token);
                }
            }
            if (variable.equals("JAVA_TOOL_OPTIONS") && !flag.isEmpty()) {
                env.put(variable, flag + kept);
            } else if (kept.length() == 0) {
                env.remove(variable);
            } else {
                env.put(variable, kept.substring(1));
            }
        }
        if (!removed.isEmpty() && !options.quiet()) {
            System.err.println("agt: removed from a child's JVM options (not on the safe list): " + String.join(", ", removed));
        }
        env.keySet().removeIf(k -> k.startsWith("AGT_")); // options meant for us never steer the child
        return delegated;
    }

    /** A -javaagent token that loads an agt agent (this jar, or any jar whose manifest names our premain). */
    private boolean isAgtAgent(String token) {
        if (!token.startsWith("-javaagent:")) {
            return false;
        }
        String jar = token.substring("-javaagent:".length());
        int eq = jar.indexOf('=');
        jar = eq >= 0 ? jar.substring(0, eq) : jar;
        if (jar.equals(agentJar)) {
            return true;
        }
        try (java.util.jar.JarFile j = new java.util.jar.JarFile(jar)) {
            java.util.jar.Manifest m = j.getManifest();
            return m != null && "dev.agt.javaagent.AgtAgent".equals(m.getMainAttributes().getValue("Premain-Class"));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * A key for a child JVM, delegated from this agent's (same scope, {@code delegationTtl}),
     * written 0600 into a private directory; null when this agent has no identity. The child
     * proves it with the chain its key file carries, and is cut off with its parent.
     */
    private synchronized String delegate() {
        AgentKey k = identity;
        if (k == null) {
            return null;
        }
        try {
            if (delegations == null) {
                delegations = java.nio.file.Files.createTempDirectory("agt-delegations-",
                        java.nio.file.attribute.PosixFilePermissions.asFileAttribute(java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
            }
            AgentKey child = k.delegate(AgentKey.generate(options.name() + "/child"), k.scope(),
                    java.time.Duration.ofSeconds(options.delegationTtlSeconds()));
            Path file = delegations.resolve(child.did().substring(child.did().length() - 16) + ".key");
            child.write(file); // removed by close(), as the agent's own work: File.deleteOnExit would run through the checks
            return file.toString();
        } catch (Exception e) {
            // no delegated key: the child presents none, and an engine that requires identities refuses it
            System.err.println("agt: could not delegate an identity to a child JVM: " + e.getMessage());
            return null;
        }
    }

    private static boolean isJava(String exe) {
        String base = exe.substring(exe.lastIndexOf('/') + 1);
        return base.equals("java");
    }

    private volatile String agentJar;

    /** The jar named by -javaagent, which child JVMs are given (see AgentMain.agentJar). */
    public void agentJar(String path) {
        this.agentJar = path;
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

    static String describe(Map<String, Object> t) {
        if (t.containsKey("executable")) {
            return String.valueOf(t.get("argv"));
        }
        if (t.containsKey("host")) {
            return t.get("host") + (t.containsKey("ip") && !t.get("ip").equals(t.get("host")) ? " (" + t.get("ip") + ")" : "")
                    + (t.containsKey("port") ? ":" + t.get("port") : "");
        }
        if (t.containsKey("tool")) {
            return "tool " + t.get("tool") + (t.containsKey("server") ? " of " + clip(String.valueOf(t.get("server"))) : "");
        }
        if (t.containsKey("tools")) {
            return "tool list" + (t.containsKey("server") ? " of " + clip(String.valueOf(t.get("server"))) : "");
        }
        return t.containsKey("dest") ? t.get("path") + " -> " + t.get("dest") : String.valueOf(t.get("path"));
    }

    private static String clip(String s) {
        return s.length() <= 120 ? s : s.substring(0, 60) + "..." + s.substring(s.length() - 57);
    }
}
