package dev.agt.audit.entry;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

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
                           Optional<Gap> gap) implements LogEntry, AgentEntry {

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
    }

    public OutcomeEntry {
        Objects.requireNonNull(agent, "agent");
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(gap, "gap");
        agent = Json.copy(agent);
    }

    /** Whether the outcome names the decision it follows. */
    public boolean followsDecision() {
        return follows != NONE;
    }

    @Override
    public String type() {
        return TYPE;
    }
}
