package dev.agt.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Builds the bubblewrap command line that runs a command under a {@link Profile}: new PID, IPC
 * and UTS namespaces (and network, when the profile has none), the system read-only, a private
 * {@code /tmp}, fresh {@code /proc} and {@code /dev}, only the listed paths bound, the
 * environment cleared to the allowlist, and rlimits applied inside by {@code prlimit}.
 *
 * <p>Nothing outside the binds exists in the sandbox; the engine's audit directory, signing key
 * and state are never bound, and where one lies under a bound directory it is covered (an empty
 * tmpfs over a directory, {@code /dev/null} over a file). A bind that would expose one of them
 * writable is refused.
 */
public final class Bubblewrap {
    /** System directories bound read-only when {@code system: read-only}. */
    static final List<String> SYSTEM = List.of("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/opt");
    /**
     * Of /etc, only what programs need to start, resolve names and speak TLS: never the whole
     * directory (/etc/shadow, ssh host keys, ...).
     */
    static final List<String> ETC = List.of("/etc/alternatives", "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d",
            "/etc/hosts", "/etc/resolv.conf", "/etc/nsswitch.conf", "/etc/host.conf", "/etc/gai.conf", "/etc/passwd", "/etc/group",
            "/etc/localtime", "/etc/timezone", "/etc/ssl/certs", "/etc/ca-certificates", "/etc/java-17-openjdk", "/etc/java-21-openjdk",
            "/etc/java-25-openjdk", "/etc/mime.types", "/etc/os-release", "/etc/debian_version");

    private Bubblewrap() {
    }

    /** Where bubblewrap may be taken from: fixed places, never PATH (a planted "bwrap" there would run bare). */
    static final List<String> LOCATIONS = List.of("/usr/bin/bwrap", "/bin/bwrap", "/usr/local/bin/bwrap");

    /**
     * The bubblewrap binary: the first of {@link #LOCATIONS} (or {@code AGT_BWRAP}, for tests and
     * unusual installs) that exists, is owned by root and is writable by no one else; null when none is.
     */
    public static Path find() {
        String override = System.getenv("AGT_BWRAP");
        for (String c : override != null && !override.isEmpty() ? List.of(override) : LOCATIONS) {
            Path p = Path.of(c);
            try {
                if (Files.isRegularFile(p) && Files.isExecutable(p) && Files.getOwner(p).getName().equals("root")) {
                    var perms = Files.getPosixFilePermissions(p);
                    if (!perms.contains(java.nio.file.attribute.PosixFilePermission.GROUP_WRITE)
                            && !perms.contains(java.nio.file.attribute.PosixFilePermission.OTHERS_WRITE)) {
                        return p;
                    }
                }
            } catch (IOException | UnsupportedOperationException e) {
                // not usable
            }
        }
        return null;
    }

