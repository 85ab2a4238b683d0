package dev.agt.engine.policy;

import java.util.Locale;

/**
 * Whether a denial is enforced. {@code monitor} is for roll-out: the engine answers allow and the
 * log records the denial that would have been made. It applies to policy decisions only (deny
 * rules, {@code default-deny}, {@code rate-limited}), never to engine failures.
 */
public enum Mode {
    ENFORCE, MONITOR;

    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The mode for its YAML name, or null. */
    public static Mode of(String name) {
        for (Mode m : values()) {
            if (m.key().equals(name)) {
                return m;
            }
        }
        return null;
    }
}
