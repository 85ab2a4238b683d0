package dev.agt.engine.server;

import dev.agt.audit.entry.DecisionEntry;
import dev.agt.audit.entry.EntryCodec;
import dev.agt.audit.entry.MalformedEntryException;
import dev.agt.audit.entry.OutcomeEntry;
import dev.agt.audit.entry.OutcomeEvent;
import dev.agt.protocol.Vocabulary;
import dev.agt.engine.session.DecisionOwners;
import dev.agt.engine.session.SessionIdentity;
import dev.agt.protocol.Decision;
import dev.agt.protocol.Frame;
import dev.agt.protocol.FrameType;
import dev.agt.protocol.Outcome;
import dev.agt.protocol.OutcomeDelivery;
import dev.agt.protocol.ProtocolException;
import dev.agt.protocol.Reasons;
import dev.agt.protocol.Request;
import java.io.IOException;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * OUTCOME frames: what an agent finally did with a call on its own, checked for what the engine
 * can check (that a {@code follows} names a decision of the same agent), logged, and then
 * acknowledged. See {@link #outcome}.
 */
final class OutcomeIntake {
    /**
     * How many times one session may have the decision an outcome follows read back from the log
     * (decisions made before this engine started, or too long ago for {@link DecisionOwners}): a
     * read may cost a pass over a segment, and a session could otherwise ask for one per frame.
     */
    static final int MAX_LOG_LOOKUPS = 64;

    private final Engine engine;

    OutcomeIntake(Engine engine) {
        this.engine = engine;
    }

    /**
     * OUTCOME: what the agent finally did with a call on its own (see {@link Outcome}). Logged as
     * an entry of its own, with the session's agent, linked to the decision it follows, and only
     * then acknowledged with its sequence number; an unwritable log answers {@code
     * audit-unavailable} (the agent keeps the outcome and delivers it again). Refused, and the
     * refusal logged: a malformed frame ({@code bad-outcome}, {@code bad-request}), and a {@code
     * follows} that is not a decision of this agent's ({@code not-own-decision}), since an agent
     * must not annotate another agent's entries.
     *
     * <p>Unlike a malformed DECIDE, a refused OUTCOME does not end the session: an outcome asks
     * for nothing, so refusing it grants nothing, and the agent's decisions go on over the same
     * connection. A lost-outcomes event is written first when the agent's spool says it dropped
     * some, whether or not this outcome is accepted.
     */
    void outcome(Connection c, Frame f) {
        SessionIdentity identity = SessionAdmission.agentSession(c, f, "an admin session (admin: true) reports no outcomes");
        if (identity == null) {
            return;
        }
        Map<String, Object> agent = engine.agentFields(c, identity.resolve(engine.registry(), c.peerUser));
        String now = Instant.now().toString();
        engine.inFlight.incrementAndGet();
        OutcomeDelivery d;
        try {
            d = OutcomeDelivery.fromBody(f.body());
            Optional<String> bad = d.outcome().request().flatMap(r -> Vocabulary.typeProblem(r.target()));
            if (bad.isPresent()) {
                throw new ProtocolException(Reasons.BAD_REQUEST, bad.get()); // incomplete is fine: the agent reports what it read
            }
        } catch (ProtocolException e) {
            engine.counters.outcomesRefused.increment();
            engine.log("connection " + c.number + ": OUTCOME refused, the session goes on: " + e.getMessage());
            c.stage(EntryCodec.toMap(OutcomeEvent.refused(now, agent, e.code(), e.getMessage(), Optional.empty())), (seq, err) -> {
                c.queue(error(f.id(), e.code(), e.getMessage())); // final whether or not the refusal was logged
                engine.inFlight.decrementAndGet();
            });
            return;
        }
        Outcome o = d.outcome();
        boolean[] lostUnlogged = {false};
        d.gap().filter(g -> g.dropped() > 0).ifPresent(g -> {
            engine.log("agent " + agent.get("name") + " (session " + c.number + ") lost " + g.dropped() + " outcome(s) while the engine was unreachable");
            c.stage(EntryCodec.toMap(OutcomeEvent.lost(now, agent, g.dropped(), g.held(), Instant.ofEpochMilli(g.since()).toString(),
                    g.droppedKinds())),
                    (seq, err) -> lostUnlogged[0] = err != null);
        });
        Link link = o.follows() == Outcome.NONE ? new Link(OutcomeEntry.NONE, null) : follows(c, o.follows());
        if (link.problem() != null) {
            engine.counters.outcomesRefused.increment();
            engine.log("connection " + c.number + ": OUTCOME refused: " + link.problem());
            c.stage(EntryCodec.toMap(OutcomeEvent.refused(now, agent, Outcome.NOT_OWN_DECISION, link.problem(), Optional.of(d.toBody()))),
                    (seq, err) -> {
                c.queue(err != null || lostUnlogged[0] ? unlogged(f.id(), err != null ? err : new IOException("the lost-outcomes entry failed"))
                        : error(f.id(), Outcome.NOT_OWN_DECISION, link.problem()));
                engine.inFlight.decrementAndGet();
            });
            return;
        }
        OutcomeEntry entry = new OutcomeEntry(-1, now, agent, o.kind().key(), o.kind().effect() == Decision.Effect.ALLOW ? "allow" : "deny",
                o.code(), o.reason(), Instant.ofEpochMilli(o.time()).toString(), o.follows(), link.session(), o.request().map(DecisionPipeline::logged), // a tool result's text stays out of the log here too
                d.spooled(), d.gap().map(g -> new OutcomeEntry.Gap(g.held(), g.dropped(), Instant.ofEpochMilli(g.since()).toString(),
                g.droppedKinds())));
        c.stage(EntryCodec.toMap(entry), (seq, err) -> {
            if (err == null && !lostUnlogged[0]) {
                engine.counters.outcomes.increment();
                c.queue(new Frame(FrameType.OUTCOME_ACK, f.id(), Map.of("seq", seq)));
            } else {
                engine.counters.auditFailures.increment();
                c.queue(unlogged(f.id(), err != null ? err : new IOException("the lost-outcomes entry before it failed")));
            }
            engine.inFlight.decrementAndGet();
        });
    }

    /**
     * Where an outcome's {@code follows} leads: the session of the decision when it is not this
     * one ({@link OutcomeEntry#NONE} when it is), or the problem that refuses it.
     */
    private record Link(long session, String problem) {
    }

    private Link follows(Connection c, long seq) {
        long next = engine.audit().nextSeq();
        if (seq >= next) {
            return new Link(OutcomeEntry.NONE, "#" + seq + " is not in the log (the next entry is #" + next + ")");
        }
        DecisionOwners.Lookup found = engine.owners().find(seq);
        boolean fromLog = false;
        if (found instanceof DecisionOwners.Unknown) {
            if (c.lookups >= MAX_LOG_LOOKUPS) {
                return new Link(OutcomeEntry.NONE, "#" + seq + " is not among the decisions this engine holds in memory, and this session"
                        + " has used its " + MAX_LOG_LOOKUPS + " reads of older entries");
            }
            c.lookups++;
            found = ownerInLog(seq);
            fromLog = true;
        }
        if (found instanceof DecisionOwners.Owner owner) {
            if (!owner.principal().equals(c.owner().principal())) {
                return new Link(OutcomeEntry.NONE, "#" + seq + " is a decision of another agent (" + Engine.clip(owner.name()) + ", session "
                        + owner.session() + "); an agent may only report outcomes of its own decisions");
            }
            return new Link(fromLog || owner.session() != c.number ? owner.session() : OutcomeEntry.NONE, null);
        }
        if (found instanceof DecisionOwners.NotADecision) {
            return new Link(OutcomeEntry.NONE, "#" + seq + " is not a decision");
        }
        return new Link(OutcomeEntry.NONE, "#" + seq + " could not be read back from the audit log to check whose decision it is");
    }

    /** Whose decision entry {@code seq} is, read from the log; {@code Unknown} when it cannot be read. */
    private DecisionOwners.Lookup ownerInLog(long seq) {
        try {
            Optional<byte[]> line = engine.audit().entry(seq);
            if (line.isEmpty()) {
                return new DecisionOwners.Unknown();
            }
            if (!(EntryCodec.read(line.get()) instanceof DecisionEntry d) || d.agent().isEmpty()) {
                return new DecisionOwners.NotADecision();
            }
            return new DecisionOwners.Owner(d.session(), DecisionOwners.principal(d.agent()), String.valueOf(d.agent().get("name")));
        } catch (IOException | MalformedEntryException | RuntimeException x) {
            engine.log("reading #" + seq + " back from the audit log failed: " + x.getMessage());
            return new DecisionOwners.Unknown();
        }
    }

    private static Frame error(long id, String code, String message) {
        return new Frame(FrameType.ERROR, id, Map.of("code", code, "message", message));
    }

    private static Frame unlogged(long id, Throwable err) {
        return error(id, Reasons.AUDIT_UNAVAILABLE, "the outcome could not be written to the audit log (" + err.getMessage() + ")");
    }
}
