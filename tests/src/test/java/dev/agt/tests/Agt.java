package dev.agt.tests;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Runs the real {@code agt} jar in a child process. */
final class Agt {
    static final Path JAR = Path.of(System.getProperty("agt.cli.jar", "../cli/target/agt.jar")).toAbsolutePath().normalize();

    private Agt() {
    }

    /** The JDK the processes under test run on: the build JDK, or the one the jdk25 run names. */
    static final Path JAVA_HOME = Path.of(System.getProperty("agt.test.java.home", System.getProperty("java.home")));

    static String java() {
        return JAVA_HOME.resolve("bin").resolve("java").toString();
    }

    /** A finished command: its exit code and what it printed. */
    record Result(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    static Result run(Path dir, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(java(), "-jar", JAR.toString()));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("agt " + String.join(" ", args) + " did not finish");
        }
        return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    /** A running engine process. */
    static final class EngineProcess implements AutoCloseable {
        final Process process;
        final BlockingQueue<String> stdout = new LinkedBlockingQueue<>();
        final StringBuffer stderr = new StringBuffer();

        EngineProcess(Path dir, String... args) throws IOException {
            List<String> cmd = new ArrayList<>(List.of(java(), "-jar", JAR.toString(), "engine"));
            cmd.addAll(List.of(args));
            process = new ProcessBuilder(cmd).directory(dir.toFile()).start();
            pump(new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)), stdout::add);
            pump(new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8)), l -> stderr.append(l).append('\n'));
        }

        private static void pump(BufferedReader r, java.util.function.Consumer<String> sink) {
            Thread t = new Thread(() -> {
                try {
                    for (String l; (l = r.readLine()) != null; ) {
                        sink.accept(l);
                    }
                } catch (IOException ignored) {
                    // process gone
                }
            });
            t.setDaemon(true);
            t.start();
        }

        /** Waits for the line containing {@code ready}; fails with the engine's output if it never comes. */
        String awaitReady() throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                String line = stdout.poll(200, TimeUnit.MILLISECONDS);
                if (line != null && line.contains("ready")) {
                    return line;
                }
                if (!process.isAlive() && stdout.isEmpty()) {
                    throw new AssertionError("engine exited " + process.exitValue() + " before ready:\n" + stderr);
                }
            }
            throw new AssertionError("engine not ready within 60 s:\n" + stderr);
        }

        int awaitExit() throws InterruptedException {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                throw new AssertionError("engine did not exit:\n" + stderr);
            }
            return process.exitValue();
        }

        /** SIGTERM, as an init system or a person with kill would send it. */
        void terminate() {
            process.destroy();
        }

        @Override
        public void close() {
            process.destroyForcibly();
        }
    }
}
