package dev.agt.identity;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A parent agent's signed statement that a child DID may act for it within a scope until a time.
 *
 * <pre>
 * token   = base64url(payload) "." base64url(signature)          (no padding)
 * payload = canonical JSON {"v":1,"parent":DID,"child":DID,"scope":{...},"iat":S,"exp":S,"depth":N,"jti":ID}
 * signature = Ed25519 by the parent's key over "agt-delegation-v1\n" || payload
 * </pre>
 * {@code iat} and {@code exp} are epoch seconds; {@code depth} is 1 for a direct child of a
 * registered agent and one more per link; {@code jti} is 16 random bytes in base64url, so two
 * tokens never share a signature input. The payload must be in canonical form (see {@link CanonicalJson}):
 * one statement has exactly one encoding, and what is verified is what the log records. The
 * domain prefix keeps a token signature from ever being mistaken for a handshake signature, which
 * the same key makes over a different prefix.
 *
 * <p>Parsing checks the form only; {@link Delegation#verify} checks signatures, times and the chain.
 */
public final class DelegationToken {
    public static final int VERSION = 1;
    /** The deepest delegation the engine accepts: a chain of at most this many links. */
    public static final int MAX_DEPTH = 5;
    public static final int MAX_CHARS = 8192;
    static final String DOMAIN = "agt-delegation-v1\n";
    private static final Set<String> FIELDS = Set.of("v", "parent", "child", "scope", "iat", "exp", "depth", "jti");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String parent;
    private final String child;
    private final Scope scope;
    private final long iat;
    private final long exp;
    private final int depth;
    private final String jti;
    private final String encoded;
    private final byte[] payload;
    private final byte[] signature;

    private DelegationToken(String parent, String child, Scope scope, long iat, long exp, int depth, String jti, String encoded,
                            byte[] payload, byte[] signature) {
        this.parent = parent;
        this.child = child;
        this.scope = scope;
        this.iat = iat;
        this.exp = exp;
        this.depth = depth;
        this.jti = jti;
        this.encoded = encoded;
        this.payload = payload;
        this.signature = signature;
    }

    /**
     * Signs a token with the parent's key.
     *
     * @param iat   issued-at, epoch seconds
     * @param exp   expiry, epoch seconds, after {@code iat}
     * @param depth 1 when {@code parent} is a registered agent, else its own depth plus one
     */
    public static DelegationToken issue(AgentKey parent, String childDid, Scope scope, long iat, long exp, int depth)
            throws IdentityException {
        DidKey.check(childDid);
        if (exp <= iat) {
            throw new IdentityException(IdentityException.MALFORMED_TOKEN, "a token must expire after it is issued (exp " + exp
                    + " <= iat " + iat + ")");
        }
        if (depth < 1 || depth > MAX_DEPTH) {
            throw new IdentityException(IdentityException.DEPTH_EXCEEDED, "delegation depth " + depth + " is outside 1.." + MAX_DEPTH);
        }
        Scope checked = Scope.fromJson(scope.toJson(), "scope"); // what parse() would refuse, refused before signing
        byte[] id = new byte[16];
        RANDOM.nextBytes(id);
        String jti = Base64.getUrlEncoder().withoutPadding().encodeToString(id);
        Map<String, Object> body = new TreeMap<>();
        body.put("v", (long) VERSION);
        body.put("parent", parent.did());
        body.put("child", childDid);
        body.put("scope", checked.toJson());
        body.put("iat", iat);
        body.put("exp", exp);
        body.put("depth", (long) depth);
        body.put("jti", jti);
        byte[] payload = CanonicalJson.bytes(body);
        byte[] signature = parent.sign(signed(payload));
        String encoded = b64(payload) + "." + b64(signature);
        checkEncoding(encoded);
        // built from the values, not parsed back: a parent agent delegating to a child JVM never
        // loads a JSON parser (DelegationTest parses every issued token and compares)
        return new DelegationToken(parent.did(), childDid, checked, iat, exp, depth, jti, encoded, payload, signature);
    }

    /**
     * Checks a token's encoding without reading its payload: the length, two unpadded base64url
     * parts, a 64-byte signature, a UTF-8 payload. This is what an agent checks in its key file at
     * start-up; the payload is read when the chain is used (delegating further) and by the engine,
     * which refuses a malformed one at the handshake.
     *
     * @throws IdentityException {@code malformed-token}, saying what is wrong
     */
    public static void checkEncoding(String encoded) throws IdentityException {
        decode(encoded);
    }

    /** The payload's bytes and text and the signature, of a well-encoded token. */
    private record Encoded(byte[] payload, String text, byte[] signature) {
    }

    private static Encoded decode(String encoded) throws IdentityException {
        if (encoded == null || encoded.isEmpty()) {
            throw malformed("the token is empty");
        }
        if (encoded.length() > MAX_CHARS) {
            throw malformed("the token is " + encoded.length() + " characters long; at most " + MAX_CHARS);
        }
        int dot = encoded.indexOf('.');
        if (dot < 0 || encoded.indexOf('.', dot + 1) >= 0) {
            throw malformed("a token is two base64url parts joined by one '.'");
        }
        byte[] payload = unb64(encoded.substring(0, dot), "payload");
        byte[] signature = unb64(encoded.substring(dot + 1), "signature");
        if (signature.length != Ed25519.SIGNATURE_BYTES) {
            throw malformed("the signature is " + signature.length + " bytes; an Ed25519 signature is 64");
        }
        try {
            return new Encoded(payload, StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(payload)).toString(), signature);
        } catch (CharacterCodingException e) {
            throw malformed("the payload is not UTF-8");
        }
    }

    /**
     * Reads a token's form: two base64url parts, a canonical payload with exactly the fields above,
     * valid did:keys, a valid scope.
     *
     * @throws IdentityException {@code malformed-token}, saying what is wrong
     */
    public static DelegationToken parse(String encoded) throws IdentityException {
        Encoded e = decode(encoded);
        String text = e.text();
        byte[] payload = e.payload();
        byte[] signature = e.signature();
        Object v;
        try {
            v = Json.parse(text).value();
        } catch (Json.Syntax x) {
            throw malformed("the payload is not JSON (" + x.getMessage() + " at column " + x.pos.column() + ")");
        }
        if (!(v instanceof Map<?, ?> m)) {
            throw malformed("the payload is not a JSON object");
        }
        for (Object k : m.keySet()) {
            if (!FIELDS.contains(k)) {
                throw malformed("the payload has unknown field '" + k + "'");
            }
        }
        for (String f : FIELDS) {
            if (!m.containsKey(f)) {
                throw malformed("the payload has no '" + f + "'");
            }
        }
        if (!Long.valueOf(VERSION).equals(m.get("v"))) {
            throw malformed("token version " + m.get("v") + "; this build reads version " + VERSION);
        }
        String parent = did(m.get("parent"), "parent");
        String child = did(m.get("child"), "child");
        Scope scope = Scope.fromJson(m.get("scope"), "scope");
        long iat = number(m.get("iat"), "iat");
        long exp = number(m.get("exp"), "exp");
        long depth = number(m.get("depth"), "depth");
        if (exp <= iat) {
            throw malformed("exp " + exp + " is not after iat " + iat);
        }
        if (depth < 1 || depth > 64) {
            throw malformed("depth " + depth + " is outside 1..64");
        }
        if (!(m.get("jti") instanceof String jti) || jti.isEmpty() || jti.length() > 64) {
            throw malformed("jti must be a string of 1-64 characters");
        }
        if (!CanonicalJson.string(m).equals(text)) {
            throw malformed("the payload is not in canonical form (sorted keys, no whitespace)");
        }
        return new DelegationToken(parent, child, scope, iat, exp, (int) depth, jti, encoded, payload, signature);
    }

    /** Whether the signature is the parent's over this payload. */
    public boolean signedByParent() {
        try {
            return DidKey.verify(parent, signed(payload), signature);
        } catch (IdentityException e) {
            return false; // parse() already refused a parent that is not a usable did:key
        }
    }

    public String parent() {
        return parent;
    }

    public String child() {
        return child;
    }

    public Scope scope() {
        return scope;
    }

    /** Issued at, epoch seconds. */
    public long iat() {
        return iat;
    }

    /** Expires at, epoch seconds: valid while now is before it. */
    public long exp() {
        return exp;
    }

    public int depth() {
        return depth;
    }

    public String jti() {
        return jti;
    }

    /** The token as it travels. */
    public String encoded() {
        return encoded;
    }

    /** The link as the log records it: parent, child, scope, iat, exp, depth, jti. */
    public Map<String, Object> summary() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("parent", parent);
        m.put("child", child);
        m.put("scope", scope.toJson());
        m.put("iat", iat);
        m.put("exp", exp);
        m.put("depth", (long) depth);
        m.put("jti", jti);
        return m;
    }

    @Override
    public String toString() {
        return "delegation " + parent + " -> " + child + " depth " + depth + " scope " + scope + " exp " + exp;
    }

    static byte[] signed(byte[] payload) {
        byte[] d = DOMAIN.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[d.length + payload.length];
        System.arraycopy(d, 0, out, 0, d.length);
        System.arraycopy(payload, 0, out, d.length, payload.length);
        return out;
    }

    private static String did(Object v, String field) throws IdentityException {
        if (!(v instanceof String s)) {
            throw malformed(field + " must be a did:key string");
        }
        try {
            DidKey.check(s);
        } catch (IdentityException e) {
            throw malformed(field + ": " + e.getMessage());
        }
        return s;
    }

    private static long number(Object v, String field) throws IdentityException {
        if (!(v instanceof Long l) || l < 0) {
            throw malformed(field + " must be a non-negative integer (epoch seconds or a count)");
        }
        return l;
    }

    private static String b64(byte[] b) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    private static byte[] unb64(String s, String what) throws IdentityException {
        byte[] b;
        try {
            b = Base64.getUrlDecoder().decode(s);
        } catch (IllegalArgumentException e) {
            throw malformed("the " + what + " is not base64url");
        }
        if (!b64(b).equals(s)) {
            throw malformed("the " + what + " is not unpadded, canonical base64url");
        }
        return b;
    }

    private static IdentityException malformed(String message) {
        return new IdentityException(IdentityException.MALFORMED_TOKEN, message);
    }
}
