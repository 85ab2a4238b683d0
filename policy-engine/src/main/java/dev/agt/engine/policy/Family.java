package dev.agt.engine.policy;

import java.util.Locale;
import java.util.Set;

/** The call families of ARCHITECTURE.md's request vocabulary and the actions each has. */
public enum Family {
    FILE(Set.of("read", "write", "create", "delete", "rename", "link", "list", "attr", "stat")),
    NET(Set.of("connect", "resolve", "send", "listen")),
    PROCESS(Set.of("exec", "signal")),
    NATIVE(Set.of("load", "restricted")),
    MCP(Set.of("call", "list", "read", "prompt")),
    TOOL(Set.of("call"));

    private final Set<String> actions;

    Family(Set<String> actions) {
        this.actions = actions;
    }

    public Set<String> actions() {
        return actions;
    }

    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The family for its YAML / wire name, or null. */
    public static Family of(String name) {
        for (Family f : values()) {
            if (f.key().equals(name)) {
                return f;
            }
        }
        return null;
    }
}
