package dev.agt.audit.entry;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The two events around local outcomes (entries of type {@code event}):
 *
 * <pre>
 * {type: "event", event: "outcomes-lost", time, agent, dropped, held, since, dropped_kinds}
 * {type: "event", event: "outcome-refused", time, agent, code, reason, [claimed: {...the OUTCOME as sent}]}
 * </pre>
 *
 * {@code outcomes-lost}: the agent's spool was full while the engine could not be reached, and
 * this many outcomes are gone; what they were is not known beyond their kinds. {@code
 * outcome-refused}: the engine did not log an outcome as one, because its frame was malformed
 * ({@code bad-outcome}, {@code bad-request}) or because it claimed to follow a decision that is
 * not the agent's own ({@code not-own-decision}); {@code claimed} keeps what it said.
 *
 * @param event    {@link #LOST} or {@link #REFUSED}
 * @param dropped  for {@code outcomes-lost}: how many (else 0)
 * @param held     for {@code outcomes-lost}: how many the spool still delivered
 * @param since    for {@code outcomes-lost}: when the gap began, by the agent's clock
 * @param code     for {@code outcome-refused}: why
 * @param reason   for {@code outcome-refused}: the engine's sentence
 * @param claimed  for {@code outcome-refused}: the outcome as the agent sent it, when it could be read
 */
public record OutcomeEvent(long seq, String time, String event, Map<String, Object> agent, long dropped, long held, String since,
                           Map<String, Long> droppedKinds, String code, String reason, Optional<Map<String, Object>> claimed) {

    public static final String LOST = "outcomes-lost";
    public static final String REFUSED = "outcome-refused";

    public OutcomeEvent {
        Objects.requireNonNull(agent, "agent");
        Objects.requireNonNull(claimed, "claimed");
        agent = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(agent)); // a line that does not verify may hold nulls
        droppedKinds = Map.copyOf(droppedKinds);
    }

    public static OutcomeEvent lost(String time, Map<String, Object> agent, long dropped, long held, String since, Map<String, Long> kinds) {
        return new OutcomeEvent(-1, time, LOST, agent, dropped, held, since, kinds, "", "", Optional.empty());
    }

    public static OutcomeEvent refused(String time, Map<String, Object> agent, String code, String reason, Optional<Map<String, Object>> claimed) {
        return new OutcomeEvent(-1, time, REFUSED, agent, 0, 0, "", Map.of(), code, reason, claimed);
    }

    public String agentName() {
        Object n = agent.get("name");
        return n != null ? String.valueOf(n) : String.valueOf(agent.getOrDefault("id", "?"));
    }

    /** The fields the engine appends. */
    public Map<String, Object> toMap() {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("type", "event");
        e.put("time", time);
        e.put("event", event);
        e.put("agent", agent);
        if (event.equals(LOST)) {
            e.put("dropped", dropped);
            e.put("held", held);
            e.put("since", since);
            e.put("dropped_kinds", new TreeMap<>(droppedKinds));
        } else {
            e.put("code", code);
            e.put("reason", reason);
            claimed.ifPresent(c -> e.put("claimed", c));
        }
        return e;
    }

    /** The event in a parsed log line, or empty when it is not one of these two. */
    public static Optional<OutcomeEvent> read(JsonNode e) {
        if (e == null || !e.isObject() || !"event".equals(e.path("type").asText())) {
            return Optional.empty();
        }
        String kind = e.path("event").asText();
        if (!kind.equals(LOST) && !kind.equals(REFUSED)) {
            return Optional.empty();
        }
        return Optional.of(new OutcomeEvent(e.path("seq").asLong(-1), e.path("time").asText(""), kind, Json.map(e.get("agent")).orElse(Map.of()),
                e.path("dropped").asLong(0), e.path("held").asLong(0), e.path("since").asText(""), Json.counts(e.get("dropped_kinds")),
                e.path("code").asText(""), e.path("reason").asText(""), Json.map(e.get("claimed"))));
    }
}
