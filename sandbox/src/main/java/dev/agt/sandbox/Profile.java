package dev.agt.sandbox;

import java.util.List;

/**
 * What a sandboxed process may reach. The operating system's programs and libraries are
 * visible read-only ({@code system}), plus the listed paths; only the listed writable paths
 * (typically {@code ${workspace}}) can be changed; {@code /tmp} is private; the network is the
 * host's or none; the environment keeps only the listed variables; limits are applied with
 * rlimits (CPU seconds, address space, processes, open files) and a wall-clock deadline.
 *
 * <p>Paths may use {@code ${workspace}} (the working directory) and {@code ${home}}.
 */
public record Profile(String name, String description, boolean system, List<String> readOnly, List<String> writable,
                      boolean network, List<String> env, Limits limits, String origin) {

    /** 0 means no limit. */
    public record Limits(long cpuSeconds, long memoryMb, long wallSeconds, long processes, long openFiles) {
        public static final Limits NONE = new Limits(0, 0, 0, 0, 0);
    }
}
