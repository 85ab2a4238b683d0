package dev.agt.engine.server;

import static dev.agt.engine.server.EngineFixture.read;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agt.engine.session.AuthMode;
import dev.agt.identity.AgentKey;
import dev.agt.identity.DelegationToken;
import dev.agt.identity.Registry;
import dev.agt.identity.Scope;
import dev.agt.protocol.Authenticator;
import dev.agt.protocol.Decision;
import dev.agt.protocol.EngineClient;
import dev.agt.protocol.Frame;
import dev.agt.protocol.FrameCodec;
import dev.agt.protocol.FrameType;
import dev.agt.protocol.Handshake;
import dev.agt.protocol.Limits;
import dev.agt.protocol.Reasons;
import dev.agt.protocol.Request;
import dev.agt.protocol.SessionRefused;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Identities, handshakes, delegation and revocation through a real engine on a real Unix socket. */
class IdentityEngineTest {
    static final String POLICY = "version: 1\nrules:\n"
            + "  - {id: work, effect: allow, family: file, paths: [\"/work/**\"]}\n"
            + "  - {id: secrets, effect: deny, family: file, paths: [\"**/.env\"]}\n"
            + "  - {id: research-net, effect: allow, family: net, hosts: [\"**.example.com\"], agents: {labels: {team: research}}}\n"
            + "  - {id: ops-git, effect: allow, family: process, executables: [/usr/bin/git], agents: {ids: [\"OPS_DID\"]}}\n"
            + "  - {id: own-home, effect: allow, family: file, paths: [\"/home/${agent.id}/**\"]}\n";

    @RegisterExtension
    final EngineFixture f = new EngineFixture();
    final AgentKey research = AgentKey.generate("research");
    final AgentKey ops = AgentKey.generate("ops");
    final AgentKey retired = AgentKey.generate("retired");
    final AgentKey stranger = AgentKey.generate("stranger");

    @BeforeEach
    void registry() throws Exception {
        Instant t = Instant.now();
        Registry.update(f.file("agents.json"), r -> r.with(Registry.Entry.create(research.did(), "research", Map.of("team", "research"), t))
                .with(Registry.Entry.create(ops.did(), "ops", Map.of("team", "ops"), t))
                .with(Registry.Entry.create(retired.did(), "retired", Map.of(), t)).revoke("retired", t));
    }

    Engine start(AuthMode auth) throws Exception {
        f.writePolicy(POLICY.replace("OPS_DID", ops.did()));
        return f.start(f.config().withIdentity(auth, f.file("agents.json")));
    }

    static Request connect(String host) {
        return Request.of("net", "connect", Map.of("host", host, "port", 443L));
    }

    static Scope scope(Object... kv) throws Exception {
        Map<Scope.Field, List<String>> m = new EnumMap<>(Scope.Field.class);
        for (int i = 0; i < kv.length; i += 2) {
            @SuppressWarnings("unchecked")
            List<String> l = (List<String>) kv[i + 1];
            m.put((Scope.Field) kv[i], l);
        }
        return Scope.of(m);
    }

    @Test
    void aProvenAgentIsDecidedByItsRegistryNameLabelsAndDid() throws Exception {
        start(AuthMode.LOCAL);
        EngineClient r = f.as(research);
        assertEquals(Handshake.AUTH_ED25519, r.session().get("auth"));
        assertEquals(research.did(), r.session().get("did"));
        Decision net = r.decide(connect("api.example.com"), 5000);
        assertTrue(net.allowed(), net.toString());
        assertEquals("research-net", net.rule(), "labels from the registry reach agents: {labels: ...}");
        JsonNode e = f.entry(net);
        assertEquals(research.did(), e.at("/agent/id").asText());
        assertEquals(research.did(), e.at("/agent/did").asText());
        assertEquals("research", e.at("/agent/name").asText());
        assertEquals("research", e.at("/agent/labels/team").asText());
        assertEquals(Handshake.AUTH_ED25519, e.at("/agent/auth").asText());
        assertEquals(System.getProperty("user.name"), e.at("/agent/uid").asText());
        assertTrue(r.decide(read("/home/" + research.did() + "/notes"), 5000).allowed(), "${agent.id} is the DID");

        Decision git = f.as(ops).decide(Request.of("process", "exec", Map.of("executable", "/usr/bin/git", "argv", List.of("git"))), 5000);
        assertEquals("ops-git", git.rule(), "agents: {ids: [DID]} matches the proven DID");
        assertFalse(r.decide(Request.of("process", "exec", Map.of("executable", "/usr/bin/git", "argv", List.of("git"))), 5000).allowed());

        // a declared name is only a name: calling yourself "research" brings no labels and no DID
        EngineClient spoof = f.client("research");
        Decision d = spoof.decide(connect("api.example.com"), 5000);
        assertFalse(d.allowed());
        assertEquals("local-peercred", f.entry(d).at("/agent/auth").asText());
        assertTrue(f.entry(d).at("/agent/did").isMissingNode());
        assertTrue(f.entry(d).at("/agent/labels").isMissingNode());
        JsonNode start = f.events("session-start").stream().filter(n -> research.did().equals(n.path("did").asText())).findFirst().orElseThrow();
        assertEquals("research", start.path("declared_name").asText());
    }

