package dev.agt.protocol;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The bodies of admin frames (protocol/README.md, "Admin frames"): {@code agt engine status},
 * {@code agt policy reload}, {@code agt identity reload}, {@code agt kill} and {@code agt revive}
 * build them with {@link #toBody()}, and the engine reads them with {@link #parse}, the one
 * reading of each. A body of another shape is refused {@code bad-request}.
 */
public sealed interface AdminRequest {

    /** The frame type that carries this request. */
    FrameType type();

    /** The frame body, which {@link #parse} reads back as this request. */
    Map<String, Object> toBody();

    /** STATUS {@code {}}: the engine's state. */
    record Status() implements AdminRequest {
        @Override
        public FrameType type() {
            return FrameType.STATUS;
        }

        @Override
        public Map<String, Object> toBody() {
            return Map.of();
        }
    }

    /** RELOAD {@code {}} reloads the policy; {@code {registry: true}} the agent registry. */
    record Reload(boolean registry) implements AdminRequest {
        @Override
        public FrameType type() {
            return FrameType.RELOAD;
        }

        @Override
        public Map<String, Object> toBody() {
            return registry ? Map.of("registry", true) : Map.of();
        }
    }

    /**
     * KILL or REVIVE {@code {agent: NAME|DID}} or {@code {all: true}}.
     *
     * @param kill  true for KILL, false for REVIVE
     * @param agent the agent's name or DID ({@link Hello#NAME}); empty for every agent
     */
    record Switch(boolean kill, Optional<String> agent) implements AdminRequest {
        public Switch {
            Objects.requireNonNull(agent, "agent");
        }

        public boolean all() {
            return agent.isEmpty();
        }

        @Override
        public FrameType type() {
            return kill ? FrameType.KILL : FrameType.REVIVE;
        }

        @Override
        public Map<String, Object> toBody() {
            return agent.<Map<String, Object>>map(a -> Map.of("agent", a)).orElse(Map.of("all", true));
        }
    }

    /**
     * CLEAR_LABEL {@code {lineage: ID, label: NAME}}: an operator removes a session label.
     *
     * @param lineage the lineage id ({@link Hello#LINEAGE}), as {@code agt engine status} lists it
     * @param label   the label's name
     */
    record ClearLabel(String lineage, String label) implements AdminRequest {
        /** A label name as policies write them. */
        public static final java.util.regex.Pattern LABEL = java.util.regex.Pattern.compile("[a-z][a-z0-9_-]{0,63}");

        @Override
        public FrameType type() {
            return FrameType.CLEAR_LABEL;
        }

        @Override
        public Map<String, Object> toBody() {
            return Map.of("lineage", lineage, "label", label);
        }
    }

    /**
     * APPROVALS {@code {}}: the calls held for approval; {@code {id, approve: true|false, reason}}:
     * a person decides one.
     */
    record Approvals(Optional<String> id, boolean approve, String reason) implements AdminRequest {
        public static final java.util.regex.Pattern ID = java.util.regex.Pattern.compile("ap-[0-9a-f]{16}");

        public static Approvals list() {
            return new Approvals(Optional.empty(), false, "");
        }

        @Override
        public FrameType type() {
            return FrameType.APPROVALS;
        }

        @Override
        public Map<String, Object> toBody() {
            return id.<Map<String, Object>>map(i -> Map.of("id", i, "approve", approve, "reason", reason)).orElse(Map.of());
        }
    }

    /** Reads the body of an admin frame of {@code type}; refuses anything but the documented shape. */
    static AdminRequest parse(FrameType type, Map<String, Object> body) throws ProtocolException {
        switch (type) {
            case STATUS -> {
                only(type, body, Set.of());
                return new Status();
            }
            case RELOAD -> {
                only(type, body, Set.of("registry"));
                Object registry = body.getOrDefault("registry", false);
                if (!(registry instanceof Boolean r)) {
                    throw bad(type, "registry must be a boolean");
                }
                return new Reload(r);
            }
            case KILL, REVIVE -> {
                only(type, body, Set.of("agent", "all"));
                Object agent = body.get("agent");
                Object all = body.get("all");
                if (agent == null && Boolean.TRUE.equals(all)) {
                    return new Switch(type == FrameType.KILL, Optional.empty());
                }
                if (all == null && agent instanceof String a && Hello.NAME.matcher(a).matches()) {
                    return new Switch(type == FrameType.KILL, Optional.of(a));
                }
                throw bad(type, "takes {agent: NAME or DID} or {all: true}, got " + ValueCodec.clip(String.valueOf(body)));
            }
            case APPROVALS -> {
                only(type, body, Set.of("id", "approve", "reason"));
                if (body.isEmpty()) {
                    return Approvals.list();
                }
                if (body.get("id") instanceof String i && Approvals.ID.matcher(i).matches() && body.get("approve") instanceof Boolean a
                        && body.getOrDefault("reason", "") instanceof String r && r.length() <= 1000) {
                    return new Approvals(Optional.of(i), a, r);
                }
                throw bad(type, "takes {} or {id: ap-..., approve: true|false, reason: text}, got " + ValueCodec.clip(String.valueOf(body)));
            }
            case CLEAR_LABEL -> {
                only(type, body, Set.of("lineage", "label"));
                if (body.get("lineage") instanceof String l && Hello.LINEAGE.matcher(l).matches() && body.get("label") instanceof String n
                        && ClearLabel.LABEL.matcher(n).matches()) {
                    return new ClearLabel(l, n);
                }
                throw bad(type, "takes {lineage: ID (22 characters), label: NAME}, got " + ValueCodec.clip(String.valueOf(body)));
            }
            default -> throw new ProtocolException(Reasons.UNEXPECTED_FRAME, type + " is not an admin request");
        }
    }

    private static void only(FrameType type, Map<String, Object> body, Set<String> keys) throws ProtocolException {
        for (String k : body.keySet()) {
            if (!keys.contains(k)) {
                throw bad(type, "has no field '" + ValueCodec.clip(k) + "'" + (keys.isEmpty() ? " (its body is {})" : " (fields: "
                        + String.join(", ", new java.util.TreeSet<>(keys)) + ")"));
            }
        }
    }

    private static ProtocolException bad(FrameType type, String message) {
        return new ProtocolException(Reasons.BAD_REQUEST, type + " " + message);
    }
}
