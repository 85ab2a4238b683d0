package dev.agt.tests.sandbox;

/**
 * Native code in an agent: reads, writes and connects through libc, where no bytecode hook
 * reaches. Prints {@code RESULT name OK|ERR detail} for each probe; the test judges.
 *
 * <p>Args: LIBRARY then pairs of {@code read:PATH}, {@code write:PATH}, {@code connect:PORT}.
 */
public final class NativeProbe {
    static native String read(String path);

    static native String write(String path);

    static native String connect(int port);

    public static void main(String[] args) {
        System.load(args[0]);
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            int colon = a.indexOf(':');
            String op = a.substring(0, colon);
            String arg = a.substring(colon + 1);
            String r = switch (op) {
                case "read" -> read(arg);
                case "write" -> write(arg);
                case "connect" -> connect(Integer.parseInt(arg));
                default -> "ERR unknown probe " + op;
            };
            System.out.println("RESULT " + a + " " + r);
        }
        System.out.println("PROBE DONE");
    }
}
