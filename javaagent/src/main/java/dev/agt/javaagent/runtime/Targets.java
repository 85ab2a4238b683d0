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
        // never normalize before resolving: "link/.." is the link target's parent to the OS, not
        // the link's directory, so a lexical ".." would decide on a place the OS does not touch
        Path abs = path.toAbsolutePath();
        try {
            return abs.toRealPath().toString();
        } catch (Exception e) {
            return resolve(abs, 0).toString();
        }
    }

    /**
     * Resolves a path the way the kernel walks it, one component at a time: a symlink is
     * followed where it stands (a relative target against the link's own directory), {@code ..}
     * goes to the physical parent, and a dangling link is followed too (creating through it
     * creates its target). From the first component that does not exist, the rest is taken as
     * written: the kernel cannot walk through a missing directory.
     */
    static Path resolve(Path abs, int links) {
        Path cur = abs.getRoot();
        List<String> names = new ArrayList<>();
        for (Path n : abs) {
            names.add(n.toString());
        }
        for (int i = 0; i < names.size(); i++) {
            String n = names.get(i);
            if (n.equals(".")) {
                continue;
            }
            if (n.equals("..")) {
                cur = cur.getParent() == null ? cur : cur.getParent();
                continue;
            }
            Path next = cur.resolve(n);
            if (Files.isSymbolicLink(next) && links < 40) {
                Path rest;
                try {
                    Path target = Files.readSymbolicLink(next);
                    rest = target.isAbsolute() ? target : cur.resolve(target);
                } catch (Exception unreadable) {
                    rest = next;
                }
                for (int j = i + 1; j < names.size(); j++) {
                    rest = rest.resolve(names.get(j));
                }
                return resolve(rest, links + 1);
            }
            if (!Files.exists(next, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                Path rest = next;
                for (int j = i + 1; j < names.size(); j++) {
                    rest = rest.resolve(names.get(j));
                }
                return rest.normalize();
            }
            cur = next;
        }
        return cur;
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
