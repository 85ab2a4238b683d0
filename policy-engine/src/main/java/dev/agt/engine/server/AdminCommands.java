package dev.agt.engine.server;

import dev.agt.audit.entry.EngineEvent;
import dev.agt.engine.session.KillSwitch;
import dev.agt.engine.session.SessionIdentity;
import dev.agt.protocol.AdminRequest;
import dev.agt.protocol.Frame;
import dev.agt.protocol.ProtocolException;
import dev.agt.protocol.FrameType;
import dev.agt.protocol.Reasons;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The admin frames {@code agt} sends: STATUS, RELOAD (policy or registry), KILL and REVIVE.
 * Taken only over the Unix socket from the user the engine runs as.
 */
final class AdminCommands {
    private final Engine engine;

    AdminCommands(Engine engine) {
        this.engine = engine;
    }

    void handle(Connection c, Frame f) {
        boolean owner = c.unix && engine.engineUser.equals(c.peerUser);
        // an approver may list and decide held calls, and nothing else
        boolean approver = !owner && c.unix && f.type() == FrameType.APPROVALS && engine.approvers != null
                && engine.approvers.admits(c.peerUser, c.peerGroup);
        if (!owner && !approver) {
            c.send(new Frame(FrameType.ERROR, f.id(), Map.of("code", Reasons.NOT_PERMITTED,
                    "message", "admin requests are taken only over the Unix socket from user " + engine.engineUser
                            + (engine.approvers == null ? "" : "; members of group " + engine.approvers.group() + " may list and decide approvals"))));
            return;
        }
        AdminRequest request;
        try {
            request = AdminRequest.parse(f.type(), f.body());
        } catch (ProtocolException e) {
            c.send(new Frame(FrameType.ERROR, f.id(), Map.of("code", e.code(), "message", e.detail()))); // the session goes on
            return;
        }
        if (request instanceof AdminRequest.Reload r) {
            c.send(new Frame(FrameType.RELOAD_REPLY, f.id(), r.registry() ? engine.reloadRegistry("admin") : engine.reload("admin")));
        } else if (request instanceof AdminRequest.Switch k) {
            kill(c, f, k);
        } else if (request instanceof AdminRequest.ClearLabel cl) {
            clearLabel(c, f, cl);
        } else if (request instanceof AdminRequest.Approvals a) {
            approvals(c, f, a);
        } else {
            c.send(new Frame(FrameType.STATUS_REPLY, f.id(), engine.status()));
        }
    }

    /** KILL / REVIVE: {@code {agent: NAME|DID}} or {@code {all: true}}; written, then in force, then logged, then answered. */
    private void kill(Connection c, Frame f, AdminRequest.Switch request) {
        boolean kill = request.kill();
        FrameType replyType = kill ? FrameType.KILL_REPLY : FrameType.REVIVE_REPLY;
        boolean all = request.all();
        String target = request.agent().orElse(null);
        KillSwitch.State before;
        KillSwitch.State after;
        try {
            before = engine.kills().state();
            after = engine.kills().change(s -> {
                java.util.Set<String> agents = new java.util.TreeSet<>(s.agents());
                if (kill) {
                    if (all) {
                        return new KillSwitch.State(true, agents);
                    }
                    agents.add(target);
                    return new KillSwitch.State(s.all(), agents);
                }
                if (all) {
                    return KillSwitch.State.NONE;
                }
                agents.remove(target);
                return new KillSwitch.State(s.all(), agents);
            }, c.peerUser + "@" + engine.name());
        } catch (KillSwitch.Unavailable e) {
            if (kill && e.getMessage().startsWith(dev.agt.engine.shared.SharedState.PENDING)) {
                // not written to the shared state, yet in force here: the log says so now, not when it is written
                try {
                    engine.record(new EngineEvent.KillSwitchChange(-1, Instant.now().toString(), true, Optional.ofNullable(target),
                            c.peerUser + " (on this engine only until the shared state is back)", true, engine.kills().state().toMap(), 0));
                } catch (KillSwitch.Unavailable stale) {
                    // the state is past its grace: every call is denied anyway
                }
                engine.log("kill " + (all ? "--all" : target) + " by " + c.peerUser + ": " + e.getMessage());
            }
            c.send(new Frame(FrameType.ERROR, f.id(), Map.of("code", Reasons.STATE_UNAVAILABLE, "message", e.getMessage())));
            return;
        }
        long stopped = 0;
        for (Connection x : engine.connections.values()) {
            SessionIdentity id = x.identity();
            if (id != null && !x.adminOnly() && after.stops(id.resolve(engine.registry(), x.peerUser).handles())) {
                stopped++;
            }
        }
        boolean changed = !after.equals(before);
        boolean known = all || engine.registry().find(target).isPresent() || engine.connections.values().stream()
                .anyMatch(x -> x.identity() != null && x.identity().resolve(engine.registry(), x.peerUser).handles().contains(target));
        if (changed) {
            engine.record(new EngineEvent.KillSwitchChange(-1, Instant.now().toString(), kill, Optional.ofNullable(target), c.peerUser, true,
                    after.toMap(), stopped));
            engine.log((kill ? "kill " : "revive ") + (all ? "--all" : target) + " by " + c.peerUser + ": " + stopped + " connected session(s) now stopped");
        }
        Map<String, Object> reply = new LinkedHashMap<>();
        reply.put("result", changed ? (kill ? "killed" : "revived") : "unchanged");
        reply.put("all", after.all());
        reply.put("agents", after.toMap().get("agents"));
        reply.put("sessions_stopped", stopped);
        reply.put("known", known);
        c.send(new Frame(replyType, f.id(), reply));
    }

