package dev.agt.cli.suggest;

import dev.agt.engine.policy.Glob;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Turns observed file paths into path patterns a person can read:
 *
 * <ol>
 *   <li>a directory in which two or more branches were observed (files, or subdirectories
 *       holding observed paths) becomes {@code DIR/**}; this is applied bottom-up, so
 *       {@code src/A.java}, {@code src/B.java} and {@code README} under one project make
 *       {@code project/**};</li>
 *   <li>a path alone in its directory stays exact; a directory that was itself observed (listed)
 *       keeps its exact path beside {@code DIR/**}, which does not match {@code DIR} itself;</li>
 *   <li>some directories are never globbed, so their observed paths stay exact: {@code /},
 *       every top-level directory ({@code /tmp}, {@code /etc}, {@code /home}...), the home
 *       directory and its parents, and the shared system trees one level down
 *       ({@code /usr/*}, {@code /var/*}, {@code /dev/*}, {@code /run/*}, {@code /proc/*},
 *       {@code /sys/*}, other users' {@code /home/*});</li>
 *   <li>paths under the home directory are written {@code ${home}/...}; everything literal is
 *       escaped, so a file named {@code a*b} or {@code ${x}} matches only itself.</li>
 * </ol>
 */
final class PathGeneralizer {
    static final Set<String> SYSTEM_TREES = Set.of("/usr", "/var", "/dev", "/run", "/proc", "/sys", "/home");

    private final String home;

    /** @param home the directory written as {@code ${home}}, or null for none */
    PathGeneralizer(String home) {
        String h = home == null ? null : normalize(home);
        this.home = h == null || h.equals("/") ? null : h;
    }

    /** The path as the engine matches it ({@code .}, {@code ..}, {@code //} resolved), or null when not absolute. */
    static String normalize(String p) {
        if (p == null || !p.startsWith("/")) {
            return null;
        }
        try {
            return Path.of(p).normalize().toString();
        } catch (InvalidPathException e) {
            return null;
        }
    }

    private static final class Node {
        final TreeMap<String, Node> children = new TreeMap<>();
        boolean observed;
    }

    /** Patterns covering every path given (each already normalized and absolute), sorted. */
    List<String> generalize(Collection<String> paths) {
        Node root = new Node();
        for (String p : paths) {
            Node n = root;
            for (String seg : p.substring(1).split("/")) {
                if (!seg.isEmpty()) {
                    n = n.children.computeIfAbsent(seg, k -> new Node());
                }
            }
            n.observed = true;
        }
        TreeSet<String> out = new TreeSet<>(visit(root, ""));
        return List.copyOf(out);
    }

    /** Patterns for the subtree at {@code dir} ("" is the root). */
    private List<String> visit(Node n, String dir) {
        List<String> below = new ArrayList<>();
        int branches = 0;
        for (var c : n.children.entrySet()) {
            List<String> p = visit(c.getValue(), dir + "/" + c.getKey());
            if (!p.isEmpty()) {
                branches++;
                below.addAll(p);
            }
        }
        String self = dir.isEmpty() ? "/" : dir;
        List<String> out = new ArrayList<>();
        if (n.observed) {
            out.add(write(self));
        }
        if (branches >= 2 && !barrier(self)) {
            out.add(write(self) + "/**");
        } else {
            out.addAll(below);
        }
        return out;
    }

    /** Directories never turned into {@code DIR/**}. */
    boolean barrier(String dir) {
        if (dir.equals("/")) {
            return true;
        }
        int depth = (int) dir.chars().filter(c -> c == '/').count();
        if (depth <= 1) {
            return true;
        }
        if (depth == 2 && SYSTEM_TREES.contains(dir.substring(0, dir.indexOf('/', 1)))) {
            return true;
        }
        return home != null && (home.equals(dir) || home.startsWith(dir + "/"));
    }

    /** One exact path as a pattern: escaped, with the home directory as {@code ${home}}. */
    String write(String path) {
        if (home != null && (path.equals(home) || path.startsWith(home + "/"))) {
            return "${home}" + Glob.escape(path.substring(home.length()));
        }
        return Glob.escape(path);
    }
}