    @Test
    void authRequiredRefusesASessionWithoutAnIdentityAndLogsIt() throws Exception {
        start(AuthMode.REQUIRED);
        assertTrue(f.engine().readyLine().contains(" auth=required"), f.engine().readyLine());
        SessionRefused e = assertThrows(SessionRefused.class, () -> f.client("anonymous"));
        assertEquals(Handshake.AUTH_REQUIRED, e.code());
        assertTrue(e.getMessage().contains("identity=KEYFILE"), e.getMessage());
        JsonNode ev = f.events("session-refused").get(0);
        assertEquals(Handshake.AUTH_REQUIRED, ev.path("code").asText());
        assertEquals("anonymous", ev.path("name").asText());
        assertEquals(System.getProperty("user.name"), ev.path("uid").asText());

        assertTrue(f.as(research).decide(read("/work/a"), 5000).allowed());

        // an admin session is let in for admin frames only
        EngineClient a = f.admin();
        assertEquals(FrameType.STATUS_REPLY, a.call(FrameType.STATUS, Map.of()).get(5, TimeUnit.SECONDS).type());
        Decision d = a.decide(read("/work/a"), 5000);
        assertFalse(d.allowed());
        assertEquals(Reasons.REFUSED, d.code());
        assertTrue(d.reason().contains("an admin session"), d.reason());
        assertTrue(f.auditLines().stream().noneMatch(n -> "decision".equals(n.path("type").asText()) && "agt-cli".equals(n.at("/agent/name").asText())));
    }

    /** One refused handshake: what the agent presents, and the code the engine must answer and log. */
    record Refusal(String name, String code, Supplier<Authenticator> presents) {
    }

