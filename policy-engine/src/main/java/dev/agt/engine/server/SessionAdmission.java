package dev.agt.engine.server;

import dev.agt.audit.entry.EngineEvent;
import dev.agt.engine.policy.Scopes;
import dev.agt.engine.session.AuthMode;
import dev.agt.engine.session.DecisionOwners;
import dev.agt.engine.session.RecentNonces;
import dev.agt.engine.session.SessionIdentity;
import dev.agt.identity.Delegation;
import dev.agt.identity.DelegationToken;
import dev.agt.identity.DidKey;
import dev.agt.identity.IdentityException;
import dev.agt.protocol.Handshake;
import dev.agt.protocol.Hello;
import dev.agt.protocol.Reasons;
import dev.agt.protocol.ProtocolException;
import dev.agt.protocol.Frame;
import dev.agt.protocol.FrameType;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The handshake: HELLO (a declared name, or a DID with its delegation chain), the CHALLENGE and
 * AUTH that prove a DID, and the session that results, or a refusal that is logged with what the
 * peer claimed. Runs on the connection's reader thread, like everything for that connection.
 */
final class SessionAdmission {
    /** What an agent name may be: it is written to the log and the kill switch, and shown in reports. */

    private final Engine engine;
    /** The nonces this engine issued, so that an AUTH answering another connection's CHALLENGE is told apart as a replay. */
    private final RecentNonces nonces = new RecentNonces();

    SessionAdmission(Engine engine) {
        this.engine = engine;
    }

    /** A HELLO that named a DID, waiting for the AUTH that answers its challenge. */
    record Pending(String name, long pid, String mode, String did, List<String> chain, String nonce, java.util.Optional<String> lineage) {
    }

    void hello(Connection c, Frame f) {
        if (c.agent() != null || c.pending() != null) {
            c.refuse(f.id(), Reasons.HELLO_TWICE, "HELLO was already received on this connection");
            return;
        }
        Hello h;
        try {
            h = Hello.parse(f.body());
        } catch (ProtocolException e) {
            Object name = f.body().get("name"); // for the log entry, when it is a name at all
            refuseSession(c, f.id(), e.code(), e.detail(), name instanceof String n && Hello.NAME.matcher(n).matches() ? n : null,
                    f.body().get("pid") instanceof Long pid ? pid : Hello.NO_PID, null, List.of());
            return;
        }
        String n = h.name();
        long declaredPid = h.pid();
        String mode = h.mode().key();
        if (h.did().isPresent()) {
            String d = h.did().get();
            try {
                DidKey.check(d);
            } catch (IdentityException e) {
                refuseSession(c, f.id(), e.code(), e.getMessage(), n, declaredPid, null, h.chain());
                return;
            }
            Pending p = new Pending(n, declaredPid, mode, d, h.chain(), nonces.issue(), h.lineage());
            c.pending(p);
            c.send(new Frame(FrameType.CHALLENGE, f.id(), Map.of("nonce", p.nonce(), "engine", engine.engineId)));
            return;
        }
        boolean admin = h.admin();
        if (!admin && engine.config.auth() == AuthMode.REQUIRED) {
            refuseSession(c, f.id(), Handshake.AUTH_REQUIRED, "this engine requires a proven agent identity (auth: required);"
                    + " start the agent with identity=KEYFILE (see 'agt identity create')", n, declaredPid, null, List.of());
            return;
        }
        SessionIdentity id = SessionIdentity.declared(c.unix ? "local-peercred" : "tcp-declared", n);
        established(c, f, id, declaredPid, mode, admin, h.lineage());
    }

