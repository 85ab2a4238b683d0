package dev.agt.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DelegationTest {
    static final Instant NOW = Instant.parse("2026-05-01T10:00:00Z");
    static final long T = NOW.getEpochSecond();
    static final Scope.PatternCover EQUAL = Scope.PatternCover.EQUAL;

    final AgentKey root = AgentKey.generate("root");
    final Registry registry;

    DelegationTest() throws Exception {
        registry = Registry.empty().with(Registry.Entry.create(root.did(), "root", Map.of(), NOW));
    }

    static Scope scope(Object... kv) throws IdentityException {
        Map<Scope.Field, List<String>> m = new java.util.EnumMap<>(Scope.Field.class);
        for (int i = 0; i < kv.length; i += 2) {
            @SuppressWarnings("unchecked")
            List<String> l = (List<String>) kv[i + 1];
            m.put((Scope.Field) kv[i], l);
        }
        return Scope.of(m);
    }

    /** A chain of {@code n} fresh keys below {@code root}, each with the same scope. */
    List<AgentKey> chain(int n, Scope s) throws IdentityException {
        List<AgentKey> keys = new ArrayList<>();
        AgentKey parent = root;
        for (int i = 0; i < n; i++) {
            AgentKey child = AgentKey.generate("c" + i);
            DelegationToken t = DelegationToken.issue(parent, child.did(), s, T - 10, T + 3600, i + 1);
            List<String> c = new ArrayList<>(parent.chain());
            c.add(t.encoded());
            child = child.withChain(c);
            keys.add(child);
            parent = child;
        }
        return keys;
    }

    Delegation.Verified verify(AgentKey presenting) throws IdentityException {
        return Delegation.verify(presenting.did(), presenting.chain(), registry, NOW, EQUAL);
    }

    IdentityException refused(String code, String did, List<String> chain) {
        IdentityException e = assertThrows(IdentityException.class, () -> Delegation.verify(did, chain, registry, NOW, EQUAL));
        assertEquals(code, e.code(), e.getMessage());
        return e;
    }

    /** Issued by an earlier build: parent seed 0x01 x 32, child seed 0x02 x 32, at 2026-05-01T10:00:00Z for an hour. */
    static final String OLD_TOKEN = "eyJjaGlsZCI6ImRpZDprZXk6ejZNa285aFRnZ013alNURWFKYVBVZkU2dHFjeTJ4dlU2Qm5OcTNlM284cVZCaXlIIiwiZGVwdGgiOjEsImV4cCI6MTc3NzYzMzIwMCwiaWF0IjoxNzc3NjI5NjAwLCJqdGkiOiJ5R1ExbmlQemlXQzZCdWJkRi1uTDF3IiwicGFyZW50IjoiZGlkOmtleTp6Nk1rb24zTmVjZDZOa2t5Zm9Hb0h4aWQyem5HYzU5TFUzSzdtdWJhUmNGYkxmTFgiLCJzY29wZSI6eyJmYW1pbGllcyI6WyJmaWxlIiwibmV0Il0sImhvc3RzIjpbXSwicGF0aHMiOlsiL3dvcmsvw6l0w6kvKioiLCIvdG1wL1wicVwiXFx4Il19LCJ2IjoxfQ"
            + ".f-A14e2s6pEVVyMi-5H2BfYwVL0MgwwIU1iHc8PD4dRsDTaln9Nch0UuVdOY8Euqw4h_U-Dk7nS1-xZE7iSjDw";

    @Test
    void aTokenFromAnEarlierBuildStillParsesAndVerifies() throws Exception {
        AgentKey parent = AgentKey.fromSeed("golden-parent", filled(1));
        AgentKey child = AgentKey.fromSeed("golden-child", filled(2));
        assertEquals("did:key:z6Mkon3Necd6NkkyfoGoHxid2znGc59LU3K7mubaRcFbLfLX", parent.did());
        assertEquals("did:key:z6Mko9hTggMwjSTEaJaPUfE6tqcy2xvU6BnNq3e3o8qVBiyH", child.did());
        DelegationToken t = DelegationToken.parse(OLD_TOKEN);
        assertTrue(t.signedByParent());
        assertEquals(parent.did(), t.parent());
        assertEquals(child.did(), t.child());
        assertEquals(List.of("/work/\u00e9t\u00e9/**", "/tmp/\"q\"\\x"), t.scope().lists().get(Scope.Field.PATHS));
        assertEquals(List.of(), t.scope().lists().get(Scope.Field.HOSTS));
        Registry r = Registry.empty().with(Registry.Entry.create(parent.did(), "golden-parent", Map.of(), NOW));
        Delegation.Verified v = Delegation.verify(child.did(), List.of(OLD_TOKEN), r, NOW.plusSeconds(60), EQUAL);
        assertEquals(parent.did(), v.root());
    }

    static byte[] filled(int b) {
        byte[] s = new byte[32];
        java.util.Arrays.fill(s, (byte) b);
        return s;
    }

    @Test
    void aValidChainOfFiveVerifiesToItsRoot() throws Exception {
        List<AgentKey> keys = chain(5, scope(Scope.Field.FAMILIES, List.of("file", "net")));
        Delegation.Verified v = verify(keys.get(4));
        assertEquals(root.did(), v.root());
        assertEquals(5, v.links().size());
        assertEquals(keys.get(4).did(), v.dids().get(5));
        assertEquals(T + 3600, v.expires());
        Delegation.Verified self = Delegation.verify(root.did(), List.of(), registry, NOW, EQUAL);
        assertEquals(root.did(), self.root());
        assertTrue(!self.delegated());
    }

    @Test
    void aSixthLinkIsRefused() throws Exception {
        AgentKey five = chain(5, Scope.UNRESTRICTED).get(4);
        AgentKey six = AgentKey.generate("six");
        // issue() itself refuses depth 6, so sign the sixth by hand through a token at depth 6
        IdentityException issue = assertThrows(IdentityException.class, () -> five.delegate(six, Scope.UNRESTRICTED, Duration.ofHours(1)));
        assertEquals(IdentityException.DEPTH_EXCEEDED, issue.code());
        List<String> c = new ArrayList<>(five.chain());
        c.add(handMade(five, six.did(), "{}", T - 10, T + 3600, 6));
        IdentityException e = refused(IdentityException.DEPTH_EXCEEDED, six.did(), c);
        assertEquals(5, e.link());
        // lying about the depth does not help
        c.set(5, handMade(five, six.did(), "{}", T - 10, T + 3600, 5));
        assertEquals(5, refused(IdentityException.BAD_DEPTH, six.did(), c).link());
    }

    @Test
    void aForgedOrTamperedSignatureIsRefused() throws Exception {
        AgentKey child = chain(1, scope(Scope.Field.HOSTS, List.of("api.example.com"))).get(0);
        String token = child.chain().get(0);
        // the payload widened after signing: the signature no longer fits
        String payload = new String(Base64.getUrlDecoder().decode(token.substring(0, token.indexOf('.'))), StandardCharsets.UTF_8);
        String widened = payload.replace("api.example.com", "evil.example.com");
        String forged = b64(widened) + token.substring(token.indexOf('.'));
        assertEquals(0, refused(IdentityException.FORGED_SIGNATURE, child.did(), List.of(forged)).link());
        // signed by a key that is not the parent's (wrong key), though it names the registered root as parent
        AgentKey mallory = AgentKey.generate("mallory");
        String wrongKey = handMadeAs(mallory, root.did(), child.did(), "{}", T - 10, T + 3600, 1);
        refused(IdentityException.FORGED_SIGNATURE, child.did(), List.of(wrongKey));
    }

    @Test
    void expiredAndFutureTokensAreRefused() throws Exception {
        AgentKey child = AgentKey.generate("child");
        refused(IdentityException.EXPIRED, child.did(), List.of(DelegationToken.issue(root, child.did(), Scope.UNRESTRICTED, T - 100, T, 1).encoded()));
        refused(IdentityException.NOT_YET_VALID, child.did(),
                List.of(DelegationToken.issue(root, child.did(), Scope.UNRESTRICTED, T + 120, T + 3600, 1).encoded()));
        // within the clock skew is fine
        Delegation.verify(child.did(), List.of(DelegationToken.issue(root, child.did(), Scope.UNRESTRICTED, T + 30, T + 3600, 1).encoded()),
                registry, NOW, EQUAL);
    }

    @Test
    void scopesOnlyNarrow() throws Exception {
        AgentKey a = AgentKey.generate("a");
        AgentKey b = AgentKey.generate("b");
        Scope parent = scope(Scope.Field.HOSTS, List.of("api.example.com", "*.svc"), Scope.Field.FAMILIES, List.of("net"));
        String t1 = DelegationToken.issue(root, a.did(), parent, T, T + 60, 1).encoded();
        // leaving a restricted field out widens
        String t2 = DelegationToken.issue(a, b.did(), scope(Scope.Field.FAMILIES, List.of("net")), T, T + 60, 2).encoded();
        IdentityException e = refused(IdentityException.SCOPE_WIDENED, b.did(), List.of(t1, t2));
        assertTrue(e.getMessage().contains("does not restrict hosts"), e.getMessage());
        assertEquals(1, e.link());
        // a pattern the parent does not have
        refused(IdentityException.SCOPE_WIDENED, b.did(), List.of(t1, DelegationToken.issue(a, b.did(),
                scope(Scope.Field.HOSTS, List.of("evil.com"), Scope.Field.FAMILIES, List.of("net")), T, T + 60, 2).encoded()));
        // a family the parent does not have
        refused(IdentityException.SCOPE_WIDENED, b.did(), List.of(t1, DelegationToken.issue(a, b.did(),
                scope(Scope.Field.HOSTS, List.of("*.svc"), Scope.Field.FAMILIES, List.of("net", "file")), T, T + 60, 2).encoded()));
        // a subset narrows; a new restriction narrows
        Delegation.verify(b.did(), List.of(t1, DelegationToken.issue(a, b.did(), scope(Scope.Field.HOSTS, List.of("*.svc"),
                Scope.Field.FAMILIES, List.of("net"), Scope.Field.PATHS, List.of("/srv/**")), T, T + 60, 2).encoded()), registry, NOW, EQUAL);
        // a literal under the parent's glob narrows when the cover says so
        Scope.PatternCover globbish = (f, p, c) -> p.equals(c) || (p.startsWith("*.") && c.endsWith(p.substring(1)) && !c.contains("*"));
        String t3 = DelegationToken.issue(a, b.did(), scope(Scope.Field.HOSTS, List.of("db.svc"), Scope.Field.FAMILIES, List.of("net")),
                T, T + 60, 2).encoded();
        refused(IdentityException.SCOPE_WIDENED, b.did(), List.of(t1, t3));
        Delegation.verify(b.did(), List.of(t1, t3), registry, NOW, globbish);
    }

    @Test
    void linksMustConnectFromARegisteredRootToThePresenter() throws Exception {
        AgentKey a = AgentKey.generate("a");
        AgentKey b = AgentKey.generate("b");
        AgentKey c = AgentKey.generate("c");
        String ra = DelegationToken.issue(root, a.did(), Scope.UNRESTRICTED, T, T + 60, 1).encoded();
        String cb = DelegationToken.issue(c, b.did(), Scope.UNRESTRICTED, T, T + 60, 2).encoded();
        assertEquals(1, refused(IdentityException.BROKEN_CHAIN, b.did(), List.of(ra, cb)).link());
        // a token for another child
        refused(IdentityException.WRONG_CHILD, b.did(), List.of(ra));
        // a root the registry does not know
        AgentKey stranger = AgentKey.generate("stranger");
        refused(IdentityException.UNKNOWN_ROOT, a.did(), List.of(DelegationToken.issue(stranger, a.did(), Scope.UNRESTRICTED, T, T + 60, 1).encoded()));
        // no chain: the DID itself must be registered
        refused(IdentityException.UNKNOWN_AGENT, stranger.did(), List.of());
        refused(IdentityException.MALFORMED_TOKEN, a.did(), List.of("not-a-token"));
        refused(IdentityException.BAD_DID, "did:key:nope", List.of());
    }

    @Test
    void revokingAnyoneInTheChainCutsOffEveryoneBelow() throws Exception {
        List<AgentKey> keys = chain(3, Scope.UNRESTRICTED);
        verify(keys.get(2));
        Registry revokedRoot = registry.revoke("root", NOW);
        IdentityException e = assertThrows(IdentityException.class,
                () -> Delegation.verify(keys.get(2).did(), keys.get(2).chain(), revokedRoot, NOW, EQUAL));
        assertEquals(IdentityException.REVOKED, e.code());
        Registry middle = registry.with(Registry.Entry.create(keys.get(0).did(), "middle", Map.of(), NOW)).revoke("middle", NOW);
        IdentityException m = assertThrows(IdentityException.class,
                () -> Delegation.verify(keys.get(2).did(), keys.get(2).chain(), middle, NOW, EQUAL));
        assertEquals(IdentityException.REVOKED, m.code());
        assertEquals(0, m.link());
        IdentityException self = assertThrows(IdentityException.class, () -> Delegation.verify(root.did(), List.of(), revokedRoot, NOW, EQUAL));
        assertEquals(IdentityException.REVOKED, self.code());
    }

    @Test
    void tokensAreCanonicalAndStrict() throws Exception {
        AgentKey child = AgentKey.generate("child");
        DelegationToken t = DelegationToken.issue(root, child.did(), scope(Scope.Field.TOOLS, List.of("search")), T, T + 60, 1);
        DelegationToken back = DelegationToken.parse(t.encoded());
        assertEquals(root.did(), back.parent());
        assertEquals(List.of("search"), back.scope().get(Scope.Field.TOOLS).orElseThrow());
        assertTrue(back.signedByParent());
        String payload = new String(Base64.getUrlDecoder().decode(t.encoded().substring(0, t.encoded().indexOf('.'))), StandardCharsets.UTF_8);
        assertTrue(payload.startsWith("{\"child\":"), payload);
        String sig = t.encoded().substring(t.encoded().indexOf('.'));
        assertMalformed(b64(payload.replace(",", ", ")) + sig, "canonical form");
        assertMalformed(b64(payload.replace("{\"child\"", "{\"extra\":1,\"child\"")) + sig, "unknown field 'extra'");
        assertMalformed(b64(payload.replace("\"v\":1", "\"v\":2")) + sig, "token version 2");
        assertMalformed(b64(payload.replace("\"tools\"", "\"tool\"")) + sig, "unknown field 'tool'");
        assertMalformed(t.encoded() + "=", "base64url");
        assertMalformed(t.encoded() + ".x", "joined by one '.'");
        assertMalformed(handMade(root, child.did(), "{\"families\":[\"fs\"]}", T, T + 60, 1), "unknown family 'fs'");
        assertMalformed(handMade(root, child.did(), "{}", T, T, 1), "is not after iat");
    }

    @Test
    void anIssuedTokenIsWhatParsingItsEncodingGives() throws Exception {
        // issue() builds the token from its values (no JSON parser on the agent's launch path): it
        // must be exactly what parse() reads back, for every kind of scope
        List<Scope> scopes = List.of(Scope.UNRESTRICTED, scope(Scope.Field.TOOLS, List.of("search")),
                scope(Scope.Field.FAMILIES, List.of("file", "net"), Scope.Field.PATHS, List.of("/w/\u00e9/**", "/t/\"q\"\\"),
                        Scope.Field.HOSTS, List.of()));
        for (int depth = 1; depth <= DelegationToken.MAX_DEPTH; depth++) {
            for (Scope sc : scopes) {
                DelegationToken t = DelegationToken.issue(root, AgentKey.generate("c").did(), sc, T, T + depth, depth);
                DelegationToken back = DelegationToken.parse(t.encoded());
                assertEquals(back.summary(), t.summary());
                assertEquals(back.encoded(), t.encoded());
                assertTrue(t.signedByParent() && back.signedByParent());
            }
        }
        // what parse() would refuse is refused before signing
        Scope bad = new Scope(Map.of(Scope.Field.FAMILIES, List.of("fs")));
        IdentityException e = assertThrows(IdentityException.class, () -> DelegationToken.issue(root, AgentKey.generate("c").did(), bad, T, T + 1, 1));
        assertEquals(IdentityException.MALFORMED_TOKEN, e.code());
    }

    @Test
    void aSignedPayloadThatIsNotStrictJsonIsMalformed() throws Exception {
        String child = AgentKey.generate("child").did();
        String good = payloadOf(handMade(root, child, "{}", T, T + 60, 1));
        // each is signed by the parent: only the reading refuses them
        assertMalformed(signed(good.replace("{\"child\"", "{\"depth\":1,\"child\"")), "duplicate key 'depth'");
        assertMalformed(signed(good + " "), "canonical form"); // JSON allows the space; the one encoding does not
        assertMalformed(signed(good + "{}"), "after the JSON value");
        assertMalformed(signed(good.replace("\"scope\":{}", "\"scope\":" + "[".repeat(20) + "]".repeat(20))), "nested deeper than 16");
        assertMalformed(signed(good.replace("\"depth\":1", "\"depth\":123456789012345678901234567890")), "integer out of range");
        assertMalformed(signed(good.replace("\"depth\":1", "\"depth\":1.0")), "only integers");
        assertMalformed(signed(good.replace("\"jti\":\"j1\"", "\"jti\":\"\\ud800\"")), "lone surrogate");
        IdentityException e = assertThrows(IdentityException.class, () -> DelegationToken.parse(signed(good + " x")));
        assertTrue(e.getMessage().matches(".*at column \\d+\\)$"), "says where: " + e.getMessage());
    }

    String signed(String payload) {
        byte[] p = payload.getBytes(StandardCharsets.UTF_8);
        return b64(payload) + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(root.sign(DelegationToken.signed(p)));
    }

    static String payloadOf(String token) {
        return new String(Base64.getUrlDecoder().decode(token.substring(0, token.indexOf('.'))), StandardCharsets.UTF_8);
    }

    static void assertMalformed(String token, String why) {
        IdentityException e = assertThrows(IdentityException.class, () -> DelegationToken.parse(token));
        assertEquals(IdentityException.MALFORMED_TOKEN, e.code());
        assertTrue(e.getMessage().contains(why), e.getMessage());
    }

    /** A token written without {@link DelegationToken#issue}'s checks, signed by {@code parent}. */
    static String handMade(AgentKey parent, String child, String scopeJson, long iat, long exp, int depth) {
        return handMadeAs(parent, parent.did(), child, scopeJson, iat, exp, depth);
    }

    static String handMadeAs(AgentKey signer, String parentDid, String child, String scopeJson, long iat, long exp, int depth) {
        String payload = "{\"child\":\"" + child + "\",\"depth\":" + depth + ",\"exp\":" + exp + ",\"iat\":" + iat + ",\"jti\":\"j" + depth
                + "\",\"parent\":\"" + parentDid + "\",\"scope\":" + scopeJson + ",\"v\":1}";
        byte[] p = payload.getBytes(StandardCharsets.UTF_8);
        return b64(payload) + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(signer.sign(DelegationToken.signed(p)));
    }

    static String b64(String s) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}