    @Test
    void everyBadIdentityIsRefusedAndLogged() throws Exception {
        start(AuthMode.LOCAL);
        long t = Instant.now().getEpochSecond();
        AgentKey child = AgentKey.generate("child");
        AgentKey other = AgentKey.generate("other");
        String goodToken = DelegationToken.issue(research, child.did(), Scope.UNRESTRICTED, t, t + 3600, 1).encoded();
        String payload = goodToken.substring(0, goodToken.indexOf('.'));
        String tampered = Base64.getUrlEncoder().withoutPadding().encodeToString(new String(Base64.getUrlDecoder().decode(payload),
                StandardCharsets.UTF_8).replace("\"scope\":{}", "\"scope\":{\"families\":[\"file\"]}").getBytes(StandardCharsets.UTF_8))
                + goodToken.substring(goodToken.indexOf('.'));
        // a chain of six: research -> c1 -> ... -> c6, the sixth signed by hand at depth 6
        AgentKey five = research;
        for (int i = 1; i <= 5; i++) {
            five = five.delegate(AgentKey.generate("c" + i), Scope.UNRESTRICTED, Duration.ofHours(1));
        }
        AgentKey six = AgentKey.generate("c6");
        List<String> sixChain = new ArrayList<>(five.chain());
        sixChain.add(handMade(five, six.did(), "{}", t, t + 3600, 6));
        AgentKey narrow = research.delegate(AgentKey.generate("narrow"), scope(Scope.Field.HOSTS, List.of("api.example.com")), Duration.ofHours(1));
        String widening = DelegationToken.issue(narrow, other.did(), Scope.UNRESTRICTED, t, t + 3600, 2).encoded();
        AgentKey strangersChild = stranger.delegate(AgentKey.generate("sc"), Scope.UNRESTRICTED, Duration.ofHours(1));
        AgentKey retiredChild = retired.withChain(List.of()).delegate(AgentKey.generate("rc"), Scope.UNRESTRICTED, Duration.ofHours(1));

        List<Refusal> cases = List.of(
                new Refusal("unknown agent", "unknown-agent", () -> auth(stranger, List.of())),
                new Refusal("revoked key", "revoked", () -> auth(retired, List.of())),
                new Refusal("delegate of a revoked key", "revoked", () -> auth(retiredChild, retiredChild.chain())),
                new Refusal("wrong key for the DID", Handshake.BAD_SIGNATURE,
                        () -> Authenticator.of(research.did(), List.of(), other::sign)),
                new Refusal("forged signature on a token", "forged-signature", () -> auth(child, List.of(tampered))),
                new Refusal("token signed by the wrong key", "forged-signature",
                        () -> auth(child, List.of(handMadeAs(other, research.did(), child.did(), "{}", t, t + 3600, 1)))),
                new Refusal("expired token", "expired",
                        () -> auth(child, List.of(issue(research, child.did(), Scope.UNRESTRICTED, t - 7200, t - 3600, 1)))),
                new Refusal("widened scope", "scope-widened", () -> auth(other, List.of(narrow.chain().get(0), widening))),
                new Refusal("depth 6", "depth-exceeded", () -> auth(six, sixChain)),
                new Refusal("token for another child", "wrong-child", () -> auth(other, List.of(goodToken))),
                new Refusal("chain from an unregistered root", "unknown-root", () -> auth(strangersChild, strangersChild.chain())),
                new Refusal("malformed token", "malformed-token", () -> auth(child, List.of("garbage"))));
        for (Refusal c : cases) {
            Authenticator a = c.presents().get();
            SessionRefused e = assertThrows(SessionRefused.class, () -> EngineClient.connect(f.address(), "x", Map.of(), 5000, a), c.name());
            assertEquals(c.code(), e.code(), c.name() + ": " + e.getMessage());
            JsonNode ev = f.events("session-refused").stream().filter(n -> a.did().equals(n.path("did").asText())
                    && c.code().equals(n.path("code").asText())).findFirst().orElse(null);
            assertTrue(ev != null, c.name() + ": no session-refused entry with code " + c.code());
            assertEquals(a.chain().size(), ev.path("chain").size(), c.name());
        }
        assertTrue(f.auditLines().stream().noneMatch(n -> "decision".equals(n.path("type").asText())), "no refused session decided anything");
        // the good chain still works
        Decision ok = f.as(child.withChain(List.of(goodToken))).decide(read("/work/x"), 5000);
        assertTrue(ok.allowed());
    }

