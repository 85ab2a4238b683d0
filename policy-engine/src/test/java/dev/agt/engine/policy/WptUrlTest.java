package dev.agt.engine.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.Test;

/**
 * The URL host extractor against the web-platform-tests URL corpus, the test suite browsers run
 * for the WHATWG URL Standard. The corpus is fetched data that this repository does not carry:
 * the test runs where {@code -Dagt.wpt=DIR} names a directory holding it (the team keeps it in
 * {@code shared/testdata/wpt/}, with its README and licence), and says it skipped otherwise. The
 * tricky forms themselves are checked on every build by {@code UrlHostTest}, {@code
 * UrlHostPolicyTest} and the {@code mcp-argument-urls} conformance case.
 *
 * <ul>
 *   <li>{@code urltestdata.json}: for every entry, the host the parser finds is the entry's
 *       {@code hostname}, and an entry that is a failure is {@code UNPARSEABLE}. Every entry is
 *       checked, special schemes through {@link UrlHost#of(String, String)} (what policies use)
 *       and the others through the parser (their opaque hosts); nothing is excluded.</li>
 *   <li>{@code toascii.json} and {@code IdnaTestV2.json}, the corpus for the standard's domain to
 *       ASCII: the JDK has IDNA 2003, not UTS #46, so here the rule is the one that keeps policies
 *       safe: the host is the expected one or {@code UNPARSEABLE} (fail closed), never another host
 *       and never a host where the standard finds none. Fail-closed answers must stay the
 *       exception ({@link #MOST}), so that refusing everything cannot pass. As WPT's own harness
 *       does, the one empty input of IdnaTestV2 is skipped: it cannot stand in a URL's host.</li>
 * </ul>
 */
class WptUrlTest {

    /** The share of IDNA entries that must come out exactly as the standard says. */
    private static final double MOST = 0.85;

    private static final ObjectMapper JSON = new ObjectMapper();

    static Path corpus(String name) {
        String configured = System.getProperty("agt.wpt");
        org.junit.jupiter.api.Assumptions.assumeTrue(configured != null && !configured.isBlank(),
                "agt: the web-platform-tests URL corpus is not in this repository: run with -Dagt.wpt=DIR (shared/testdata/wpt)");
        Path file = Path.of(configured).resolve(name).toAbsolutePath().normalize();
        assertTrue(Files.isRegularFile(file), "agt: -Dagt.wpt names " + configured + ", which has no " + name);
        return file;
    }

    @Test
    void urlTestData() throws IOException {
        JsonNode all = JSON.readTree(Files.readAllBytes(corpus("urltestdata.json")));
        int special = 0;
        int others = 0;
        List<String> wrong = new ArrayList<>();
        for (JsonNode e : all) {
            if (!e.isObject()) {
                continue; // comments
            }
            String input = e.get("input").asText();
            String base = e.hasNonNull("base") ? e.get("base").asText() : null;
            String expected = e.path("failure").asBoolean() ? null : e.get("hostname").asText();
            String actual;
            if (isSpecial(e, input, base)) {
                special++;
                actual = UrlHost.of(input, base) instanceof UrlHost.Host h ? h.name() : null;
            } else {
                others++;
                actual = parserHostname(input, base);
            }
            if (!Objects.equals(expected, actual)) {
                wrong.add(show(input) + (base == null ? "" : " against " + show(base)) + ": expected "
                        + (expected == null ? "failure" : show(expected)) + ", got " + (actual == null ? "UNPARSEABLE" : show(actual)));
            }
        }
        System.out.printf("agt: urltestdata.json: %d entries checked (%d special, %d other schemes), %d match, 0 excluded%n",
                special + others, special, others, special + others - wrong.size());
        assertTrue(special > 500, "the corpus has too few special-scheme entries; is it the right file?");
        assertEquals(List.of(), wrong, wrong.size() + " entries disagree with the corpus");
    }

    @Test
    void toAscii() throws IOException {
        idna("toascii.json");
    }

    @Test
    void idnaTestV2() throws IOException {
        idna("IdnaTestV2.json");
    }

    private static void idna(String name) throws IOException {
        JsonNode all = JSON.readTree(Files.readAllBytes(corpus(name)));
        int checked = 0;
        int skipped = 0;
        int exact = 0;
        List<String> unsafe = new ArrayList<>();
        for (JsonNode e : all) {
            if (!e.isObject()) {
                continue;
            }
            if (e.get("input").asText().isEmpty()) {
                skipped++;
                continue;
            }
            checked++;
            String input = e.get("input").asText();
            // toascii.json leaves "output" out where it equals the input; null means failure
            String expected = !e.has("output") ? input : e.get("output").isNull() ? null : e.get("output").asText();
            String actual = UrlHost.of("https://" + input + "/x") instanceof UrlHost.Host h ? h.name() : null;
            if (Objects.equals(expected, actual)) {
                exact++;
            } else if (actual != null) {
                unsafe.add(show(input) + ": expected " + (expected == null ? "failure" : show(expected)) + ", got " + show(actual));
            }
        }
        System.out.printf("agt: %s: %d entries checked, %d exactly as the standard, %d UNPARSEABLE where the standard finds a host,"
                + " %d skipped (empty input)%n", name, checked, exact, checked - exact - unsafe.size(), skipped);
        assertEquals(List.of(), unsafe, "hosts that differ from the standard's");
        assertTrue(exact >= MOST * checked, "only " + exact + " of " + checked + " exactly as the standard says");
    }

    /** The scheme the URL ends up with: its own, or the base's when it has none. */
    private static boolean isSpecial(JsonNode e, String input, String base) {
        String scheme;
        if (e.has("protocol")) {
            scheme = e.get("protocol").asText().replaceFirst(":$", "");
        } else {
            scheme = UrlParser.scheme(UrlParser.preprocess(input));
            if (scheme == null && base != null) {
                scheme = UrlParser.scheme(UrlParser.preprocess(base));
            }
        }
        return scheme != null && UrlParser.SPECIAL.contains(scheme);
    }

    /** The standard's {@code hostname}: "" for no host; null for failure. */
    private static String parserHostname(String input, String base) {
        try {
            UrlParser.Url u = UrlParser.parse(input, base == null ? null : UrlParser.parse(base, null));
            return u.host() == null ? "" : u.host();
        } catch (HostParser.Failure f) {
            return null;
        }
    }

    static String show(String s) {
        StringBuilder b = new StringBuilder("\"");
        s.codePoints().forEach(c -> {
            if (c < 0x20 || c > 0x7E) {
                b.append(String.format(c > 0xFFFF ? "\\U%08X" : "\\u%04X", c));
            } else {
                b.appendCodePoint(c);
            }
        });
        return b.append('"').toString();
    }
}