    /** CLEAR_LABEL: an operator's act, written, then in force, then logged (with the entry that had set it), then answered. */
    private void clearLabel(Connection c, Frame f, AdminRequest.ClearLabel request) {
        dev.agt.engine.session.SessionLabels.Label gone;
        try {
            gone = engine.labels().clear(request.lineage(), request.label());
        } catch (dev.agt.engine.state.StateFile.Unavailable e) {
            c.send(new Frame(FrameType.ERROR, f.id(), Map.of("code", Reasons.STATE_UNAVAILABLE, "message", e.getMessage())));
            return;
        }
        if (gone != null) {
            engine.record(new EngineEvent.LabelCleared(-1, Instant.now().toString(), request.lineage(), request.label(), c.peerUser, gone.seq(),
                    gone.rule()));
            engine.log("label " + request.label() + " cleared from lineage " + request.lineage() + " by " + c.peerUser);
        }
        c.send(new Frame(FrameType.CLEAR_LABEL_REPLY, f.id(), Map.of("result", gone != null ? "cleared" : "not set")));
    }

    /**
     * APPROVALS: the held calls, or a person's decision on one. The approver is the peer's user
     * name as the kernel gives it (the engine's own user, or a member of the approvers group);
     * the decision and who made it are logged before the held call is answered.
     */
    private void approvals(Connection c, Frame f, AdminRequest.Approvals request) {
        if (request.id().isEmpty()) {
            java.util.List<Object> pending = new java.util.ArrayList<>();
            engine.approvals().list().forEach(p -> pending.add(p.toMap()));
            c.send(new Frame(FrameType.APPROVALS_REPLY, f.id(), Map.of("pending", pending)));
            return;
        }
        String id = request.id().get();
        Approvals.Pending held = engine.approvals().get(id);
        if (held != null && !(c.unix && engine.engineUser.equals(c.peerUser)) && c.peerUser.equals(held.user())) {
            // an approver who runs agents too never decides a call their own processes made
            c.send(new Frame(FrameType.ERROR, f.id(), Map.of("code", Reasons.NOT_PERMITTED,
                    "message", "user " + c.peerUser + " made this call (" + id + "); another approver decides it")));
            return;
        }
        boolean done = engine.approvals().resolve(id, new Approvals.Resolution(request.approve() ? "approved" : "denied", c.peerUser,
                request.reason()));
        c.send(new Frame(FrameType.APPROVALS_REPLY, f.id(), Map.of("result", done ? (request.approve() ? "approved" : "denied")
                : "not pending (already decided, timed out, or unknown)")));
    }
}
