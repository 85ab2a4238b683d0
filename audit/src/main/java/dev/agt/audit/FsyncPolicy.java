package dev.agt.audit;

/**
 * When written entries are forced to stable storage.
 * <ul>
 *   <li>{@code always}: every group commit is fsynced before any of its decisions is returned;
 *       nothing acknowledged is lost even on power failure; slowest.</li>
 *   <li>{@code interval} (default): entries are written (so they survive a crash or kill -9 of
 *       the engine) before decisions return, and fsynced at most every 100 ms; a power failure
 *       can lose the last 100 ms.</li>
 *   <li>{@code never}: left to the OS; same crash safety as interval, weakest on power loss.</li>
 * </ul>
 */
public enum FsyncPolicy {
    ALWAYS, INTERVAL, NEVER;

    public static FsyncPolicy parse(String s) {
        return switch (s) {
            case "always" -> ALWAYS;
            case "interval" -> INTERVAL;
            case "never" -> NEVER;
            default -> throw new IllegalArgumentException("fsync policy must be always, interval or never, not '" + s + "'");
        };
    }
}
