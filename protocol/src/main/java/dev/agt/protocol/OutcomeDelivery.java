package dev.agt.protocol;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The body of an OUTCOME frame: the outcome, and how it reached the engine.
 *
 * <pre>
 * {outcome, code, reason, time, [follows], [request],        the Outcome
 *  [spooled: true],                                          held by the agent while the engine was unreachable
 *  [gap: {held, dropped, since, dropped_kinds: {KIND: n}}]}  on the first delivery after a gap
 * </pre>
 *
 * @param spooled the agent held this outcome in its {@link OutcomeSpool} (the engine could not be
 *                reached, or its log could not be written) and delivers it late
 * @param gap     on the first outcome delivered after a gap: what the spool held and dropped
 */
public record OutcomeDelivery(Outcome outcome, boolean spooled, Optional<Gap> gap) {

    private static final Set<String> KEYS = Set.of("outcome", "code", "reason", "time", "follows", "request", "spooled", "gap");
    private static final Set<String> GAP_KEYS = Set.of("held", "dropped", "since", "dropped_kinds");

    /**
     * What the agent's spool went through while it could not deliver.
     *
     * @param held         outcomes in the spool when delivery resumed (this one included)
     * @param dropped      outcomes lost because the spool was full
     * @param since        when the gap began, epoch milliseconds by the agent's clock
     * @param droppedKinds the dropped outcomes by {@link Outcome.Kind} key
     */
    public record Gap(long held, long dropped, long since, Map<String, Long> droppedKinds) {
        public Gap {
            if (held < 0 || dropped < 0 || since <= 0) {
                throw new IllegalArgumentException("held and dropped must be counts and since epoch milliseconds");
            }
            droppedKinds = Map.copyOf(new TreeMap<>(droppedKinds));
        }

        Map<String, Object> toBody() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("held", held);
            m.put("dropped", dropped);
            m.put("since", since);
            m.put("dropped_kinds", new TreeMap<>(droppedKinds));
            return m;
        }
    }

    public OutcomeDelivery {
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(gap, "gap");
        if (gap.isPresent() && !spooled) {
            throw new IllegalArgumentException("only a spooled outcome reports a gap");
        }
    }

    /** An outcome delivered as it happened. */
    public static OutcomeDelivery live(Outcome o) {
        return new OutcomeDelivery(o, false, Optional.empty());
    }

    public Map<String, Object> toBody() {
        Map<String, Object> m = outcome.toBody();
        if (spooled) {
            m.put("spooled", true);
        }
        gap.ifPresent(g -> m.put("gap", g.toBody()));
        return m;
    }

    /**
     * Reads an OUTCOME body, refusing anything but the documented shape: unknown keys, wrong
     * types, an outcome whose fields contradict each other ({@link Outcome#BAD_OUTCOME}), a
     * malformed request ({@code bad-request}).
     */
    public static OutcomeDelivery fromBody(Map<String, Object> body) throws ProtocolException {
        for (String key : body.keySet()) {
            if (!KEYS.contains(key)) {
                throw new ProtocolException(Outcome.BAD_OUTCOME, "unknown outcome field '" + ValueCodec.clip(key) + "'");
            }
        }
        Outcome o = Outcome.fromBody(body);
        Object spooled = body.get("spooled");
        if (spooled != null && !(spooled instanceof Boolean)) {
            throw new ProtocolException(Outcome.BAD_OUTCOME, "spooled must be a boolean");
        }
        Object gap = body.get("gap");
        Optional<Gap> g = Optional.empty();
        if (gap != null) {
            if (!Boolean.TRUE.equals(spooled)) {
                throw new ProtocolException(Outcome.BAD_OUTCOME, "only a spooled outcome reports a gap");
            }
            g = Optional.of(gap(gap));
        }
        return new OutcomeDelivery(o, Boolean.TRUE.equals(spooled), g);
    }

    private static Gap gap(Object gap) throws ProtocolException {
        if (!(gap instanceof Map<?, ?> m)) {
            throw new ProtocolException(Outcome.BAD_OUTCOME, "gap must be a map");
        }
        for (Object key : m.keySet()) {
            if (!GAP_KEYS.contains(key)) {
                throw new ProtocolException(Outcome.BAD_OUTCOME, "unknown gap field '" + ValueCodec.clip(String.valueOf(key)) + "'");
            }
        }
        if (!(m.get("held") instanceof Long held) || !(m.get("dropped") instanceof Long dropped) || !(m.get("since") instanceof Long since)) {
            throw new ProtocolException(Outcome.BAD_OUTCOME, "gap needs held, dropped and since as integers");
        }
        Map<String, Long> kinds = new TreeMap<>();
        Object dk = m.get("dropped_kinds");
        if (dk != null) {
            if (!(dk instanceof Map<?, ?> dkm)) {
                throw new ProtocolException(Outcome.BAD_OUTCOME, "gap.dropped_kinds must be a map");
            }
            for (Map.Entry<?, ?> e : dkm.entrySet()) {
                String k = String.valueOf(e.getKey());
                if (Outcome.Kind.of(k).isEmpty() || !(e.getValue() instanceof Long n) || n < 0) {
                    throw new ProtocolException(Outcome.BAD_OUTCOME, "gap.dropped_kinds maps outcome kinds to counts, got '"
                            + ValueCodec.clip(k) + "'");
                }
                kinds.put(k, n);
            }
        }
        try {
            return new Gap(held, dropped, since, kinds);
        } catch (IllegalArgumentException e) {
            throw new ProtocolException(Outcome.BAD_OUTCOME, "gap: " + e.getMessage());
        }
    }
}
