package dev.agt.javaagent.runtime;

import dev.agt.sandbox.Bubblewrap;
import dev.agt.sandbox.Profile;
import dev.agt.sandbox.Profiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Launches the policy allows only inside a sandbox ({@code sandbox: PROFILE} on a process rule):
 * the command is rewritten to run under bubblewrap with that profile, the process's working
 * directory as its workspace. A child JVM keeps the agent (its jar is bound in read-only, and the
 * engine socket too). Nothing here decides: the engine did; this only carries it out, and when
 * it cannot (no bubblewrap, a profile that does not load) the launch is denied.
 */
final class Sandboxes {
    private static volatile String unavailable;
    private static volatile boolean probed;

    private Sandboxes() {
    }

    static List<String> wrap(String profileName, ProcessBuilder builder, String engine, String executable, String agentJar, String mintedKey,
                             String rulesFile) throws Exception {
        if (!probed) {
            unavailable = Bubblewrap.unavailable(); // once: it starts bwrap itself
            probed = true;
        }
        if (unavailable != null) {
            throw new IllegalStateException(unavailable);
        }
        Profile profile = Profiles.load(profileName);
        Path ws = builder.directory() != null ? builder.directory().toPath().toAbsolutePath()
                : Path.of(System.getProperty("user.dir")).toAbsolutePath();
        List<Path> readOnly = new ArrayList<>();
        List<Path> protect = new ArrayList<>();
        readOnly.add(Path.of(executable));
        if (agentJar != null) {
            readOnly.add(Path.of(agentJar));
            protect.add(Path.of(agentJar));
        }
        boolean jvm = Path.of(executable).getFileName().toString().equals("java");
        if (jvm) {
            protect.add(Path.of(executable).toRealPath().getParent().getParent()); // the JDK
        }
        List<Path> sockets = new ArrayList<>();
        if (jvm && !engine.startsWith("tcp:")) {
            // only a governed JVM talks to the engine; a shell never gets the socket to speak for the agent
            sockets.add(Path.of(engine.startsWith("unix:") ? engine.substring(5) : engine).toAbsolutePath().normalize());
        }
        if (rulesFile != null) {
            readOnly.add(Path.of(rulesFile).toAbsolutePath()); // a child JVM follows the same interception rules
            protect.add(Path.of(rulesFile).toAbsolutePath());
        }
        if (mintedKey != null) {
            readOnly.add(Path.of(mintedKey)); // only the key this agent minted for this launch, never a path the caller named
            protect.add(Path.of(mintedKey));
        }
        Map<String, String> env = new LinkedHashMap<>(builder.environment());
        Map<String, String> extra = new LinkedHashMap<>();
        String tool = env.get("JAVA_TOOL_OPTIONS");
        if (tool != null) {
            extra.put("JAVA_TOOL_OPTIONS", tool); // set by the agent: a JVM in the sandbox stays governed
        }
        List<String> cmd = new ArrayList<>(builder.command());
        cmd.set(0, executable); // resolved on the launcher's PATH: the sandbox's environment is not the launcher's
        Path bwrap = Bubblewrap.find();
        if (bwrap == null) {
            throw new IllegalStateException("no trusted bubblewrap");
        }
        long wall = profile.limits().wallSeconds();
        if (wall > 0 && java.nio.file.Files.isExecutable(Path.of("/usr/bin/timeout"))) {
            List<String> timed = new ArrayList<>(List.of("/usr/bin/timeout", "--kill-after=5", wall + "s"));
            timed.addAll(cmd);
            cmd = timed;
        }
        return Bubblewrap.command(bwrap, profile, new Bubblewrap.Context(ws, readOnly, sockets, List.of(), env, extra, protect), cmd);
    }
}