    /**
     * Checks that bubblewrap exists and the kernel lets it make namespaces; returns null when
     * it does, otherwise what is wrong and what to do. Never guesses: a sandbox asked for and
     * not available means no start.
     */
    public static String unavailable() {
        Path bwrap = find();
        if (bwrap == null) {
            return "bubblewrap (bwrap) is not installed where it is trusted (" + String.join(", ", LOCATIONS)
                    + ", root-owned, writable by no one else): install the Debian package 'bubblewrap' (apt-get install bubblewrap)";
        }
        try {
            ProcessBuilder pb = new ProcessBuilder(bwrap.toString(), "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "--unshare-pid",
                    "--unshare-net", "--", "/bin/true").redirectErrorStream(true);
            pb.environment().clear(); // nothing of the caller's (LD_PRELOAD...) reaches bwrap itself
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "bubblewrap did not finish a trial run within 20 s";
            }
            if (p.exitValue() != 0) {
                return "the kernel refused bubblewrap's namespaces (" + out.strip() + "); unprivileged user namespaces may be off "
                        + "(sysctl kernel.unprivileged_userns_clone=1) or a container forbids them";
            }
            return null;
        } catch (IOException e) {
            return "bubblewrap could not be started: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted while checking bubblewrap";
        }
    }

    /**
     * What the sandbox needs beyond the profile.
     *
     * @param workspace  the working directory (${workspace}); the command starts there
     * @param readOnly   more read-only binds (the JDK, the agent jar, the application's class path)
     * @param sockets    Unix sockets to bind in (the engine's)
     * @param hidden     paths that must never be visible (the engine's audit directory, key, state)
     * @param env        the environment to filter by the profile's allowlist
     * @param extraEnv   variables set whatever the allowlist says (e.g. JAVA_TOOL_OPTIONS for the agent)
     * @param protect    what must never be writable in the sandbox: the agent jar, the JDK, rules and
     *                   key files (a writable path above one of them could swap it for the next run)
     */
    public record Context(Path workspace, List<Path> readOnly, List<Path> sockets, List<Path> hidden, Map<String, String> env,
                          Map<String, String> extraEnv, List<Path> protect) {
        public Context(Path workspace, List<Path> readOnly, List<Path> sockets, List<Path> hidden, Map<String, String> env,
                       Map<String, String> extraEnv) {
            this(workspace, readOnly, sockets, hidden, env, extraEnv, List.of());
        }
    }

    /** The full command: bwrap, its options, prlimit when the profile limits, then {@code command}. */
    public static List<String> command(Path bwrap, Profile profile, Context ctx, List<String> command) throws IOException {
        Path ws = ctx.workspace().toRealPath();
        String home = System.getProperty("user.home");
        List<Path> hidden = new ArrayList<>();
        for (Path h : ctx.hidden()) {
            hidden.add(real(h));
        }
        List<String> a = new ArrayList<>(List.of(bwrap.toString(), "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-ipc",
                "--unshare-uts", "--unshare-cgroup-try"));
        if (!profile.network()) {
            a.add("--unshare-net");
        }
        Set<Path> bound = new LinkedHashSet<>();
        if (profile.system()) {
            for (String s : SYSTEM) {
                bind(a, "--ro-bind-try", Path.of(s), bound);
            }
            for (String s : ETC) {
                bind(a, "--ro-bind-try", Path.of(s), bound);
            }
        }
        a.addAll(List.of("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"));
        // writable binds first: a later mount covers an earlier one, so the read-only binds that
        // follow stay read-only even where they lie inside the workspace
        Path homeDir = Path.of(home).toAbsolutePath().normalize();
        for (String p : profile.writable()) {
            Path w = expand(p, ws, home);
            if (w.getNameCount() == 0 || homeDir.startsWith(w)) {
                throw new IOException("refusing to start: " + w + " would be writable in the sandbox, and it is "
                        + (w.getNameCount() == 0 ? "the whole file system" : "the home directory or above it")
                        + "; give a project directory as the workspace");
            }
            for (Path h : hidden) {
                if (h.startsWith(w) || w.startsWith(h)) {
                    throw new IOException("refusing to start: the writable path " + w + " would expose " + h
                            + " (the engine's own files never enter a sandbox); keep them outside the workspace");
                }
            }
            for (Path pr : ctx.protect()) {
                Path r = real(pr);
                if (r.startsWith(w)) {
                    throw new IOException("refusing to start: " + r + " lies under the writable path " + w
                            + ", where a sandboxed program could replace it for the next run; move it out of the workspace");
                }
            }
            Files.createDirectories(w);
            bind(a, "--bind", w, bound);
        }
        for (String p : profile.readOnly()) {
            bindAgain(a, "--ro-bind", expand(p, ws, home), bound);
        }
        for (Path p : ctx.readOnly()) {
            if (Files.exists(p)) {
                bindAgain(a, "--ro-bind", real(p), bound);
            }
        }
        for (Path s : ctx.sockets()) {
            bind(a, "--bind", real(s), bound);
        }
        // anything hidden that a bind would otherwise show is covered
        for (Path h : hidden) {
            for (Path b : bound) {
                if (h.startsWith(b) && Files.exists(h)) {
                    if (Files.isDirectory(h)) {
                        a.addAll(List.of("--tmpfs", h.toString()));
                    } else {
                        a.addAll(List.of("--ro-bind", "/dev/null", h.toString()));
                    }
                    break;
                }
            }
        }
        a.addAll(List.of("--chdir", ws.toString(), "--clearenv"));
        for (Map.Entry<String, String> e : ctx.env().entrySet()) {
            if (allowed(profile.env(), e.getKey())) {
                a.addAll(List.of("--setenv", e.getKey(), e.getValue()));
            }
        }
        for (Map.Entry<String, String> e : ctx.extraEnv().entrySet()) {
            a.addAll(List.of("--setenv", e.getKey(), e.getValue()));
        }
        a.add("--");
        Profile.Limits l = profile.limits();
        if (l.cpuSeconds() > 0 || l.memoryMb() > 0 || l.processes() > 0 || l.openFiles() > 0) {
            a.add(Files.isExecutable(Path.of("/usr/bin/prlimit")) ? "/usr/bin/prlimit" : "prlimit");
            if (l.cpuSeconds() > 0) {
                a.add("--cpu=" + l.cpuSeconds());
            }
            if (l.memoryMb() > 0) {
                a.add("--as=" + l.memoryMb() * 1024 * 1024);
            }
            if (l.processes() > 0) {
                a.add("--nproc=" + l.processes());
            }
            if (l.openFiles() > 0) {
                a.add("--nofile=" + l.openFiles());
            }
            a.add("--");
        }
        a.addAll(command);
        return a;
    }

    /** A read-only bind, even of a path a writable bind already shows (it then becomes read-only there). */
    private static void bindAgain(List<String> a, String how, Path p, Set<Path> bound) {
        bound.add(p);
        a.addAll(List.of(how, p.toString(), p.toString()));
    }

    private static void bind(List<String> a, String how, Path p, Set<Path> bound) {
        if (!bound.add(p)) {
            return;
        }
        a.addAll(List.of(how, p.toString(), p.toString()));
    }

    /** A profile path with its variables filled in, resolved like the kernel will (a link planted there is followed, not trusted). */
    private static Path expand(String p, Path ws, String home) throws IOException {
        Path x = Path.of(p.replace("${workspace}", ws.toString()).replace("${home}", home));
        return Files.exists(x) ? x.toRealPath() : x.toAbsolutePath().normalize();
    }

    private static Path real(Path p) throws IOException {
        return Files.exists(p) ? p.toRealPath() : p.toAbsolutePath().normalize();
    }

    static boolean allowed(List<String> allowlist, String name) {
        for (String a : allowlist) {
            if (a.endsWith("*") ? name.startsWith(a.substring(0, a.length() - 1)) : name.equals(a)) {
                return true;
            }
        }
        return false;
    }
}
