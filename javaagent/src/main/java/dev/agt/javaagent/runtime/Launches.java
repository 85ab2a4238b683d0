package dev.agt.javaagent.runtime;

import dev.agt.protocol.Decision;
import dev.agt.protocol.Outcome;
import dev.agt.protocol.OutcomeSpool;
import dev.agt.protocol.Reasons;
import dev.agt.protocol.Request;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Process launches, decided twice over: at {@code ProcessBuilder.start} on the launch as it will
 * run (the child's environment prepared first: this agent in its {@code JAVA_TOOL_OPTIONS}, only
 * safe JVM options, a delegated key), and at {@code ProcessImpl}'s constructor, where the bytes
 * {@code forkAndExec} will use must be exactly those decided on this thread. A launch the policy
 * allows only inside a sandbox is rewritten to run in it.
 */
final class Launches {
    private final Settings settings;
        private final OutcomeSpool outcomes;
    private final EngineSession session;
    private final Answers answers;
    private final ChildKeys childKeys;
    private volatile String agentJar;

    Launches(Settings settings, OutcomeSpool outcomes, EngineSession session, Answers answers,
             ChildKeys childKeys) {
        this.settings = settings;
        this.outcomes = outcomes;
        this.session = session;
        this.answers = answers;
        this.childKeys = childKeys;
    }

    /** The jar named by -javaagent, which child JVMs are given (see AgentMain.agentJar); null: children run without it. */
    void agentJar(String path) {
        this.agentJar = path;
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
    String[] finalLaunch(Object[] l) {
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
                settings.frames().walk());
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

    /** Builders this agent rewrote to run in a sandbox, with the command their owner gave. */
    private final Map<ProcessBuilder, Launch> rewritten = java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

    /**
     * At ProcessBuilder.start: prepares the child's environment (this agent in its
     * JAVA_TOOL_OPTIONS, only safe JVM options, a delegated key for a child JVM), asks the engine
     * about the launch as prepared, and wraps it in a sandbox when the policy says so. Null to go
     * on, else the denial.
     */
    String[] launch(ProcessBuilder builder) {
        Options options = this.settings.options();
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
                        Targets.process(cmd, env, dir), Thread.currentThread().getName(), settings.frames().walk())));
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
                    Targets.process(cmd, prepared, dir), Thread.currentThread().getName(), settings.frames().walk())));
            return new String[] {"", Reasons.LAUNCH_CHANGED, reason, "-1", "process/exec " + java.util.Arrays.toString(cmd)};
        }
        Map<String, Object> target = new LinkedHashMap<>(Targets.process(cmd, prepared, dir));
        Request request = new Request("process", "exec", target, Thread.currentThread().getName(), settings.frames().forRequest("process", "exec", target),
                false, false, settings.trace());
        Decision d = session.decide(request);
        String[] denial = answers.answer(d, request, false);
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
                return new String[] {d.rule(), Reasons.SANDBOX_UNAVAILABLE, reason, Long.toString(d.auditSeq()), "process/exec " + Answers.describe("process", target)};
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
        Options options = this.settings.options();
        List<String> cmd = builder.command();
        if (cmd.isEmpty() || hasNull(cmd)) {
            return null;
        }
        Map<String, String> env = builder.environment();
        String delegated = agentJar != null && isJava(cmd.get(0)) ? childKeys.mint() : null;
        // without the jar's path, children run without the agent (said at start-up), and still without smuggled options
        String flag = agentJar == null ? "" : "-javaagent:" + agentJar + "=engine=" + options.engine() + ",name=" + options.name() + "/child"
                + (delegated == null ? "" : ",identity=" + delegated)
                + ",failMode=" + (options.failClosed() ? "closed" : "open") + ",timeoutMs=" + options.timeoutMs()
                + ",mode=" + (options.monitor() ? "monitor" : "enforce") + ",frames=" + options.frames()
                + (options.framesEvery() ? ",framesFor=every" : "")
                + (options.exitOnEngineDown() ? ",onEngineDown=exit" : "")
                + (options.rules() == null ? "" : ",rules=" + Path.of(options.rules()).toAbsolutePath()) // sub-agents follow the same rules
                + (session.lineage() == null ? "" : ",lineage=" + session.lineage()); // and share this agent's session labels, both ways
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

    private static boolean isJava(String exe) {
        String base = exe.substring(exe.lastIndexOf('/') + 1);
        return base.equals("java");
    }
}
