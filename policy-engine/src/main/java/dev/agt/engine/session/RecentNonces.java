package dev.agt.engine.session;

import dev.agt.protocol.Handshake;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Handshake nonces: 32 random bytes each, one per connection, and the most recent ones remembered
 * so that an AUTH answering another connection's nonce is named {@code replayed} in the log. The
 * memory only makes the refusal's name precise: a nonce that is not this connection's is refused
 * either way.
 */
public final class RecentNonces {
    static final int REMEMBERED = 65_536;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, Boolean> recent = new LinkedHashMap<>(1024, 0.75f, false) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > REMEMBERED;
        }
    };

    public String issue() {
        byte[] b = new byte[Handshake.NONCE_BYTES];
        random.nextBytes(b);
        String n = Handshake.encode(b);
        synchronized (recent) {
            recent.put(n, Boolean.TRUE);
        }
        return n;
    }

    /** Whether this engine issued {@code nonce} recently (to any connection). */
    public boolean issued(String nonce) {
        synchronized (recent) {
            return recent.containsKey(nonce);
        }
    }
}
