package dev.agt.engine.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.agt.protocol.Decision;
import dev.agt.protocol.Request;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * URL arguments end to end: random spellings of hosts under {@code evil.example} and
 * {@code good.example}, and of 127.0.0.1, through the policy loader and the evaluator, with the
 * policy of the {@code mcp-argument-urls} conformance case (whose tests.yaml holds the bug
 * report's forms one by one). On tool {@code fetch} a deny on {@code **.evil.example}, a deny on
 * {@code 127.0.0.1} and an allow on {@code **.good.example}; on {@code fetch_allow_only} the allow
 * alone. Fixed seed, so a failure reproduces.
 */
class UrlHostPolicyTest {
    static final long SEED = 0x0dd_0a11_2027L;
    static final String[] EVIL = {"evil.example", "api.evil.example", "good.example.evil.example", "a_b.evil.example"};
    static final String[] GOOD = {"good.example", "docs.good.example", "evil.example.good.example", "x-1.good.example"};

    static Policy policy;
    static final Evaluator EVALUATOR = new Evaluator();

    @BeforeAll
    static void load() throws Exception {
        policy = PolicyLoader.load(Path.of(UrlHostPolicyTest.class.getResource("/conformance/mcp-argument-urls/policy.yaml").toURI()), Map.of());
    }

    static Decision decide(String tool, Object url) {
        Map<String, Object> target = Map.of("server", "web", "tool", tool, "arguments", Map.of("url", url));
        return EVALUATOR.decide(policy, Request.of("mcp", "call", target), Agent.named("agent"));
    }

    static void expect(String tool, String url, Decision.Effect effect, String rule, String why) {
        Decision d = decide(tool, url);
        assertEquals(effect + " " + rule, d.effect() + " " + d.rule(), () -> why + " on " + tool + ": " + WptUrlTest.show(url));
    }

    /** A URL, or a value a client may take for one, whose host is {@code host} to every client. */
    static String anySpelling(Random r, String host) {
        return switch (r.nextInt(5)) {
            case 0 -> UrlHostTest.noise(r, (r.nextBoolean() ? "//" : "\\\\") + UrlHostTest.spell(r, host) + "/x"); // scheme-relative
            case 1 -> UrlHostTest.spell(r, host) + (r.nextBoolean() ? "/x" : ":443/x"); // no scheme
            default -> UrlHostTest.decorate(r, host, r.nextInt(4) == 0, false);
        };
    }

    @Test
    void everySpellingOfAnEvilHostMeetsTheDenyAndFailsTheAllow() {
        Random r = new Random(SEED);
        for (int i = 0; i < 10_000; i++) {
            String url = anySpelling(r, EVIL[r.nextInt(EVIL.length)]);
            expect("fetch", url, Decision.Effect.DENY, "no-evil", "case " + i);
            expect("fetch_allow_only", url, Decision.Effect.DENY, "default-deny", "case " + i);
        }
    }

    @Test
    void everySpellingOfAGoodHostIsAllowed() {
        Random r = new Random(SEED + 1);
        for (int i = 0; i < 10_000; i++) {
            String url = anySpelling(r, GOOD[r.nextInt(GOOD.length)]);
            expect("fetch", url, Decision.Effect.ALLOW, "good-only", "case " + i);
            expect("fetch_allow_only", url, Decision.Effect.ALLOW, "good-only", "case " + i);
        }
    }

    @Test
    void theAllowedHostInFrontOfAnotherIsNotAllowed() {
        Random r = new Random(SEED + 2);
        String[] tricks = {"https://%s@%s/", "https://%s:443@%s/", "https://%s\\@%s/", "https://x@%s@%s/", "%s\\@%s"};
        for (int i = 0; i < 5_000; i++) {
            String good = UrlHostTest.spell(r, GOOD[r.nextInt(GOOD.length)]);
            String evil = UrlHostTest.spell(r, EVIL[r.nextInt(EVIL.length)]);
            String url = UrlHostTest.noise(r, String.format(tricks[r.nextInt(tricks.length)], good, evil));
            expect("fetch", url, Decision.Effect.DENY, "no-evil", "case " + i);
            expect("fetch_allow_only", url, Decision.Effect.DENY, "default-deny", "case " + i);
        }
    }

    @Test
    void everySpellingOfLoopbackMeetsItsDeny() {
        Random r = new Random(SEED + 3);
        for (int i = 0; i < 10_000; i++) {
            long address = i % 2 == 0 ? 0x7F000001L : r.nextInt() & 0xFFFFFFFFL;
            String url = "http" + (r.nextBoolean() ? "s" : "") + "://" + UrlHostTest.spellIpv4(r, address) + "/latest/meta-data";
            boolean loopback = address == 0x7F000001L;
            expect("fetch", url, Decision.Effect.DENY, loopback ? "no-loopback" : "default-deny", "case " + i);
            expect("fetch_allow_only", url, Decision.Effect.DENY, "default-deny", "case " + i);
        }
    }

    @Test
    void textNoClientReadsAsAHostFailsClosed() {
        for (String url : new String[] {"", " ", "https://", "https://good.example:65536/", "https://good .example/", "https://%zzgood.example/",
                "https://good.example%2F/", "data:,x", "urn:good.example", "https://[good.example]/", "https://good\u200C.example/"}) {
            expect("fetch", url, Decision.Effect.DENY, "no-evil", "unparseable");
            expect("fetch_allow_only", url, Decision.Effect.DENY, "default-deny", "unparseable");
        }
        for (Object notText : new Object[] {42L, true, Map.of("href", "https://good.example/"), java.util.List.of("https://good.example/")}) {
            Decision d = decide("fetch", notText);
            assertEquals("DENY no-evil", d.effect() + " " + d.rule(), String.valueOf(notText));
            d = decide("fetch_allow_only", notText);
            assertEquals("DENY default-deny", d.effect() + " " + d.rule(), String.valueOf(notText));
        }
    }
}
