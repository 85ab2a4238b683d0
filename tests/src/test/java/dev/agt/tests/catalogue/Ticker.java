package dev.agt.tests.catalogue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads an allowed file every 100 ms for a while and prints each outcome
 * ({@code TICK OK} or {@code TICK DENIED code}), so a test can change the engine under a
 * running, governed JVM and watch what the agent does. Args: FILE SECONDS.
 */
public final class Ticker {
    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        long end = System.nanoTime() + (long) (Double.parseDouble(args[1]) * 1e9);
        while (System.nanoTime() < end) {
            try {
                Files.readAllBytes(file);
                System.out.println("TICK OK");
            } catch (Exception e) {
                Throwable d = Denials.find(e);
                System.out.println(d == null ? "TICK ERROR " + e : "TICK DENIED " + d.getClass().getMethod("code").invoke(d));
            }
            System.out.flush();
            Thread.sleep(100);
        }
        System.out.println("TICKER DONE");
    }
}
