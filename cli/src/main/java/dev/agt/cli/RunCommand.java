package dev.agt.cli;

import dev.agt.protocol.AdminRequest;
import dev.agt.sandbox.Bubblewrap;
import dev.agt.sandbox.Profile;
import dev.agt.sandbox.ProfileException;
import dev.agt.sandbox.Profiles;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code agt run -- java ...}: an agent JVM with the javaagent attached, inside bubblewrap. The
 * agent governs the JVM's calls; the sandbox is what native code and launched programs meet:
 * the system read-only, a private /tmp, only the workspace writable, the engine socket bound
 * in, the engine's audit directory, key and state absent, and with {@code network: none} no
 * network at all. A sandbox that was asked for and cannot be made means no start.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Run an agent JVM with the javaagent attached, inside a bubblewrap sandbox.",
                "Example: agt run --profile workspace --engine /run/agt/engine.sock -- java -jar agent.jar"})
final class RunCommand implements Callable<Integer> {
    @Option(names = "--profile", paramLabel = "NAME|FILE", defaultValue = "workspace",
            description = "A built-in profile (strict, workspace, networked) or a profile file; default: ${DEFAULT-VALUE}.")
    String profile;

    @Option(names = "--engine", paramLabel = "SOCKET", description = "The engine's Unix socket (default: AGT_ENGINE).")
    String engine;

    @Option(names = "--workspace", paramLabel = "DIR", description = "The writable working directory (default: the current directory).")
    Path workspace;

    @Option(names = "--name", paramLabel = "NAME", description = "The agent's declared name (passed to the javaagent).")
    String name;

    @Option(names = "--agent-options", paramLabel = "K=V,...", description = "More javaagent options, e.g. mode=monitor,rules=/etc/agt/rules.yaml.")
    String agentOptions;

    @Option(names = "--agent-jar", paramLabel = "JAR", description = "The javaagent jar (default: AGT_AGENT_JAR, or the one built beside this tool).")
    Path agentJar;

    @Option(names = "--hide", paramLabel = "PATH", description = "More paths that must not exist in the sandbox (the engine's own are found by asking it).")
    List<Path> hide = new ArrayList<>();

    @Option(names = "--print", description = "Print the sandbox command line instead of running it.")
    boolean print;

    @Parameters(paramLabel = "COMMAND", arity = "1..*", description = "The command, after --: java and its arguments.")
    List<String> command;

