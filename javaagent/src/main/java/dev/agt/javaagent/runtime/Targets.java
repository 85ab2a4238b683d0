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

    /**
     * The link itself, without following it: deleting, renaming or linking a name touches that
     * directory entry, not what a link there points at. Its directory is resolved the way the
     * kernel walks it ({@code allowed/link/../x} is {@code x} beside the link's target), never
     * normalized as text.
     */
    static String linkPath(Object p) {
        Path path;
        try {
            path = p instanceof Path pp ? pp : Path.of(String.valueOf(p));
        } catch (InvalidPathException e) {
            return String.valueOf(p);
        }
        Path abs = path.toAbsolutePath();
        Path name = abs.getFileName();
        Path parent = abs.getParent();
        if (name == null || parent == null || name.toString().equals("..") || name.toString().equals(".")) {
            return realPath(abs);
        }
        return Path.of(realPath(parent)).resolve(name).toString();
    }

    /** The directory a descriptor is open on, as the kernel names it; AT_FDCWD (-100) is the working directory. */
    static Path fdPath(int fd) {
        if (fd == -100) {
            return Path.of(System.getProperty("user.dir"));
        }
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd));
        } catch (Exception e) {
            // no such descriptor: a name that matches no allow rule
            return Path.of("/proc/self/fd/" + fd);
        }
    }

    /** A name relative to a directory descriptor ({@code openat}, {@code unlinkat}...): absolute names ignore the descriptor. */
    static Path at(Object[] at) {
        int dfd = (Integer) at[0];
        String name = at[1] instanceof byte[] b ? new String(b, java.nio.charset.StandardCharsets.UTF_8) : String.valueOf(at[1]);
        return name.startsWith("/") ? Path.of(name) : fdPath(dfd).resolve(name);
    }

    /** A symbolic link's target as the kernel will follow it: relative to the link's own directory. */
    static String symlinkTarget(Object link, byte[] target) {
        String t = new String(target, java.nio.charset.StandardCharsets.UTF_8);
        Path l = link instanceof Path pp ? pp : Path.of(String.valueOf(link));
        Path dir = l.toAbsolutePath().getParent();
        return realPath(t.startsWith("/") || dir == null ? Path.of(t) : dir.resolve(t));
    }

    /**
     * The address's fields: {@code ip}, and {@code host} only when the name was earned, i.e. the
     * resolver of this JVM resolved that name to that address ({@code InetAddress.getByAddress}
     * can name any address anything). Otherwise {@code host} is the IP literal. An unspecified
     * address (0.0.0.0, ::) is decided as the loopback it reaches when {@code reaching}.
     */
    static void address(InetAddress a, Map<String, Object> out, java.util.function.BiPredicate<String, String> earned, boolean reaching) {
        // toString is "host/ip" without any lookup; getHostName() could do reverse DNS
        String s = a.toString();
        int slash = s.indexOf('/');
        String name = slash > 0 ? s.substring(0, slash) : "";
        String ip = a.getHostAddress();
        if (reaching && a.isAnyLocalAddress()) {
            ip = a instanceof java.net.Inet6Address ? "0:0:0:0:0:0:0:1" : "127.0.0.1";
            name = "";
        }
        boolean trusted = !name.isEmpty() && (earned.test(name, ip) || a.isLoopbackAddress() && name.equals("localhost"));
        out.put("host", trusted ? name : ip);
        out.put("ip", ip);
    }

    /**
     * The file the kernel will execute: a name with a slash is relative to the child's working
     * directory; a bare name is searched on the parent's PATH, as the JDK's launcher does (not
     * the child's), with relative PATH entries taken from the child's working directory.
     */
    static String executable(String cmd0, String cwd) {
        if (cmd0.indexOf('/') >= 0) {
            return realPath(cmd0.startsWith("/") ? Path.of(cmd0) : Path.of(cwd).resolve(cmd0));
        }
        String pathEnv = System.getenv("PATH");
        for (String dir : (pathEnv == null ? "/bin:/usr/bin" : pathEnv).split(File.pathSeparator, -1)) {
            Path base = dir.isEmpty() ? Path.of(cwd) : dir.startsWith("/") ? Path.of(dir) : Path.of(cwd).resolve(dir);
            Path candidate = base.resolve(cmd0);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return realPath(candidate);
            }
        }
        return cmd0;
    }

    static Map<String, Object> process(String[] cmd, Map<?, ?> env, String dir) {
        Map<String, Object> t = new LinkedHashMap<>();
        String cwd = realPath(dir != null ? (Path.of(dir).isAbsolute() ? dir : Path.of(System.getProperty("user.dir")).resolve(dir).toString())
                : System.getProperty("user.dir"));
        t.put("executable", executable(cmd[0], cwd));
        t.put("argv", List.of(cmd));
        t.put("cwd", cwd);
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
