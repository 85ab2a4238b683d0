package dev.agt.engine.policy;

import java.util.Map;

/**
 * Who asks, as the engine established it for the session.
 *
 * @param id     the agent id ({@code ${agent.id}} in policies); under local auth, the declared name
 * @param name   the name the agent declared
 * @param uid    the peer's user from the socket credentials, or empty over TCP
 * @param how    how the identity was established, e.g. {@code local-peercred}
 * @param labels labels from the registry
 */
public record Agent(String id, String name, String uid, String how, Map<String, String> labels) {
    public Agent {
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        uid = uid == null ? "" : uid;
        how = how == null ? "" : how;
    }

    public static Agent named(String name) {
        return new Agent(name, name, "", "test", Map.of());
    }
}
