package dev.agt.audit.entry;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

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
                           Map<String, Long> droppedKinds, String code, String reason, Optional<Map<String, Object>> claimed) implements EngineEvent {

    public static final String LOST = "outcomes-lost";
    public static final String REFUSED = "outcome-refused";

    public OutcomeEvent {
        Objects.requireNonNull(agent, "agent");
        Objects.requireNonNull(claimed, "claimed");
        agent = Json.copy(agent);
        droppedKinds = Map.copyOf(droppedKinds);
    }

    public static OutcomeEvent lost(String time, Map<String, Object> agent, long dropped, long held, String since, Map<String, Long> kinds) {
        return new OutcomeEvent(-1, time, LOST, agent, dropped, held, since, kinds, "", "", Optional.empty());
    }

    public static OutcomeEvent refused(String time, Map<String, Object> agent, String code, String reason, Optional<Map<String, Object>> claimed) {
        return new OutcomeEvent(-1, time, REFUSED, agent, 0, 0, "", Map.of(), code, reason, claimed);
    }

    public String agentName() {
        return Json.agentName(agent);
    }
}
