package dev.agt.cli.suggest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.agt.engine.policy.Glob;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class PathGeneralizerTest {
    final PathGeneralizer g = new PathGeneralizer("/home/u");

    @Test
    void severalPathsUnderOneDirectoryBecomeItsGlobAndALonePathStaysExact() {
        assertEquals(List.of("/srv/work/**"), g.generalize(List.of("/srv/work/a", "/srv/work/b")));
        assertEquals(List.of("/srv/work/deep/a"), g.generalize(List.of("/srv/work/deep/a")));
        // bottom-up: src/** and a README beside it make the project directory
        assertEquals(List.of("${home}/proj/**"),
                g.generalize(List.of("/home/u/proj/src/A.java", "/home/u/proj/src/B.java", "/home/u/proj/README")));
        // a listed directory keeps its own path: DIR/** does not match DIR
        assertEquals(List.of("/srv/work", "/srv/work/**"), g.generalize(List.of("/srv/work", "/srv/work/a", "/srv/work/b")));
        assertEquals(List.of("/srv/work", "/srv/work/a"), g.generalize(List.of("/srv/work", "/srv/work/a")));
    }

    @Test
    void neverGlobsTheRootTopLevelDirectoriesHomeOrSharedSystemTrees() {
        assertEquals(List.of("/tmp/a", "/tmp/b"), g.generalize(List.of("/tmp/a", "/tmp/b")));
        assertEquals(List.of("/a", "/b"), g.generalize(List.of("/a", "/b")));
        assertEquals(List.of("${home}/.bashrc", "${home}/notes.txt"), g.generalize(List.of("/home/u/notes.txt", "/home/u/.bashrc")));
        assertEquals(List.of("/home/other/a", "/home/other/b"), g.generalize(List.of("/home/other/a", "/home/other/b")));
        assertEquals(List.of("/usr/share/fonts/a", "/usr/share/icons/b"), g.generalize(List.of("/usr/share/fonts/a", "/usr/share/icons/b")));
        assertEquals(List.of("/usr/share/fonts/**"), g.generalize(List.of("/usr/share/fonts/a", "/usr/share/fonts/b")));
        assertEquals(List.of("/srv/a/x", "/srv/b/y"), g.generalize(List.of("/srv/a/x", "/srv/b/y")));
    }

    @Test
    void literalsAreEscapedAndHomeIsWrittenAsAVariable() {
        assertEquals(List.of("/srv/a\\*b/**"), g.generalize(List.of("/srv/a*b/x", "/srv/a*b/y")));
        assertEquals(List.of("/srv/x/$\\{home\\}"), g.generalize(List.of("/srv/x/${home}")));
        assertEquals(List.of("${home}"), g.generalize(List.of("/home/u")));
        assertEquals("/home/user2/x", g.write("/home/user2/x"), "a sibling of home is not under it");
    }

    /** Random path sets (fixed seed): every path is covered, and no pattern globs a barrier directory. */
    @Test
    void everyObservedPathIsCoveredAndNoBarrierIsEverGlobbed() {
        Random rnd = new Random(20261127);
        String[] tops = {"/srv", "/tmp", "/home/u", "/home", "/usr/share", "/var/lib", "/opt/app", "/etc", ""};
        String[] segs = {"a", "b", "c", "src", "x.txt", "y.md", "we*ird", "sp ace", "{br}", "d,e"};
        for (int round = 0; round < 500; round++) {
            TreeSet<String> paths = new TreeSet<>();
            int n = 1 + rnd.nextInt(8);
            for (int i = 0; i < n; i++) {
                StringBuilder p = new StringBuilder(tops[rnd.nextInt(tops.length)]);
                int depth = 1 + rnd.nextInt(4);
                for (int d = 0; d < depth; d++) {
                    p.append('/').append(segs[rnd.nextInt(segs.length)]);
                }
                paths.add(p.toString());
            }
            List<String> patterns = g.generalize(paths);
            List<Glob> globs = new ArrayList<>();
            for (String pat : patterns) {
                String resolved = pat.replace("${home}", "/home/u");
                globs.add(Glob.compile(resolved, Glob.Kind.PATH));
                if (resolved.endsWith("/**")) {
                    String dir = resolved.substring(0, resolved.length() - 3);
                    assertFalse(g.barrier(dir.replace("\\", "")), "barrier globbed: " + pat + " from " + paths);
                    assertFalse(Set.of("", "/home", "/home/u", "/tmp", "/usr", "/usr/share", "/var/lib").contains(dir), pat);
                }
            }
            for (String p : paths) {
                assertTrue(globs.stream().anyMatch(gl -> gl.matches(p)), p + " not covered by " + patterns);
            }
        }
    }
}
