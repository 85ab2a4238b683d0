package dev.agt.identity;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * An agent's Ed25519 key: its name, its did:key, the 32-byte seed, and, for a delegate, the
 * delegation chain it presents (root first). The seed never leaves this object except into a key
 * file, and {@link #toString()} does not show it.
 */
public final class AgentKey {
    private final String name;
    private final byte[] seed;
    private final byte[] publicKey;
    private final String did;
    private final List<String> chain;

    private AgentKey(String name, byte[] seed, byte[] publicKey, List<String> chain) {
        this.name = name;
        this.seed = seed;
        this.publicKey = publicKey;
        this.did = DidKey.of(publicKey);
        this.chain = List.copyOf(chain);
    }

    /** A new key from the platform's secure random source. */
    public static AgentKey generate(String name) {
        return fromSeed(name, Ed25519.newSeed());
    }

    /** The key of a 32-byte seed (RFC 8032's private key). */
    public static AgentKey fromSeed(String name, byte[] seed) {
        KeyFile.checkName(name);
        byte[] s = seed.clone();
        return new AgentKey(name, s, Ed25519.publicKey(s), List.of());
    }

    /** Reads a key file (see {@link KeyFile}); refuses one that others may read. */
    public static AgentKey read(Path file) throws IOException, IdentityException {
        return KeyFile.read(file);
    }

    /** Writes this key to a new file, mode 0600 from its creation; never overwrites. */
    public void write(Path file) throws IOException, IdentityException {
        KeyFile.write(this, file);
    }

    public String name() {
        return name;
    }

    public String did() {
        return did;
    }

    public byte[] publicKey() {
        return publicKey.clone();
    }

    /** The delegation chain this key presents, root first; empty for a registered agent. */
    public List<String> chain() {
        return chain;
    }

    /** The same key presenting {@code chain}. */
    public AgentKey withChain(List<String> chain) {
        return new AgentKey(name, seed, publicKey, chain);
    }

    /** An Ed25519 signature of {@code message}. */
    public byte[] sign(byte[] message) {
        return Ed25519.sign(seed, message);
    }

    byte[] seed() {
        return seed.clone();
    }

    /** What this key may do: its last link's scope, or {@link Scope#UNRESTRICTED} for a registered agent. */
    public Scope scope() throws IdentityException {
        return chain.isEmpty() ? Scope.UNRESTRICTED : DelegationToken.parse(chain.get(chain.size() - 1)).scope();
    }

    /**
     * Delegates to {@code child}: signs a token for the child's DID at this key's depth plus one and
     * returns the child key presenting this key's chain plus that token. The token expires after
     * {@code ttl}, or with this key's own chain if that ends sooner (a link that outlives its parent
     * would be refused anyway).
     *
     * @throws IdentityException {@code depth-exceeded} when this key is already a delegate at
     *                           {@link DelegationToken#MAX_DEPTH}; {@code malformed-token} when its own chain
     *                           does not parse
     */
    public AgentKey delegate(AgentKey child, Scope scope, Duration ttl) throws IdentityException {
        return child.withChain(append(token(child.did(), scope, ttl, Instant.now())));
    }

    /** Only the token of {@link #delegate}, for a child whose key is elsewhere. */
    public DelegationToken token(String childDid, Scope scope, Duration ttl, Instant now) throws IdentityException {
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("a delegation needs a positive lifetime, got " + ttl);
        }
        int depth = chain.size() + 1;
        if (depth > DelegationToken.MAX_DEPTH) {
            throw new IdentityException(IdentityException.DEPTH_EXCEEDED, did + " is a delegate at depth " + chain.size()
                    + "; delegation goes at most " + DelegationToken.MAX_DEPTH + " deep");
        }
        long iat = now.getEpochSecond();
        long exp = iat + Math.max(1, ttl.getSeconds());
        for (String t : chain) {
            exp = Math.min(exp, DelegationToken.parse(t).exp());
        }
        if (exp <= iat) {
            throw new IdentityException(IdentityException.EXPIRED, "this key's own delegation chain has expired");
        }
        return DelegationToken.issue(this, childDid, scope, iat, exp, depth);
    }

    private List<String> append(DelegationToken t) {
        List<String> c = new ArrayList<>(chain);
        c.add(t.encoded());
        return c;
    }

    @Override
    public String toString() {
        return "AgentKey[" + name + " " + did + (chain.isEmpty() ? "" : ", delegate at depth " + chain.size()) + "]";
    }
}
