package dev.agt.engine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agt.audit.note.NoteKeys;
import dev.agt.engine.bundle.Bundle;
import dev.agt.protocol.AdminRequest;
import dev.agt.protocol.EngineClient;
import dev.agt.protocol.FrameType;
import dev.agt.protocol.Request;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A real engine that takes its policy from a signed bundle: activation logged with the bundle's
 * hash; a tampered byte, a wrong key, a stripped signature and a downgrade each refused and
 * logged while the last good policy stays in force (decisions show it); a restart neither loses
 * the last good bundle nor reopens the door to a downgrade; status and metrics name the bundle.
 */
class BundleEngineTest {
    @RegisterExtension
    final EngineFixture f = new EngineFixture();

    final NoteKeys.Signer key = NoteKeys.generate("ops-bundles");
    final NoteKeys.Signer stranger = NoteKeys.generate("ops-bundles");

    static Request connect(String host) {
        return Request.of("net", "connect", Map.of("host", host, "port", 443L));
    }

    /** A bundle whose policy allows connections to {@code host}, signed by {@code by}. */
    byte[] bundle(long version, String host, NoteKeys.Signer by) throws Exception {
        Path src = Files.createTempDirectory(f.dir(), "src-");
        Files.writeString(src.resolve("policy.yaml"), "version: 1\nrules:\n  - {id: to-" + host.replace('.', '-')
                + ", effect: allow, family: net, hosts: [" + host + "]}\n");
        return Bundle.build(src, "policy.yaml", version, by);
    }

    EngineConfig config() throws Exception {
        Path pub = f.file("bundles.pub");
        if (!Files.exists(pub)) {
            NoteKeys.write(key, f.file("bundles.key"), pub);
        }
        return f.config().withBundle(new EngineConfig.Bundled(f.file("current.bundle").toString(), pub, 3_600_000));
    }

    Map<String, Object> reload() throws Exception {
        return f.admin().call(FrameType.RELOAD, new AdminRequest.Reload(false).toBody()).get(10, TimeUnit.SECONDS).body();
    }

    void serve(byte[] bytes) throws Exception {
        Files.write(f.file("current.bundle"), bytes);
    }

    List<JsonNode> events(String event) throws Exception {
        return f.auditLines().stream().filter(l -> event.equals(l.path("event").asText())).toList();
    }

    @Test
    void onlyANewerBundleSignedByTheKeyIsEverActivated() throws Exception {
        serve(bundle(1, "a.example", key));
        f.start(config());
        EngineClient agent = f.client("agent");
        assertTrue(agent.decide(connect("a.example"), 5000).allowed());
        JsonNode first = events("bundle-activated").get(0);
        assertEquals(1, first.path("version").asLong());
        String v1 = first.path("hash").asText();

        // version 2: activated, logged with its hash and the one it replaced
        serve(bundle(2, "b.example", key));
        assertEquals("loaded", reload().get("result"));
        assertTrue(agent.decide(connect("b.example"), 5000).allowed());
        assertFalse(agent.decide(connect("a.example"), 5000).allowed());
        JsonNode second = events("bundle-activated").get(1);
        assertEquals(v1, second.path("previous").asText());
        String v2 = second.path("hash").asText();

        // each of these is refused and logged; version 2 stays in force
        byte[] good3 = bundle(3, "evil.example", key);
        ObjectNode tampered = (ObjectNode) new ObjectMapper().readTree(good3);
        String content = tampered.path("files").path("policy.yaml").asText();
        ((ObjectNode) tampered.get("files")).put("policy.yaml", content.substring(0, content.length() - 4) + "AAA=");
        ObjectNode stripped = (ObjectNode) new ObjectMapper().readTree(good3);
        stripped.remove("signatures");
        Map<String, byte[]> bad = new java.util.LinkedHashMap<>();
        bad.put("SHA-256", new ObjectMapper().writeValueAsBytes(tampered));
        bad.put("no valid signature", bundle(3, "evil.example", stranger));
        bad.put("unsigned", new ObjectMapper().writeValueAsBytes(stripped));
        bad.put("downgrade", bundle(1, "evil.example", key));
        bad.put("already activated with other content", bundle(2, "evil.example", key));
        for (Map.Entry<String, byte[]> b : bad.entrySet()) {
            serve(b.getValue());
            Map<String, Object> r = reload();
            assertEquals("rejected", r.get("result"), b.getKey() + ": " + r);
            assertTrue(String.valueOf(r.get("problems")).contains(b.getKey()), b.getKey() + ": " + r);
            assertFalse(agent.decide(connect("evil.example"), 5000).allowed(), b.getKey() + " changed the policy");
            assertTrue(agent.decide(connect("b.example"), 5000).allowed(), "the last good policy stays in force");
        }
        List<JsonNode> refused = events("bundle-refused");
        assertEquals(bad.size(), refused.size(), refused.toString());
        assertTrue(refused.stream().allMatch(r -> r.path("kept").asText().equals(v2)));
        @SuppressWarnings("unchecked")
        Map<String, Object> bundleStatus = (Map<String, Object>) f.engine().status().get("bundle");
        assertEquals(v2, bundleStatus.get("hash"));
        assertEquals(2L, ((Number) bundleStatus.get("version")).longValue());
        assertTrue(String.valueOf(bundleStatus.get("refused")).contains("already activated"), bundleStatus.toString());

        // a restart with a source that serves a downgrade: the last good bundle, never the older one
        f.closeClients();
        f.stopEngine();
        serve(bundle(1, "a.example", key));
        f.start(config());
        EngineClient again = f.client("agent");
        assertTrue(again.decide(connect("b.example"), 5000).allowed(), "version 2 again, from the state directory");
        assertFalse(again.decide(connect("a.example"), 5000).allowed(), "the downgrade stayed refused across the restart");
        assertTrue(events("bundle-refused").stream().anyMatch(r -> r.path("trigger").asText().equals("start") && r.path("reason").asText().contains("downgrade")));
        // a newer one still goes in
        serve(bundle(5, "c.example", key));
        assertEquals("loaded", reload().get("result"));
        assertTrue(again.decide(connect("c.example"), 5000).allowed());
    }

    @Test
    void anEngineWithNoGoodBundleDoesNotStart() throws Exception {
        serve(bundle(1, "a.example", stranger));
        Engine e = new Engine(config(), System.err);
        java.io.IOException refused = assertThrows(java.io.IOException.class, e::start);
        assertTrue(refused.getMessage().contains("no valid signature") && refused.getMessage().contains("no earlier bundle"), refused.getMessage());
        e.close();
    }
}
