package dev.agt.protocol;

import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * What an agent proves its identity with during the {@link Handshake}: its DID, the delegation
 * chain it presents (root first; empty for a registered agent) and a way to sign with its key.
 * The key itself never reaches this module.
 */
public interface Authenticator {
    String did();

    List<String> chain();

    /** An Ed25519 signature of {@code message} by the DID's key. */
    byte[] sign(byte[] message);

    /** An authenticator from its parts, e.g. {@code Authenticator.of(key.did(), key.chain(), key::sign)}. */
    static Authenticator of(String did, List<String> chain, Function<byte[], byte[]> signer) {
        Objects.requireNonNull(did, "did");
        Objects.requireNonNull(signer, "signer");
        List<String> c = List.copyOf(chain);
        return new Authenticator() {
            @Override
            public String did() {
                return did;
            }

            @Override
            public List<String> chain() {
                return c;
            }

            @Override
            public byte[] sign(byte[] message) {
                return signer.apply(message);
            }

            @Override
            public String toString() {
                return "Authenticator[" + did + (c.isEmpty() ? "" : ", chain of " + c.size()) + "]";
            }
        };
    }
}
