package dev.agt.audit.entry;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What an agent finally did with a call on its own: an entry of type {@code outcome}.
 *
 * <pre>
 * {type: "outcome", time, agent: {...as in decisions},
 *  outcome: {kind, effect, code, reason, at},
 *  [follows: SEQ], [follows_session: N],
 *  [request: {family, action, target, thread, frames}],
 *  [spooled: true], [gap: {held, dropped, since, dropped_kinds: {KIND: n}}]}
 * </pre>
 *
 * @param seq            the entry's sequence number ({@code -1} before it is appended)
 * @param time           when the engine logged it (ISO-8601)
 * @param agent          the session's agent fields, as in decision entries
 * @param kind           {@code denied-locally}, {@code overridden}, {@code passed-fail-open}, {@code passed-monitor}, {@code modified}
 * @param effect         what finally happened to the call: {@code allow} (it went ahead) or {@code deny}
 * @param code           the agent's reason code ({@code sandbox-unavailable}, {@code engine-unreachable}, ...)
 * @param reason         the agent's sentence
 * @param at             when it happened, by the agent's clock (ISO-8601)
 * @param follows        the decision entry this outcome follows, or {@link #NONE}
 * @param followsSession the session that decision was made in, when it is not this entry's
 *                       (the same agent, reconnected), or {@link #NONE}
 * @param request        the call, when the agent sent it (always when there was no decision)
 * @param spooled        the agent held the outcome while the engine was unreachable and delivered it late
 * @param gap            on the first outcome after a gap: what the agent's spool held and dropped
 */
public record OutcomeEntry(long seq, String time, Map<String, Object> agent, String kind, String effect, String code, String reason,
                           String at, long follows, long followsSession, Optional<Map<String, Object>> request, boolean spooled,
                           Optional<Gap> gap) {

    public static final String TYPE = "outcome";
    public static final long NONE = -1;

    /**
     * @param held         outcomes the spool held when delivery resumed
     * @param dropped      outcomes lost because the spool was full
     * @param since        when the gap began, by the agent's clock (ISO-8601)
     * @param droppedKinds the dropped outcomes by kind
     */
    public record Gap(long held, long dropped, String since, Map<String, Long> droppedKinds) {
        public Gap {
            droppedKinds = Map.copyOf(droppedKinds);
        }

        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("held", held);
            m.put("dropped", dropped);
            m.put("since", since);
            m.put("dropped_kinds", new TreeMap<>(droppedKinds));
            return m;
        }

        static Optional<Gap> read(JsonNode g) {
            if (g == null || !g.isObject()) {
                return Optional.empty();
            }
            return Optional.of(new Gap(g.path("held").asLong(0), g.path("dropped").asLong(0), g.path("since").asText(""),
                    Json.counts(g.get("dropped_kinds"))));
        }
    }

    public OutcomeEntry {
        Objects.requireNonNull(agent, "agent");
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(gap, "gap");
        agent = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(agent)); // a line that does not verify may hold nulls
    }

    /** Whether the outcome names the decision it follows. */
    public boolean followsDecision() {
        return follows != NONE;
    }

    /** The agent's name as reports show it. */
    public String agentName() {
        Object n = agent.get("name");
        return n != null ? String.valueOf(n) : String.valueOf(agent.getOrDefault("id", "?"));
    }

    /** The agent's session number, or -1. */
    public long session() {
        return agent.get("session") instanceof Number n ? n.longValue() : -1;
    }

    /** The fields the engine appends (the log adds {@code seq} and {@code prev}). */
    public Map<String, Object> toMap() {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("type", TYPE);
        e.put("time", time);
        e.put("agent", agent);
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("kind", kind);
        o.put("effect", effect);
        o.put("code", code);
        o.put("reason", reason);
        o.put("at", at);
        e.put("outcome", o);
        if (follows != NONE) {
            e.put("follows", follows);
        }
        if (followsSession != NONE) {
            e.put("follows_session", followsSession);
        }
        request.ifPresent(r -> e.put("request", r));
        if (spooled) {
            e.put("spooled", true);
        }
        gap.ifPresent(g -> e.put("gap", g.toMap()));
        return e;
    }

    /** The outcome entry in a parsed log line, or empty when the line holds another type of entry. */
    public static Optional<OutcomeEntry> read(JsonNode e) {
        if (e == null || !e.isObject() || !TYPE.equals(e.path("type").asText())) {
            return Optional.empty();
        }
        JsonNode o = e.path("outcome");
        return Optional.of(new OutcomeEntry(e.path("seq").asLong(-1), e.path("time").asText(""), Json.map(e.get("agent")).orElse(Map.of()),
                o.path("kind").asText("?"), o.path("effect").asText("?"), o.path("code").asText(""), o.path("reason").asText(""),
                o.path("at").asText(""), e.path("follows").canConvertToLong() ? e.path("follows").asLong() : NONE,
                e.path("follows_session").canConvertToLong() ? e.path("follows_session").asLong() : NONE, Json.map(e.get("request")),
                e.path("spooled").asBoolean(false), Gap.read(e.get("gap"))));
    }
}
