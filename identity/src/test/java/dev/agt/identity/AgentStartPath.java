package dev.agt.identity;

import java.time.Duration;
import java.util.function.Function;

/**
 * What the javaagent does with identity when it starts with {@code identity=} and when it starts a
 * child JVM: read a (delegate's) key file, sign a handshake, delegate a key to a child. Run by
 * {@link KeyFileTest} in a class loader that has this module's classes and nothing else, so that
 * touching a JSON parser fails it.
 */
public final class AgentStartPath implements Function<String, String> {
    @Override
    public String apply(String keyFileText) {
        try {
            AgentKey key = KeyFile.parse("agent.key", keyFileText);
            key.sign(new byte[] {1});
            AgentKey root = AgentKey.generate("root");
            AgentKey child = root.delegate(AgentKey.generate("root/child"), root.scope(), Duration.ofMinutes(5));
            return key.did() + " " + child.chain().size();
        } catch (IdentityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The control: reading a token's payload does need the parser. */
    public static final class ReadPayload implements Function<String, String> {
        @Override
        public String apply(String token) {
            try {
                return DelegationToken.parse(token).child();
            } catch (IdentityException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
