package dev.agt.tests.sandbox;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs in a JVM with the agent, not itself sandboxed: launches shells the policy sandboxes and a
 * program it lets run bare. Prints {@code RESULT name EXIT output}.
 *
 * <p>Args: WORKSPACE OUTSIDE_FILE SECRET PORT.
 */
public final class ChildLauncher {
    public static void main(String[] args) throws Exception {
        Path ws = Path.of(args[0]);
        String outside = args[1];
        String secret = args[2];
        String port = args[3];
        long me = ProcessHandle.current().pid();
        run("write-inside", ws, "sh", "-c", "echo sandboxed > inside.txt && cat inside.txt");
        run("write-outside", ws, "sh", "-c", "echo escaped > " + outside);
        run("write-system", ws, "sh", "-c", "echo escaped > /usr/agt-escape.txt");
        run("read-secret", ws, "sh", "-c", "cat " + secret);
        run("read-secret-via-symlink", ws, "sh", "-c", "cat link-to-secret");
        run("read-secret-via-proc", ws, "sh", "-c", "cat /proc/" + me + "/root" + secret);
        run("network", ws, "bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/" + port + " && echo sandboxed >&3");
        run("bare-touch", ws, "touch", ws.resolve("bare-marker").toString());
        System.out.println("LAUNCHER DONE");
    }

    static void run(String name, Path dir, String... cmd) {
        String line;
        try {
            Process p = new ProcessBuilder(List.of(cmd)).directory(new File(dir.toString())).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).replace('\n', ' ').strip();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                line = "TIMEOUT";
            } else {
                line = p.exitValue() + " " + out;
            }
        } catch (Exception e) {
            line = "DENIED " + e;
        }
        System.out.println("RESULT " + name + " " + line);
    }
}
