package dev.agt.identity;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Verifies that an agent presenting a DID and a delegation chain speaks for a registered agent,
 * and within what. Everything is mandatory: there is no "best effort" path that skips a signature
 * because a key is unknown (a did:key always carries its key) or skips an expiry.
 *
 * <p>For a chain {@code t[0] .. t[n-1]}, root first, every link must hold, checked in this order
 * so that the first problem found is the one reported:
 * <ol>
 *   <li>it parses ({@code malformed-token});</li>
 *   <li>its signature is by its parent's key ({@code forged-signature});</li>
 *   <li>{@code t[0]}'s parent is in the registry ({@code unknown-root}) and not revoked; each later
 *       parent is the previous link's child ({@code broken-chain}); no parent or child is revoked
 *       ({@code revoked});</li>
 *   <li>now is before {@code exp} ({@code expired}) and {@code iat} is not later than now plus
 *       {@link #CLOCK_SKEW} ({@code not-yet-valid});</li>
 *   <li>{@code depth} is at most {@link DelegationToken#MAX_DEPTH} ({@code depth-exceeded}) and is
 *       its position, 1-based ({@code bad-depth});</li>
 *   <li>its scope is within its parent's ({@code scope-widened}); the root is unrestricted, so
 *       {@code t[0]} may hold any scope;</li>
 * </ol>
 * and the last child must be the presenting DID ({@code wrong-child}). Without a chain, the DID
 * itself must be registered ({@code unknown-agent}) and not revoked.
 */
public final class Delegation {
    /** How far a token's {@code iat} may lie in the future: clocks of two processes differ a little. */
    public static final Duration CLOCK_SKEW = Duration.ofSeconds(60);
    /** Chains longer than this are refused before any token is read. */
    static final int MAX_LINKS = 16;

    private Delegation() {
    }

    public enum Status { ACTIVE, REVOKED, UNKNOWN }

    /** The registry as the verifier sees it. */
    @FunctionalInterface
    public interface Roots {
        Status status(String did);
    }

    /**
     * A verified identity.
     *
     * @param root      the registered agent this one speaks for (the presenting DID itself when there is no chain)
     * @param presented the DID that authenticated
     * @param links     the chain, root first; empty for a registered agent speaking for itself
     */
    public record Verified(String root, String presented, List<DelegationToken> links) {
        public Verified {
            links = List.copyOf(links);
        }

        public boolean delegated() {
            return !links.isEmpty();
        }

        /** Every DID involved, root first, the presenting one last. */
        public List<String> dids() {
            List<String> out = new ArrayList<>();
            out.add(root);
            for (DelegationToken t : links) {
                out.add(t.child());
            }
            return out;
        }

        /** The earliest {@code exp} along the chain (epoch seconds), or {@link Long#MAX_VALUE} without one. */
        public long expires() {
            long e = Long.MAX_VALUE;
            for (DelegationToken t : links) {
                e = Math.min(e, t.exp());
            }
            return e;
        }
    }

    public static Verified verify(String presented, List<String> chain, Roots roots, Instant now, Scope.PatternCover cover)
            throws IdentityException {
        DidKey.check(presented);
        if (chain.isEmpty()) {
            switch (roots.status(presented)) {
                case UNKNOWN -> throw new IdentityException(IdentityException.UNKNOWN_AGENT, presented
                        + " is not in the agent registry (register it with 'agt identity create', or present a delegation chain)");
                case REVOKED -> throw new IdentityException(IdentityException.REVOKED, presented + " is revoked in the agent registry");
                default -> {
                    return new Verified(presented, presented, List.of());
                }
            }
        }
        if (chain.size() > MAX_LINKS) {
            throw new IdentityException(IdentityException.DEPTH_EXCEEDED, "a chain of " + chain.size() + " links; at most "
                    + DelegationToken.MAX_DEPTH + " are accepted");
        }
        long nowSeconds = now.getEpochSecond();
        List<DelegationToken> links = new ArrayList<>();
        DelegationToken prev = null;
        for (int i = 0; i < chain.size(); i++) {
            DelegationToken t;
            try {
                t = DelegationToken.parse(chain.get(i));
            } catch (IdentityException e) {
                throw at(i, e.code(), e.getMessage());
            }
            if (!t.signedByParent()) {
                throw at(i, IdentityException.FORGED_SIGNATURE, "the signature is not " + t.parent() + "'s");
            }
            if (prev == null) {
                switch (roots.status(t.parent())) {
                    case UNKNOWN -> throw at(i, IdentityException.UNKNOWN_ROOT, "the chain starts at " + t.parent()
                            + ", which is not in the agent registry");
                    case REVOKED -> throw at(i, IdentityException.REVOKED, t.parent() + " is revoked in the agent registry");
                    default -> {
                    }
                }
            } else if (!t.parent().equals(prev.child())) {
                throw at(i, IdentityException.BROKEN_CHAIN, "its parent " + t.parent() + " is not the previous link's child " + prev.child());
            }
            if (roots.status(t.child()) == Status.REVOKED) {
                throw at(i, IdentityException.REVOKED, t.child() + " is revoked in the agent registry");
            }
            if (nowSeconds >= t.exp()) {
                throw at(i, IdentityException.EXPIRED, "it expired at " + Instant.ofEpochSecond(t.exp()));
            }
            if (t.iat() > nowSeconds + CLOCK_SKEW.getSeconds()) {
                throw at(i, IdentityException.NOT_YET_VALID, "it is issued at " + Instant.ofEpochSecond(t.iat())
                        + ", later than now (" + now + ") by more than " + CLOCK_SKEW.getSeconds() + " s");
            }
            if (t.depth() > DelegationToken.MAX_DEPTH) {
                throw at(i, IdentityException.DEPTH_EXCEEDED, "depth " + t.depth() + "; delegation goes at most "
                        + DelegationToken.MAX_DEPTH + " deep");
            }
            if (t.depth() != i + 1) {
                throw at(i, IdentityException.BAD_DEPTH, "it says depth " + t.depth() + " but is link " + (i + 1) + " of the chain");
            }
            Scope parentScope = prev == null ? Scope.UNRESTRICTED : prev.scope();
            Optional<String> wider = parentScope.widening(t.scope(), cover);
            if (wider.isPresent()) {
                throw at(i, IdentityException.SCOPE_WIDENED, wider.get());
            }
            links.add(t);
            prev = t;
        }
        if (!prev.child().equals(presented)) {
            throw at(chain.size() - 1, IdentityException.WRONG_CHILD, "the chain delegates to " + prev.child() + ", not to "
                    + presented + ", which presents it");
        }
        return new Verified(links.get(0).parent(), presented, links);
    }

    private static IdentityException at(int link, String code, String message) {
        return new IdentityException(code, "delegation link " + (link + 1) + ": " + message, link);
    }
}
