package dev.agt.tests.labels;

import dev.agt.tests.catalogue.Denials;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Runs inside a JVM with the agent: launches {@code touch FILE} for each file named, one after
 * the other; a launch a rule holds for approval blocks this thread until a person decides. Each
 * prints {@code RESULT touch:FILE OK|DENIED detail}.
 */
public final class HeldLaunches {
    private HeldLaunches() {
    }

    public static void main(String[] args) {
        for (String file : args) {
            touch(file);
        }
        System.out.println("HELD LAUNCHES DONE");
        System.exit(0);
    }

    /** One launch of {@code touch FILE}, waiting as long as a person takes; prints its RESULT line. */
    static void touch(String file) {
        String line;
        try {
            Process p = new ProcessBuilder("/usr/bin/touch", file).start();
            p.waitFor(30, TimeUnit.SECONDS);
            line = "OK exit " + p.exitValue();
        } catch (Throwable t) {
            Throwable d = Denials.find(t);
            line = d != null ? "DENIED " + d.getMessage() : "ERROR " + t;
        }
        System.out.println("RESULT touch:" + Path.of(file).getFileName() + " " + line.replace('\n', ' '));
        System.out.flush();
    }
}
