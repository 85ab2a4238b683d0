package dev.agt.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SandboxProfileTest {
    @TempDir
    Path dir;

    @Test
    void builtInProfilesLoad() throws Exception {
        for (String name : Profiles.BUILT_IN) {
            Profile p = Profiles.load(name);
            assertEquals(name, p.name());
            assertTrue(p.writable().contains("${workspace}"), name);
        }
        assertFalse(Profiles.load("strict").network());
        assertFalse(Profiles.load("workspace").network());
        assertTrue(Profiles.load("networked").network());
        assertEquals(300, Profiles.load("strict").limits().wallSeconds());
    }

    @Test
    void everyProblemHasItsPlace() {
        ProfileException e = assertThrows(ProfileException.class, () -> ProfileParser.parse("p.yaml", """
                version: 1
                name: Bad Name
                network: maybe
                writable: ["${workspace}", "relative", "/", "${tmp}/x", "/a/../b"]
                env: ["NOT-A-VAR"]
                limits: {cpu_seconds: -1, memroy_mb: 5}
                system: all
                """, "p"));
        String m = e.getMessage();
        assertTrue(m.contains("p.yaml:2:7: a profile name is lower case"), m);
        assertTrue(m.contains("p.yaml:3:10: 'network' is none"), m);
        assertTrue(m.contains("p.yaml:4:28: 'relative' must be an absolute path"), m);
        assertTrue(m.contains("p.yaml:4:40: '/' is not allowed"), m);
        assertTrue(m.contains("p.yaml:4:45: unknown variable ${tmp}"), m);
        assertTrue(m.contains("p.yaml:4:57: '/a/../b' is not allowed"), m);
        assertTrue(m.contains("p.yaml:5:7: 'NOT-A-VAR' is not an environment variable name"), m);
        assertTrue(m.contains("p.yaml:6:23: 'cpu_seconds' must be a positive whole number"), m);
        assertTrue(m.contains("p.yaml:6:27: unknown key 'memroy_mb' (did you mean 'memory_mb'?)"), m);
        assertTrue(m.contains("p.yaml:7:9: 'system' is read-only"), m);
        assertThrows(ProfileException.class, () -> ProfileParser.parse("e.yaml", "", "e"));
    }

    @Test
    void theCommandBindsOnlyWhatTheProfileSaysAndCoversTheEnginesFiles() throws Exception {
        Path ws = Files.createDirectories(dir.resolve("ws"));
        Path ro = Files.createDirectories(dir.resolve("ro"));
        Path audit = Files.createDirectories(ro.resolve("audit"));
        Path key = Files.writeString(ro.resolve("audit.key"), "k");
        Profile p = Profiles.load("strict");
        List<String> argv = Bubblewrap.command(Path.of("/usr/bin/bwrap"), p, new Bubblewrap.Context(ws, List.of(ro), List.of(),
                List.of(audit, key), Map.of("PATH", "/usr/bin", "SECRET_TOKEN", "x", "LANG", "C"), Map.of("AGT_X", "1")), List.of("sh", "-c", "true"));
        String s = String.join(" ", argv);
        assertTrue(s.contains("--unshare-net"), s);
        assertTrue(s.contains("--bind " + ws.toRealPath() + " " + ws.toRealPath()), s);
        assertTrue(s.contains("--ro-bind " + ro.toRealPath() + " " + ro.toRealPath()), s);
        assertTrue(s.contains("--tmpfs " + audit.toRealPath()), "the audit dir under a bind is covered: " + s);
        assertTrue(s.contains("--ro-bind /dev/null " + key.toRealPath()), "the key under a bind is covered: " + s);
        assertFalse(s.contains("--ro-bind /etc /etc") || s.contains("/etc/shadow"), "never the whole of /etc: " + s);
        assertTrue(s.contains("--setenv PATH /usr/bin") && s.contains("--setenv LANG C") && !s.contains("SECRET_TOKEN"), s);
        assertTrue(s.contains("--setenv AGT_X 1"), s);
        assertTrue(s.contains("prlimit --cpu=60 --nproc=64 --nofile=256 -- sh -c true"), s);
        assertEquals("true", argv.get(argv.size() - 1));
    }

    @Test
    void aWorkspaceHoldingTheEnginesFilesIsRefused() throws Exception {
        Path ws = Files.createDirectories(dir.resolve("ws"));
        Path audit = Files.createDirectories(ws.resolve("audit"));
        Exception e = assertThrows(java.io.IOException.class, () -> Bubblewrap.command(Path.of("/usr/bin/bwrap"), Profiles.load("workspace"),
                new Bubblewrap.Context(ws, List.of(), List.of(), List.of(audit), Collections.emptyMap(), Map.of()), List.of("true")));
        assertTrue(e.getMessage().contains("would expose " + audit.toRealPath()), e.getMessage());
    }

    @Test
    void readOnlyBindsComeAfterTheWritableOnesSoTheyStayReadOnlyInsideTheWorkspace() throws Exception {
        Path ws = Files.createDirectories(dir.resolve("ws"));
        Path classes = Files.createDirectories(ws.resolve("classes"));
        List<String> argv = Bubblewrap.command(Path.of("/usr/bin/bwrap"), Profiles.load("workspace"),
                new Bubblewrap.Context(ws, List.of(classes), List.of(), List.of(), Map.of(), Map.of()), List.of("true"));
        int writable = argv.indexOf("--bind");
        int readOnly = -1;
        for (int i = 0; i < argv.size() - 1; i++) {
            if (argv.get(i).equals("--ro-bind") && argv.get(i + 1).equals(classes.toRealPath().toString())) {
                readOnly = i;
            }
        }
        assertTrue(writable > 0 && readOnly > writable, "a later mount covers an earlier one: " + argv);
    }

    @Test
    void theAgentJarOrTheHomeDirectoryNeverBecomeWritable() throws Exception {
        Path ws = Files.createDirectories(dir.resolve("repo"));
        Path jar = Files.writeString(Files.createDirectories(ws.resolve("javaagent/target")).resolve("agt-javaagent.jar"), "jar");
        Exception e = assertThrows(java.io.IOException.class, () -> Bubblewrap.command(Path.of("/usr/bin/bwrap"), Profiles.load("workspace"),
                new Bubblewrap.Context(ws, List.of(jar), List.of(), List.of(), Map.of(), Map.of(), List.of(jar)), List.of("true")));
        assertTrue(e.getMessage().contains("lies under the writable path"), e.getMessage());
        Path home = Path.of(System.getProperty("user.home"));
        Exception h = assertThrows(java.io.IOException.class, () -> Bubblewrap.command(Path.of("/usr/bin/bwrap"), Profiles.load("workspace"),
                new Bubblewrap.Context(home, List.of(), List.of(), List.of(), Map.of(), Map.of()), List.of("true")));
        assertTrue(h.getMessage().contains("the home directory or above it"), h.getMessage());
    }
}
