package dev.agt.javaagent.runtime;

import java.io.File;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns what a hooked method was given into the canonical request fields the engine decides on:
 * what the OS will actually touch. Paths become real paths (relative to {@code user.dir}, {@code ..}
 * and symlinks resolved, {@code /proc/self/root} included; for a file that does not exist yet,
 * its resolved parent plus its name); executables become absolute paths found on PATH; addresses
 * keep the host as written next to the IP.
 */
final class Targets {
    private Targets() {
    }

    static String realPath(Object p) {
        Path path;
        try {
            path = p instanceof Path pp ? pp : Path.of(String.valueOf(p));
        } catch (InvalidPathException e) {
            return String.valueOf(p);
        }
        Path abs = path.toAbsolutePath().normalize();
        try {
            return abs.toRealPath().toString();
        } catch (Exception e) {
            // does not exist (yet): resolve the nearest existing ancestor, keep the rest as written
            Path parent = abs.getParent();
            List<String> tail = new ArrayList<>();
            tail.add(abs.getFileName() == null ? "" : abs.getFileName().toString());
            while (parent != null) {
                try {
                    Path real = parent.toRealPath();
                    for (int i = tail.size() - 1; i >= 0; i--) {
                        real = real.resolve(tail.get(i));
                    }
                    return real.normalize().toString();
                } catch (Exception notYet) {
                    tail.add(parent.getFileName() == null ? "" : parent.getFileName().toString());
                    parent = parent.getParent();
                }
            }
            return abs.toString();
        }
    }

    /** The absolute, normalized path as written (no symlinks resolved). */
    static String lexical(Object p) {
        try {
            Path path = p instanceof Path pp ? pp : Path.of(String.valueOf(p));
            return path.toAbsolutePath().normalize().toString();
        } catch (InvalidPathException e) {
            return String.valueOf(p);
        }
    }

    /** Also the link itself, without following it: deleting or renaming a link touches the link. */
    static String linkPath(Object p) {
        Path path = p instanceof Path pp ? pp : Path.of(String.valueOf(p));
        Path abs = path.toAbsolutePath().normalize();
        if (Files.isSymbolicLink(abs)) {
            Path parent = abs.getParent();
            return (parent == null ? abs : Path.of(realPath(parent)).resolve(abs.getFileName())).toString();
        }
        return realPath(abs);
    }

    static void address(InetAddress a, Map<String, Object> out) {
        // toString is "host/ip" without any lookup; getHostName() could do reverse DNS
        String s = a.toString();
        int slash = s.indexOf('/');
        String host = slash > 0 ? s.substring(0, slash) : s.substring(slash + 1);
        out.put("host", host);
        out.put("ip", a.getHostAddress());
    }

    static String executable(String cmd0, Map<?, ?> env) {
        if (cmd0.indexOf('/') >= 0) {
            return realPath(cmd0);
        }
        Object pathVar = env != null ? env.get("PATH") : null;
        String pathEnv = pathVar != null ? pathVar.toString() : System.getenv("PATH");
        if (pathEnv != null) {
            for (String dir : pathEnv.split(File.pathSeparator)) {
                if (dir.isEmpty()) {
                    continue;
                }
                Path candidate = Path.of(dir, cmd0);
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return realPath(candidate);
                }
            }
        }
        return cmd0;
    }

    static Map<String, Object> process(String[] cmd, Map<?, ?> env, String dir) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("executable", executable(cmd[0], env));
        t.put("argv", List.of(cmd));
        t.put("cwd", realPath(dir != null ? dir : System.getProperty("user.dir")));
        if (env != null) {
            List<String> names = new ArrayList<>();
            Map<String, String> inherited = System.getenv();
            for (Map.Entry<?, ?> e : env.entrySet()) {
                if (!String.valueOf(e.getValue()).equals(inherited.get(String.valueOf(e.getKey())))) {
                    names.add(String.valueOf(e.getKey()));
                }
            }
            names.sort(null);
            t.put("env", names);
        }
        return t;
    }

}
