package dev.agt.javaagent.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The paths the agent decides on, against what the kernel resolves: random trees of directories,
 * files and symbolic links (relative and absolute, chained, dangling), random paths through them
 * with "." and ".." after links. For every path the kernel can resolve, the agent's real path is
 * the kernel's ({@code toRealPath}, i.e. realpath(3)); for a new name in an existing directory,
 * it is that directory's real path plus the name; a directory entry (what delete, rename and
 * link touch) is its directory's real path plus its name. Fixed seeds: a failure names its seed.
 */
class TargetsPathPropertyTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233})
    void agreesWithTheKernel(long seed) throws IOException {
        Random r = new Random(seed);
        Path root = tmp.toRealPath();
        List<Path> dirs = new ArrayList<>(List.of(root));
        List<Path> all = new ArrayList<>(List.of(root));
        for (int i = 0; i < 12; i++) {
            Path d = Files.createDirectories(dirs.get(r.nextInt(dirs.size())).resolve("d" + i));
            dirs.add(d);
            all.add(d);
        }
        for (int i = 0; i < 8; i++) {
            all.add(Files.writeString(dirs.get(r.nextInt(dirs.size())).resolve("f" + i), "x"));
        }
        List<String> names = new ArrayList<>(List.of(".", "..", "..", "missing"));
        List<String> links = new ArrayList<>();
        for (int i = 0; i < 14; i++) {
            Path dir = dirs.get(r.nextInt(dirs.size()));
            Path target = r.nextInt(6) == 0 ? dir.resolve("nowhere" + i) : all.get(r.nextInt(all.size()));
            Path written = r.nextBoolean() ? target : relativeOrSelf(dir, target);
            Path link = dir.resolve("l" + i);
            Files.createSymbolicLink(link, written);
            all.add(link);
            links.add(root.relativize(link).toString());
        }
        for (Path p : all) {
            names.add(p.getFileName() == null ? "." : p.getFileName().toString());
        }
        int checked = 0;
        for (int n = 0; n < 800; n++) {
            Path p = root;
            int depth = 1 + r.nextInt(6);
            for (int k = 0; k < depth; k++) {
                if (r.nextInt(3) == 0) {
                    p = root.resolve(links.get(r.nextInt(links.size()))).resolve(".."); // a link, then "..": the classic
                } else {
                    p = p.resolve(names.get(r.nextInt(names.size())));
                }
            }
            String where = "seed " + seed + ", path " + p;
            Path real = kernel(p);
            if (real != null) {
                assertEquals(real.toString(), Targets.realPath(p), where);
                checked++;
            }
            Path parent = kernel(p.getParent());
            String name = p.getFileName().toString();
            if (parent != null && !name.equals(".") && !name.equals("..") && Files.isDirectory(parent)) {
                assertEquals(parent.resolve(name).toString(), Targets.linkPath(p), where + " (the entry)");
                if (real == null && !Files.isSymbolicLink(parent.resolve(name))) {
                    assertEquals(parent.resolve(name).toString(), Targets.realPath(p), where + " (a new name)");
                }
                checked++;
            }
        }
        assertTrue(checked > 100, "seed " + seed + " checked only " + checked + " paths against the kernel");
    }

    @org.junit.jupiter.api.Test
    void aLinkThenDotDotIsTheLinkTargetsParent() throws IOException {
        Path root = tmp.toRealPath();
        Path elsewhere = Files.createDirectories(root.resolve("elsewhere/deep"));
        Files.createDirectories(root.resolve("allowed"));
        Files.createSymbolicLink(root.resolve("allowed/link"), elsewhere);
        Files.writeString(root.resolve("elsewhere/x"), "victim");
        Path p = Path.of(root + "/allowed/link/../x");
        assertEquals(root.resolve("elsewhere/x").toString(), Targets.linkPath(p), "delete, rename and link decide on the entry the kernel touches");
        assertEquals(root.resolve("elsewhere/x").toString(), Targets.realPath(p));
        assertEquals(root.resolve("elsewhere/new").toString(), Targets.realPath(Path.of(root + "/allowed/link/../new")));
    }

    /** What the kernel resolves the path to, or null when it cannot (missing, a loop, not a directory). */
    static Path kernel(Path p) {
        try {
            return p.toRealPath();
        } catch (FileSystemException e) {
            return null;
        } catch (IOException e) {
            return null;
        }
    }

    static Path relativeOrSelf(Path dir, Path target) {
        try {
            Path rel = dir.relativize(target);
            return rel.toString().isEmpty() ? Path.of(".") : rel; // symlink(2) refuses an empty target
        } catch (IllegalArgumentException e) {
            return target;
        }
    }

}
