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

    static List<String> wrap(String profileName, ProcessBuilder builder, String engine, String executable, String agentJar) throws Exception {
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
        readOnly.add(Path.of(executable));
        if (agentJar != null) {
            readOnly.add(Path.of(agentJar));
        }
        List<Path> sockets = new ArrayList<>();
        if (!engine.startsWith("tcp:")) {
            sockets.add(Path.of(engine).toAbsolutePath());
        }
        Map<String, String> env = new LinkedHashMap<>(builder.environment());
        Map<String, String> extra = new LinkedHashMap<>();
        String tool = env.get("JAVA_TOOL_OPTIONS");
        if (tool != null && tool.contains("-javaagent:")) {
            extra.put("JAVA_TOOL_OPTIONS", tool); // the child JVM stays governed, with its delegated identity
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("[=,]identity=([^,\\s]+)").matcher(tool);
            if (m.find()) {
                readOnly.add(Path.of(m.group(1)));
            }
        }
        List<String> cmd = new ArrayList<>(builder.command());
        cmd.set(0, executable); // resolved on the launcher's PATH: the sandbox's environment is not the launcher's
        return Bubblewrap.command(Bubblewrap.find(), profile, new Bubblewrap.Context(ws, readOnly, sockets, List.of(), env, extra), cmd);
    }
}
