package dev.agt.tests.catalogue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads each file it is given and prints {@code READ OK} or {@code READ DENIED code} for each,
 * then whether JDK Flight Recorder was started in this JVM ({@code JFR initialized true|false}).
 * Args: FILE...
 */
public final class ReadBoth {
    public static void main(String[] args) throws Exception {
        for (String a : args) {
            try {
                Files.readAllBytes(Path.of(a));
                System.out.println("READ OK " + a);
            } catch (Exception e) {
                Throwable d = Denials.find(e);
                System.out.println(d == null ? "READ ERROR " + e : "READ DENIED " + d.getClass().getMethod("code").invoke(d));
            }
        }
        System.out.println("JFR initialized " + jdk.jfr.FlightRecorder.isInitialized());
    }
}
