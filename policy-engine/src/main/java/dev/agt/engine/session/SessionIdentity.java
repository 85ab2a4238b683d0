package dev.agt.engine.session;

import dev.agt.engine.policy.Agent;
import dev.agt.engine.policy.Scopes;
import dev.agt.identity.Delegation;
import dev.agt.identity.DelegationToken;
import dev.agt.identity.Registry;
import dev.agt.protocol.Handshake;
import dev.agt.protocol.Reasons;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Who a session speaks for, as established when it began: a declared name (local auth), or a DID
 * proven by the handshake, with the delegation chain that ties it to a registered agent.
 *
 * <p>A verified session is decided as its root: the policy sees the root's DID as {@code id}, its
 * registry name and labels. What the registry says is looked up again for every decision (against
 * the snapshot in force, cached per snapshot), so a revocation, a removal or a relabelling reaches
 * sessions that are already connected at their next call.
 */
public final class SessionIdentity {
    private final String how;
    private final String declaredName;
    private final Delegation.Verified verified;
    private final List<Scopes.Compiled> scopes;
    private final List<String> who;
    private volatile Resolved resolved;

    /**
     * What the registry snapshot says about this session.
     *
     * @param agent   the identity policies evaluate
     * @param handles what {@code agt kill} may name this session by
     * @param code    why the session may no longer act ({@code revoked}, {@code unknown-agent}), or null
     * @param reason  the sentence for {@code code}
     */
    public record Resolved(Registry registry, Agent agent, Set<String> handles, String code, String reason) {
    }

    private SessionIdentity(String how, String declaredName, Delegation.Verified verified) {
        this.how = how;
        this.declaredName = declaredName;
        this.verified = verified;
        List<Scopes.Compiled> s = new ArrayList<>();
        List<String> w = new ArrayList<>();
        if (verified != null) {
            for (DelegationToken t : verified.links()) {
                s.add(Scopes.compile(t.scope()));
                w.add(t.child() + ", delegated by " + t.parent());
            }
        }
        this.scopes = List.copyOf(s);
        this.who = List.copyOf(w);
    }

    /** A declared name: {@code local-peercred} on the Unix socket, {@code tcp-declared} over TCP. */
    public static SessionIdentity declared(String how, String name) {
        return new SessionIdentity(how, name, null);
    }

    /**
     * A DID the handshake proved and the chain verified.
     *
     * @throws IllegalArgumentException when a link's scope holds a pattern that is not a valid glob
     */
    public static SessionIdentity proven(String declaredName, Delegation.Verified verified) {
        return new SessionIdentity(Handshake.AUTH_ED25519, declaredName, verified);
    }

    public String how() {
        return how;
    }

    public String declaredName() {
        return declaredName;
    }

    /** The proven identity, or empty under a declared name. */
    public Optional<Delegation.Verified> verified() {
        return Optional.ofNullable(verified);
    }

    /** Each link's compiled scope, root first; empty unless delegated. */
    public List<Scopes.Compiled> scopes() {
        return scopes;
    }

    /** For each link, "CHILD, delegated by PARENT". */
    public List<String> who() {
        return who;
    }

    /** When the chain stops being valid, epoch seconds ({@link Long#MAX_VALUE} without a chain). */
    public long expires() {
        return verified == null ? Long.MAX_VALUE : verified.expires();
    }

    /** This session against {@code registry}; computed once per registry snapshot. */
    public Resolved resolve(Registry registry, String uid) {
        Resolved r = resolved;
        if (r != null && r.registry() == registry) {
            return r;
        }
        r = compute(registry, uid);
        resolved = r;
        return r;
    }

    private Resolved compute(Registry registry, String uid) {
        Set<String> handles = new LinkedHashSet<>();
        handles.add(declaredName);
        if (verified == null) {
            return new Resolved(registry, new Agent(declaredName, declaredName, uid, how, Map.of()), handles, null, null);
        }
        String code = null;
        String reason = null;
        for (String did : verified.dids()) {
            handles.add(did);
            Optional<Registry.Entry> e = registry.byDid(did);
            if (e.isPresent()) {
                handles.add(e.get().name());
                if (e.get().revoked() && code == null) {
                    code = Reasons.REVOKED;
                    reason = did + " ('" + e.get().name() + "') was revoked" + (did.equals(verified.presented()) ? "" : "; it delegates for this agent");
                }
            }
        }
        Optional<Registry.Entry> root = registry.byDid(verified.root());
        if (root.isEmpty()) {
            return new Resolved(registry, new Agent(verified.root(), verified.root(), uid, how, Map.of()), handles,
                    Reasons.UNKNOWN_AGENT, verified.root() + " is no longer in the agent registry");
        }
        Agent agent = new Agent(verified.root(), root.get().name(), uid, how, root.get().labels());
        return new Resolved(registry, agent, handles, code, reason);
    }

    /** The identity fields of log entries beyond the declared ones: did, declared name, labels, chain. */
    public Map<String, Object> auditFields(Resolved r) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (verified == null) {
            return m;
        }
        m.put("did", verified.presented());
        m.put("declared_name", declaredName);
        m.put("labels", new java.util.TreeMap<>(r.agent().labels()));
        if (verified.delegated()) {
            List<Object> chain = new ArrayList<>();
            for (DelegationToken t : verified.links()) {
                chain.add(t.summary());
            }
            m.put("root", verified.root());
            m.put("chain", chain);
        }
        return m;
    }
}
