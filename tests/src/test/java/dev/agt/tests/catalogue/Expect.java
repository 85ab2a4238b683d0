package dev.agt.tests.catalogue;

/**
 * What one action must come to under one policy, judged on its result line
 * ({@code OK value}, {@code DENIED ...}, {@code ERROR ...}, {@code SKIP ...}).
 *
 * @param status DENIED, OK, ERROR (allowed, then the call itself failed: no such library, not a
 *               zip), NOT_DENIED (allowed; whether it then succeeds depends on the machine, e.g.
 *               extended attributes on tmpfs), NOT_OK (DENIED or ERROR)
 * @param value  for OK, the exact value the action must return, or null for any
 */
public record Expect(String status, String value) {
    public static final Expect DENIED = new Expect("DENIED", null);
    public static final Expect OK = new Expect("OK", null);
    public static final Expect ERROR = new Expect("ERROR", null);
    public static final Expect NOT_DENIED = new Expect("NOT_DENIED", null);
    /** Refused either way: denied, or failed because a denied probe said the file is not there (JDKs differ in which). */
    public static final Expect NOT_OK = new Expect("NOT_OK", null);

    /** Returns exactly this: a denied metadata probe answers "not there" rather than throwing. */
    public static Expect value(Object v) {
        return new Expect("OK", String.valueOf(v));
    }

    public boolean matches(String line) {
        String got = line == null ? "MISSING" : line.split(" ", 2)[0];
        return switch (status) {
            case "NOT_DENIED" -> !got.equals("DENIED") && !got.equals("MISSING");
            case "NOT_OK" -> got.equals("DENIED") || got.equals("ERROR");
            case "OK" -> got.equals("OK") && (value == null || line.equals("OK " + value));
            default -> got.equals(status);
        };
    }

    @Override
    public String toString() {
        return value == null ? status : status + " " + value;
    }
}
