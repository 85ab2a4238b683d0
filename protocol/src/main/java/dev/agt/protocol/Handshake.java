package dev.agt.protocol;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The challenge-response that proves an agent holds the key of the DID it names. It is part of
 * the wire contract, so both sides build the signed bytes here and nowhere else.
 *
 * <pre>
 * agent  HELLO     {protocol: 1, name, pid, [mode], did, [chain: [token, ...]]}
 * engine CHALLENGE {nonce: base64url(32 random bytes), engine: ENGINE_ID}        same frame id as the HELLO
 * agent  AUTH      {did, nonce, time: epoch ms, signature: base64url(Ed25519(message))}
 * engine HELLO_OK  {engine, policy, session, did, root, auth: "ed25519-challenge"}   or ERROR {code, message}
 *
 * message = "agt-auth-v1\n" + nonce + "\n" + engine + "\n" + did + "\n" + time      (UTF-8)
 * </pre>
 *
 * A nonce is made for one connection and used once: an AUTH on another connection, or a second
 * AUTH, is refused ({@code replayed}), as is a {@code time} more than {@link #WINDOW_MS} from the
 * engine's clock ({@code clock-skew}). The domain prefix keeps these signatures apart from anything
 * else the same key signs (delegation tokens use {@code agt-delegation-v1}). The engine id binds the
 * signature to the engine that asked, for the log; it does not authenticate the engine (whoever can
 * put a socket at the agent's engine path can already deny it service).
 */
public final class Handshake {
    public static final String DOMAIN = "agt-auth-v1";
    public static final int NONCE_BYTES = 32;
    /** How far the agent's {@code time} may be from the engine's clock. */
    public static final long WINDOW_MS = 60_000;
    /** The most delegation tokens a HELLO may carry. */
    public static final int MAX_CHAIN = 16;
    /** {@code auth} of a session established by this handshake. */
    public static final String AUTH_ED25519 = "ed25519-challenge";

    // refusal codes of the handshake (ERROR frames); the chain verifier's codes come from the identity module
    /** The engine runs with {@code auth: required} and the HELLO names no DID. */
    public static final String AUTH_REQUIRED = "auth-required";
    /** The AUTH signature is not by the DID's key over this connection's message. */
    public static final String BAD_SIGNATURE = "bad-signature";
    /** The AUTH answers a nonce issued to another connection, or one already answered. */
    public static final String REPLAYED = "replayed";
    /** The AUTH answers a nonce this engine never issued. */
    public static final String WRONG_NONCE = "wrong-nonce";
    /** The AUTH {@code time} is outside the window. */
    public static final String CLOCK_SKEW = "clock-skew";
    /** The AUTH names another DID than the HELLO. */
    public static final String DID_MISMATCH = "did-mismatch";
    /** AUTH or CHALLENGE malformed, or out of turn. */
    public static final String BAD_AUTH = "bad-auth";

    private Handshake() {
    }

    /** The bytes the agent signs and the engine verifies. */
    public static byte[] message(String nonce, String engine, String did, long timeMs) {
        return (DOMAIN + "\n" + nonce + "\n" + engine + "\n" + did + "\n" + timeMs).getBytes(StandardCharsets.UTF_8);
    }

    public static String encode(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** Strict unpadded base64url, or null when {@code text} is not that. */
    public static byte[] decode(String text) {
        try {
            byte[] b = Base64.getUrlDecoder().decode(text);
            return encode(b).equals(text) ? b : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