    @Test
    void aReplayedOrStaleHandshakeIsRefusedAndLogged() throws Exception {
        start(AuthMode.LOCAL);
        Map<String, Object> auth;
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(f.socket()))) {
            Frame challenge = exchange(ch, new Frame(FrameType.HELLO, 1, hello(research)));
            assertEquals(FrameType.CHALLENGE, challenge.type());
            auth = answer(challenge, research, System.currentTimeMillis());
            assertEquals(FrameType.HELLO_OK, exchange(ch, new Frame(FrameType.AUTH, 2, auth)).type());
            // a second AUTH on an established session
            Frame again = exchange(ch, new Frame(FrameType.AUTH, 3, auth));
            assertEquals(FrameType.ERROR, again.type());
            assertEquals(Handshake.REPLAYED, again.body().get("code"));
        }
        // the same signed AUTH on a new connection: its nonce was issued to the first one
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(f.socket()))) {
            assertEquals(FrameType.CHALLENGE, exchange(ch, new Frame(FrameType.HELLO, 1, hello(research))).type());
            Frame refused = exchange(ch, new Frame(FrameType.AUTH, 2, auth));
            assertEquals(FrameType.ERROR, refused.type());
            assertEquals(Handshake.REPLAYED, refused.body().get("code"));
            assertEquals(null, FrameCodec.read(ch, Limits.DEFAULT), "the engine closes a refused session");
        }
        // a signature over the right nonce but a stale time
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(f.socket()))) {
            Frame challenge = exchange(ch, new Frame(FrameType.HELLO, 1, hello(research)));
            Frame refused = exchange(ch, new Frame(FrameType.AUTH, 2, answer(challenge, research, System.currentTimeMillis() - 120_000)));
            assertEquals(Handshake.CLOCK_SKEW, refused.body().get("code"));
        }
        // a nonce nobody issued, and a DECIDE before AUTH
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(f.socket()))) {
            Frame challenge = exchange(ch, new Frame(FrameType.HELLO, 1, hello(research)));
            Map<String, Object> forged = new LinkedHashMap<>(answer(challenge, research, System.currentTimeMillis()));
            forged.put("nonce", Handshake.encode(new byte[32]));
            assertEquals(Handshake.WRONG_NONCE, exchange(ch, new Frame(FrameType.AUTH, 2, forged)).body().get("code"));
        }
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(f.socket()))) {
            exchange(ch, new Frame(FrameType.HELLO, 1, hello(research)));
            Frame early = exchange(ch, new Frame(FrameType.DECIDE, 2, read("/work/a").toBody()));
            assertEquals(Handshake.BAD_AUTH, early.body().get("code"));
        }
        List<String> codes = f.events("session-refused").stream().map(n -> n.path("code").asText()).toList();
        assertEquals(List.of(Handshake.REPLAYED, Handshake.REPLAYED, Handshake.CLOCK_SKEW, Handshake.WRONG_NONCE), codes);
        assertTrue(f.auditLines().stream().noneMatch(n -> "decision".equals(n.path("type").asText())));
    }

    @Test
    void aDelegateIsDecidedAsItsRootWithinEveryLinksScope() throws Exception {
        start(AuthMode.REQUIRED);
        AgentKey child = research.delegate(AgentKey.generate("research/child"), scope(Scope.Field.FAMILIES, List.of("file", "net"),
                Scope.Field.PATHS, List.of("/work/a/**"), Scope.Field.HOSTS, List.of("api.example.com")), Duration.ofHours(1));
        AgentKey grandchild = child.delegate(AgentKey.generate("research/grandchild"), scope(Scope.Field.FAMILIES, List.of("file"),
                Scope.Field.PATHS, List.of("/work/a/b/**"), Scope.Field.HOSTS, List.of("api.example.com")), Duration.ofHours(1));
        EngineClient c = f.as(child);
        assertEquals(research.did(), c.session().get("root"));
        Decision inside = c.decide(read("/work/a/x"), 5000);
        assertEquals("work", inside.rule());
        assertTrue(c.decide(connect("api.example.com"), 5000).allowed(), "decided as the root: the root's labels allow it");
        Decision secret = c.decide(read("/work/a/.env"), 5000);
        assertEquals("secrets", secret.rule(), "inside the scope, the root's policy still denies");
        Decision outside = c.decide(read("/work/b/x"), 5000);
        assertFalse(outside.allowed(), "the root may, the delegate's scope says no");
        assertEquals(Reasons.OUT_OF_SCOPE, outside.code());
        assertTrue(outside.reason().contains("link 1 of 1") && outside.reason().contains("path /work/b/x is not in paths"), outside.reason());
        assertEquals(Reasons.OUT_OF_SCOPE, c.decide(connect("www.example.com"), 5000).code());

        JsonNode e = f.entry(outside);
        assertEquals(research.did(), e.at("/agent/id").asText());
        assertEquals("research", e.at("/agent/name").asText());
        assertEquals(child.did(), e.at("/agent/did").asText());
        assertEquals(research.did(), e.at("/agent/root").asText());
        assertEquals("research/child", e.at("/agent/declared_name").asText());
        assertEquals(research.did(), e.at("/agent/chain/0/parent").asText());
        assertEquals(child.did(), e.at("/agent/chain/0/child").asText());
        assertEquals("/work/a/**", e.at("/agent/chain/0/scope/paths/0").asText());
        assertTrue(e.at("/agent/chain/0/exp").asLong() > Instant.now().getEpochSecond());
        assertEquals(1, e.at("/decision/link/index").asLong());
        assertEquals(child.did(), e.at("/decision/link/child").asText());

        EngineClient g = f.as(grandchild);
        assertTrue(g.decide(read("/work/a/b/y"), 5000).allowed());
        Decision up = g.decide(read("/work/a/x"), 5000);
        assertEquals(Reasons.OUT_OF_SCOPE, up.code());
        assertTrue(up.reason().contains("link 2 of 2"), up.reason());
        assertEquals(2, f.entry(up).at("/decision/link/index").asLong());
        assertTrue(g.decide(connect("api.example.com"), 5000).reason().contains("family net is not in families"));
        assertEquals(2, f.entry(up).at("/agent/chain").size());
    }

    @Test
    void revokingAnIdentityCutsOffItsConnectedDelegatesAtTheirNextCall() throws Exception {
        start(AuthMode.REQUIRED);
        AgentKey child = research.delegate(AgentKey.generate("child"), Scope.UNRESTRICTED, Duration.ofHours(1));
        EngineClient root = f.as(research);
        EngineClient delegate = f.as(child);
        EngineClient bystander = f.as(ops);
        assertTrue(root.decide(read("/work/a"), 5000).allowed());
        assertTrue(delegate.decide(read("/work/a"), 5000).allowed());

        Registry.update(f.file("agents.json"), r -> r.revoke("research", Instant.now()));
        Frame reply = f.admin().call(FrameType.RELOAD, Map.of("registry", true)).get(5, TimeUnit.SECONDS);
        assertEquals("loaded", reply.body().get("result"));

        for (EngineClient c : List.of(root, delegate)) {
            Decision d = c.decide(read("/work/a"), 5000);
            assertFalse(d.allowed());
            assertEquals(Reasons.REVOKED, d.code());
            assertEquals(Reasons.REVOKED, f.entry(d).at("/decision/code").asText());
        }
        assertTrue(bystander.decide(read("/work/a"), 5000).allowed());
        assertEquals("revoked", assertThrows(SessionRefused.class, () -> f.as(child)).code(), "and it cannot come back");
        assertEquals(1, f.events("registry-loaded").size());

        // a registry the engine cannot read is rejected; the last good one stays
        Files.writeString(f.file("agents.json"), "{\"version\": 1, \"agents\": [}");
        Frame bad = f.admin().call(FrameType.RELOAD, Map.of("registry", true)).get(5, TimeUnit.SECONDS);
        assertEquals("rejected", bad.body().get("result"));
        assertTrue(bad.body().get("problems").toString().contains("agents.json:1:27"), bad.body().toString());
        assertTrue(bystander.decide(read("/work/a"), 5000).allowed());
        assertFalse(root.decide(read("/work/a"), 5000).allowed());
        assertEquals(1, f.events("registry-rejected").size());
    }

    @Test
    void anInvalidRegistryStopsTheEngineFromStarting() throws Exception {
        Files.writeString(f.file("agents.json"), "{\"version\": 1,\n \"agents\": [{\"name\": 7}]}");
        dev.agt.identity.IdentityException e = assertThrows(dev.agt.identity.IdentityException.class, () -> start(AuthMode.LOCAL));
        assertTrue(e.getMessage().contains("agents.json:2:"), e.getMessage());
    }

    // ---- helpers

    static Authenticator auth(AgentKey key, List<String> chain) {
        return Authenticator.of(key.did(), chain, key::sign);
    }

    static String issue(AgentKey parent, String child, Scope s, long iat, long exp, int depth) {
        try {
            return DelegationToken.issue(parent, child, s, iat, exp, depth).encoded();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static String handMade(AgentKey parent, String child, String scopeJson, long iat, long exp, int depth) {
        return handMadeAs(parent, parent.did(), child, scopeJson, iat, exp, depth);
    }

    /** A token written without the issuer's checks, signed by {@code signer} in the parent's name. */
    static String handMadeAs(AgentKey signer, String parentDid, String child, String scopeJson, long iat, long exp, int depth) {
        String payload = "{\"child\":\"" + child + "\",\"depth\":" + depth + ",\"exp\":" + exp + ",\"iat\":" + iat + ",\"jti\":\"j" + depth
                + "\",\"parent\":\"" + parentDid + "\",\"scope\":" + scopeJson + ",\"v\":1}";
        byte[] p = payload.getBytes(StandardCharsets.UTF_8);
        byte[] signed = new byte[18 + p.length];
        System.arraycopy("agt-delegation-v1\n".getBytes(StandardCharsets.UTF_8), 0, signed, 0, 18);
        System.arraycopy(p, 0, signed, 18, p.length);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(p) + "." + Base64.getUrlEncoder().withoutPadding()
                .encodeToString(signer.sign(signed));
    }

    static Map<String, Object> hello(AgentKey key) {
        return Map.of("protocol", 1L, "name", key.name(), "pid", 1L, "did", key.did());
    }

    static Map<String, Object> answer(Frame challenge, AgentKey key, long time) {
        String nonce = (String) challenge.body().get("nonce");
        String engine = (String) challenge.body().get("engine");
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("did", key.did());
        m.put("nonce", nonce);
        m.put("time", time);
        m.put("signature", Handshake.encode(key.sign(Handshake.message(nonce, engine, key.did(), time))));
        return m;
    }

    static Frame exchange(SocketChannel ch, Frame frame) throws IOException {
        var buf = FrameCodec.encode(frame, Limits.DEFAULT);
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
        return FrameCodec.read(ch, Limits.DEFAULT);
    }
}
