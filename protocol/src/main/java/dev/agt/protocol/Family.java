package dev.agt.protocol;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The call families of the request vocabulary and the actions each has: the one list that the
 * engine's policy reader, the interception-rules parser, delegation scopes and the policy
 * suggester all take. ARCHITECTURE.md describes what each action means; {@link Vocabulary} says
 * which target fields each needs.
 */
public enum Family {
    FILE("read", "write", "create", "delete", "rename", "link", "list", "attr", "stat"),
    NET("connect", "resolve", "send", "listen"),
    PROCESS("exec", "signal"),
    NATIVE("load", "restricted"),
    MCP("call", "list", "read", "prompt"),
    TOOL("call"),
    /** Calls to an AI model: a chat completion, an embedding, a streamed completion. */
    MODEL("chat", "embed", "stream");

    /** The wire names, in declaration order (the order messages and generated policies use). */
    public static final List<String> KEYS = Arrays.stream(values()).map(Family::key).toList();

    private final Set<String> actions;

    Family(String... actions) {
        this.actions = Set.of(actions);
    }

    /** The actions of this family, by their wire names. */
    public Set<String> actions() {
        return actions;
    }

    /** Whether {@code action} is one of this family's. */
    public boolean has(String action) {
        return actions.contains(action);
    }

    /** The wire / YAML name: {@code file}, {@code net}, ... */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The family for its wire / YAML name. */
    public static Optional<Family> of(String key) {
        for (Family f : values()) {
            if (f.key().equals(key)) {
                return Optional.of(f);
            }
        }
        return Optional.empty();
    }
}
