package dev.agt.demo.story;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A parent agent hands work to a worker JVM it launches. The javaagent follows into the worker
 * (same engine, a name that says whose child it is), so the worker is governed too: its part of
 * the job works, its attempt at the secret does not.
 *
 * <p>Args: WORKSPACE HOME CLASSPATH. With {@code worker} as the first argument, runs as the worker.
 */
public final class SubAgentStory {
    public static void main(String[] args) throws Exception {
        if (args[0].equals("worker")) {
            worker(Path.of(args[1]), Path.of(args[2]));
            return;
        }
        Path ws = Path.of(args[0]);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        InjectionStory.say("parent: starting a worker JVM for the indexing job");
        Process p = new ProcessBuilder(java, "-cp", args[2], SubAgentStory.class.getName(), "worker", ws.toString(), args[1])
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(120, TimeUnit.SECONDS);
        out.lines().filter(l -> l.startsWith("STORY ")).forEach(System.out::println);
        InjectionStory.say("parent: the worker finished (exit " + p.exitValue() + ")");
        System.exit(0);
    }

    static void worker(Path ws, Path home) {
        try {
            Files.writeString(ws.resolve("work/index.txt"), "release-notes.html\nnotes.md\n");
            InjectionStory.say("worker: wrote work/index.txt");
        } catch (Exception e) {
            InjectionStory.say("worker: could not write the index: " + e.getMessage());
        }
        try {
            Files.readString(home.resolve(".ssh/id_rsa"));
            InjectionStory.say("worker: read the SSH key");
        } catch (Exception e) {
            InjectionStory.say("worker: blocked: " + ScriptedModel.oneLine(String.valueOf(e.getMessage())));
        }
    }
}
