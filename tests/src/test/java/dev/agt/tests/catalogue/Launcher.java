package dev.agt.tests.catalogue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * A parent agent that starts a child JVM worker (the sub-agent story): runs
 * {@code JAVA -cp CLASSES Ticker FILE 0.3} and prints the child's output as {@code CHILD ...}.
 * Args: JAVA CLASSES FILE.
 */
public final class Launcher {
    public static void main(String[] args) throws Exception {
        Process p = new ProcessBuilder(args[0], "-cp", args[1], Ticker.class.getName(), args[2], "0.3").redirectErrorStream(true).start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String l; (l = r.readLine()) != null; ) {
                System.out.println("CHILD " + l);
            }
        }
        System.out.println("CHILD EXIT " + p.waitFor());
    }
}