    /** The AUTH that answers this connection's CHALLENGE: the signature, then the identity and its chain. */
    void auth(Connection c, Frame f) {
        Pending p = c.pending();
        if (p == null) {
            String why = c.agent() != null ? "this session is already established" : "AUTH without a CHALLENGE (send HELLO with did first)";
            refuseSession(c, f.id(), c.agent() != null ? Handshake.REPLAYED : Handshake.BAD_AUTH, why, null, -1, null, List.of());
            return;
        }
        c.pending(null); // one answer per nonce, whatever it is
        Object did = f.body().get("did");
        Object nonce = f.body().get("nonce");
        Object time = f.body().get("time");
        Object signature = f.body().get("signature");
        if (!(did instanceof String) || !(nonce instanceof String n) || !(time instanceof Long t) || !(signature instanceof String sig)) {
            refuseSession(c, f.id(), Handshake.BAD_AUTH, "AUTH needs did, nonce, time (epoch ms) and signature", p.name(), p.pid(), p.did(), p.chain());
            return;
        }
        if (!did.equals(p.did())) {
            refuseSession(c, f.id(), Handshake.DID_MISMATCH, "AUTH names " + Engine.clip(did) + " but HELLO named " + p.did(), p.name(), p.pid(),
                    p.did(), p.chain());
            return;
        }
        if (!n.equals(p.nonce())) {
            boolean replay = nonces.issued(n);
            refuseSession(c, f.id(), replay ? Handshake.REPLAYED : Handshake.WRONG_NONCE, replay
                    ? "the AUTH answers a nonce issued to another connection (a replayed handshake)"
                    : "the AUTH answers a nonce this engine did not issue", p.name(), p.pid(), p.did(), p.chain());
            return;
        }
        long now = System.currentTimeMillis();
        if (Math.abs(now - t) > Handshake.WINDOW_MS) {
            refuseSession(c, f.id(), Handshake.CLOCK_SKEW, "AUTH time " + Instant.ofEpochMilli(t) + " is more than "
                    + Handshake.WINDOW_MS / 1000 + " s from the engine's clock (" + Instant.ofEpochMilli(now) + ")", p.name(), p.pid(),
                    p.did(), p.chain());
            return;
        }
        byte[] raw = Handshake.decode(sig);
        boolean good;
        try {
            good = raw != null && DidKey.verify(p.did(), Handshake.message(p.nonce(), engine.engineId, p.did(), t), raw);
        } catch (IdentityException e) {
            good = false; // checked at HELLO; cannot happen
        }
        if (!good) {
            refuseSession(c, f.id(), Handshake.BAD_SIGNATURE, "the AUTH signature is not " + p.did() + "'s over this connection's challenge",
                    p.name(), p.pid(), p.did(), p.chain());
            return;
        }
        SessionIdentity id;
        try {
            Delegation.Verified v = Delegation.verify(p.did(), p.chain(), engine.registry(), Instant.ofEpochMilli(now), Scopes.COVER);
            id = SessionIdentity.proven(p.name(), v);
        } catch (IdentityException e) {
            refuseSession(c, f.id(), e.code(), e.getMessage(), p.name(), p.pid(), p.did(), p.chain());
            return;
        } catch (IllegalArgumentException e) {
            refuseSession(c, f.id(), IdentityException.MALFORMED_TOKEN, "a delegation scope holds a bad pattern: " + e.getMessage(),
                    p.name(), p.pid(), p.did(), p.chain());
            return;
        }
        established(c, f, id, p.pid(), p.mode(), false, p.lineage());
    }

    private void established(Connection c, Frame f, SessionIdentity id, long pid, String mode, boolean admin, java.util.Optional<String> lineage) {
        SessionIdentity.Resolved r = id.resolve(engine.registry(), c.peerUser);
        // a child JVM joins the lineage its parent was given, so labels hold across both; anyone
        // else starts a new one (an id is 128 random bits: a lineage is joined only by being told it)
        c.lineage(admin ? null : lineage.orElseGet(dev.agt.engine.session.SessionLabels::newLineage));
        c.hello(id, r.agent(), pid, mode, admin);
        Map<String, Object> agent = engine.agentFields(c);
        c.owner(new DecisionOwners.Owner(c.number, DecisionOwners.principal(agent), r.agent().name()));
        engine.record(new EngineEvent.SessionStart(-1, Instant.now().toString(), agent, admin));
        Map<String, Object> ok = new LinkedHashMap<>();
        ok.put("engine", engine.engineId);
        ok.put("policy", engine.policy().version());
        ok.put("session", c.number);
        ok.put("auth", id.how());
        ok.put("accepts", java.util.List.of("trace")); // request fields an older engine would refuse: agents send them only when named here
        if (c.lineage() != null) {
            ok.put("lineage", c.lineage());
        }
        id.verified().ifPresent(v -> {
            ok.put("did", v.presented());
            ok.put("root", v.root());
        });
        c.send(new Frame(FrameType.HELLO_OK, f.id(), ok));
    }

    /**
     * Refuses a session and records why: every refused handshake is in the log with its code, the
     * declared name, the peer's user, the DID and what could be read of the chain.
     */
    private void refuseSession(Connection c, long frameId, String code, String reason, String name, long pid, String did, List<String> chain) {
        List<Object> links = new ArrayList<>();
        for (String t : chain) {
            try {
                links.add(DelegationToken.parse(t).summary());
            } catch (IdentityException e) {
                links.add(Map.of("malformed", e.getMessage()));
            }
        }
        engine.record(new EngineEvent.SessionRefused(-1, Instant.now().toString(), code, reason, Optional.ofNullable(name), c.peerUser, pid,
                c.unix ? "unix" : "tcp", c.number, Optional.ofNullable(did), links));
        c.refuse(frameId, code, reason);
    }

    /**
     * The session an agent's frame (DECIDE, OUTCOME) belongs to, or null after refusing the frame:
     * no complete handshake, or an admin session, which {@code adminRefusal} explains.
     */
    static SessionIdentity agentSession(Connection c, Frame f, String adminRefusal) {
        SessionIdentity identity = c.identity();
        if (c.agent() == null || identity == null) {
            c.refuse(f.id(), c.pending() != null ? Handshake.BAD_AUTH : Reasons.HELLO_REQUIRED, c.pending() != null
                    ? "the handshake is not complete: answer the CHALLENGE with AUTH first" : "the first frame on a connection must be HELLO");
            return null;
        }
        if (c.adminOnly()) {
            c.refuse(f.id(), Reasons.ADMIN_SESSION, adminRefusal);
            return null;
        }
        return identity;
    }
}