    @Override
    public Integer call() throws Exception {
        Profile p;
        try {
            p = Profiles.load(profile);
        } catch (ProfileException e) {
            for (var pr : e.problems()) {
                System.err.println("agt: " + pr);
            }
            System.err.println("agt: the sandbox profile is invalid; nothing was started");
            return 1;
        } catch (IOException e) {
            System.err.println("agt: " + e.getMessage());
            return 2;
        }
        String socket = engine != null ? engine : System.getenv("AGT_ENGINE");
        if (socket == null || socket.isEmpty()) {
            System.err.println("agt: no engine: give --engine SOCKET (or AGT_ENGINE)");
            return 2;
        }
        String why = Bubblewrap.unavailable();
        if (why != null) {
            System.err.println("agt: cannot sandbox: " + why + "; nothing was started (a sandbox asked for is never skipped)");
            return 2;
        }
        Path ws = (workspace != null ? workspace : Path.of("")).toAbsolutePath().normalize();
        if (!Files.isDirectory(ws)) {
            System.err.println("agt: the workspace " + ws + " is not a directory");
            return 2;
        }
        List<Path> readOnly = new ArrayList<>();
        List<Path> protect = new ArrayList<>();
        List<Path> hidden = new ArrayList<>(hide);
        Map<String, Object> status = Admin.call(socket, new AdminRequest.Status());
        if (status == null) {
            System.err.println("agt: warning: could not ask the engine where its files are; only --hide paths are covered "
                    + "(nothing outside the sandbox's binds is visible anyway)");
        } else {
            for (String k : List.of("audit_dir", "key_file", "state_dir", "witness_dir")) {
                if (status.get(k) instanceof String s) {
                    hidden.add(Path.of(s));
                    if (k.equals("key_file")) {
                        hidden.add(Path.of(s.replaceFirst("\\.key$", ".pub")));
                    }
                }
            }
        }
        List<String> cmd = new ArrayList<>(command);
        String exe = cmd.get(0);
        boolean isJava = Path.of(exe).getFileName().toString().equals("java");
        if (isJava) {
            Path java = resolve(exe);
            if (java == null) {
                System.err.println("agt: cannot find " + exe + " on PATH");
                return 2;
            }
            Path home = java.toRealPath().getParent().getParent();
            readOnly.add(home);
            protect.add(home);
            Path jar = agentJar();
            if (jar == null) {
                System.err.println("agt: cannot find the javaagent jar: give --agent-jar or AGT_AGENT_JAR (build it with ./mvnw -B -pl javaagent -am package -DskipTests)");
                return 2;
            }
            readOnly.add(jar);
            protect.add(jar);
            readOnly.addAll(classPath(cmd));
            String opts = "engine=" + Path.of(socket).toAbsolutePath().normalize() + (name != null ? ",name=" + name : "")
                    + (agentOptions != null && !agentOptions.isBlank() ? "," + agentOptions : "");
            for (String o : opts.split(",")) {
                if (o.startsWith("rules=") || o.startsWith("identity=")) {
                    Path f = Path.of(o.substring(o.indexOf('=') + 1)).toAbsolutePath();
                    readOnly.add(f);
                    protect.add(f);
                }
            }
            cmd.add(1, "-javaagent:" + jar.toRealPath() + "=" + opts);
        } else {
            System.err.println("agt: warning: " + exe + " is not a JVM: it runs sandboxed, without the javaagent");
        }
        List<String> argv;
        try {
            argv = Bubblewrap.command(Bubblewrap.find(), p, new Bubblewrap.Context(ws, readOnly,
                List.of(Path.of(socket).toAbsolutePath().normalize()), hidden, System.getenv(), Map.of(), protect), cmd);
        } catch (IOException e) {
            System.err.println("agt: " + e.getMessage());
            return 2;
        }
        if (print) {
            System.out.println(String.join(" ", argv));
            return 0;
        }
        System.err.println("agt: sandbox " + p.name() + " (" + (p.network() ? "host network" : "no network") + ", writable: "
                + ws + "): " + String.join(" ", command));
        ProcessBuilder pb = new ProcessBuilder(argv).inheritIO();
        pb.environment().clear(); // bwrap sets the sandbox's environment itself; nothing else (LD_PRELOAD...) reaches bwrap
        Process proc = pb.start();
        long wall = p.limits().wallSeconds();
        if (wall > 0 && !proc.waitFor(wall, TimeUnit.SECONDS)) {
            proc.destroyForcibly();
            System.err.println("agt: the sandboxed command ran past its wall-clock limit of " + wall + " s and was stopped");
            return 124;
        }
        return proc.waitFor();
    }

    private Path agentJar() throws Exception {
        if (agentJar != null) {
            return Files.isRegularFile(agentJar) ? agentJar : null;
        }
        String env = System.getenv("AGT_AGENT_JAR");
        if (env != null && !env.isEmpty()) {
            return Files.isRegularFile(Path.of(env)) ? Path.of(env) : null;
        }
        Path self = Path.of(RunCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path built = self.getParent().resolve("../../javaagent/target/agt-javaagent.jar").normalize();
        return Files.isRegularFile(built) ? built : null;
    }

    private static Path resolve(String exe) {
        if (exe.contains("/")) {
            Path p = Path.of(exe).toAbsolutePath();
            return Files.isExecutable(p) ? p : null;
        }
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
            Path p = Path.of(dir, exe);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    /** The class path and -jar of a java command line: visible read-only in the sandbox. */
    static List<Path> classPath(List<String> cmd) {
        List<Path> out = new ArrayList<>();
        for (int i = 1; i < cmd.size() - 1; i++) {
            String a = cmd.get(i);
            if (a.equals("-cp") || a.equals("-classpath") || a.equals("--class-path")) {
                for (String e : cmd.get(i + 1).split(File.pathSeparator)) {
                    if (!e.isEmpty() && !e.endsWith("*")) {
                        out.add(Path.of(e).toAbsolutePath().normalize());
                    } else if (e.endsWith("*")) {
                        out.add(Path.of(e.substring(0, e.length() - 1)).toAbsolutePath().normalize());
                    }
                }
            } else if (a.equals("-jar")) {
                out.add(Path.of(cmd.get(i + 1)).toAbsolutePath().normalize());
                break;
            } else if (!a.startsWith("-")) {
                break; // the main class: what follows is the program's own arguments
            }
        }
        return out;
    }
}
