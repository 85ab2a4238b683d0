package dev.agt.engine.policy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.IDN;
import java.net.InetAddress;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * The URL host extractor ({@link UrlHost#of}) and the readings policies decide on
 * ({@link UrlHost#readings}): the forms from the bug report as a table, then properties over
 * random URLs, IPv4 and IPv6 spellings and punycode (fixed seeds, so a failure reproduces).
 * {@code WptUrlTest} holds the standard's own corpus; {@code UrlHostPolicyTest} runs URLs through
 * the evaluator.
 */
class UrlHostTest {
    static final long SEED = 0x0dd_0a11_2026L;

    /** Input, then the host a WHATWG client connects to, or null for UNPARSEABLE. */
    static Stream<Arguments> extractor() {
        return Stream.of(
                Arguments.of("https://evil.example/x", "evil.example"),
                Arguments.of("https://evil .example/x", null),
                Arguments.of("https://evil.example/a b", "evil.example"),
                Arguments.of("https://%zzevil.example/", null),
                Arguments.of("https://evil.example/%zz", "evil.example"),
                Arguments.of("https://evil\u3002example/", "evil.example"),
                Arguments.of("https://evil\uFF0Eexample/", "evil.example"),
                Arguments.of("https://evil\uFF61example/", "evil.example"),
                Arguments.of(" https://evil.example/", "evil.example"),
                Arguments.of("\u0000\u001F https://evil.example/ \u0001", "evil.example"),
                Arguments.of("https://evil.example\\x", "evil.example"),
                Arguments.of("https:\\\\evil.example", "evil.example"),
                Arguments.of("https://a_b.evil.example/", "a_b.evil.example"),
                Arguments.of("https://ev\til.exa\nmp\rle/", "evil.example"),
                Arguments.of("https:evil.example", "evil.example"),
                Arguments.of("https:/evil.example", "evil.example"),
                Arguments.of("https:////evil.example", "evil.example"),
                Arguments.of("HTTPS://EVIL.EXAMPLE/", "evil.example"),
                Arguments.of("https://%65vil.example/", "evil.example"),
                Arguments.of("https://%45VIL%2eexample/", "evil.example"),
                Arguments.of("https://\uFF45\uFF56\uFF49\uFF4C.example/", "evil.example"),
                Arguments.of("https://evil.example./", "evil.example."),
                Arguments.of("https://good.example@evil.example/", "evil.example"),
                Arguments.of("https://good.example:x@evil.example:443/", "evil.example"),
                Arguments.of("https://a@good.example@evil.example/", "evil.example"),
                Arguments.of("https://evil.example#@good.example/", "evil.example"),
                Arguments.of("https://evil.example?@good.example/", "evil.example"),
                Arguments.of("http://0x7f.1/", "127.0.0.1"),
                Arguments.of("http://2130706433/", "127.0.0.1"),
                Arguments.of("http://127.1/", "127.0.0.1"),
                Arguments.of("http://0177.0.0.01/", "127.0.0.1"),
                Arguments.of("http://0X7F.0x0.0.1./", "127.0.0.1"),
                Arguments.of("http://\uFF11\uFF12\uFF17.0.0.1/", "127.0.0.1"),
                Arguments.of("http://127.0.0.256/", null),
                Arguments.of("http://4294967296/", null),
                Arguments.of("http://1.2.3.4.5/", null),
                Arguments.of("http://09.0.0.1/", null),
                Arguments.of("http://[::FFFF:127.0.0.1]/", "[::ffff:7f00:1]"),
                Arguments.of("http://[0:0:0:0:0:0:0:1]:80/", "[::1]"),
                Arguments.of("http://[::1%25eth0]/", null),
                Arguments.of("https://fa\u00DF.example/", "xn--fa-hia.example"),
                Arguments.of("https://\u00FCber.example/", "xn--ber-goa.example"),
                Arguments.of("https://good\u200D.example/", null),
                Arguments.of("https://evi\u17B4l.example/", null),
                Arguments.of("https://a\u2488b.example/", null),
                Arguments.of("https://\uD83C\uDD34vil.example/", null), // U+1F134, squared E: newer than the JDK's IDNA tables
                Arguments.of("https://evil.example:99999/", null),
                Arguments.of("https://evil.example:8o/", null),
                Arguments.of("https://user@/", null),
                Arguments.of("https://", null),
                Arguments.of("file:///etc/passwd", ""),
                Arguments.of("file://localhost/etc/passwd", ""),
                Arguments.of("file://evil.example/share", "evil.example"),
                Arguments.of("evil.example/x", null), // no scheme and no base: the standard refuses; readings add https://
                Arguments.of("urn:isbn:1", null));
    }

    @ParameterizedTest
    @MethodSource
    void extractor(String input, String expected) {
        UrlHost h = UrlHost.of(input);
        if (expected == null) {
            assertInstanceOf(UrlHost.Unparseable.class, h, WptUrlTest.show(input));
        } else {
            assertEquals(new UrlHost.Host(expected), h, WptUrlTest.show(input));
        }
    }

    /** Input, then every host a client may read, "!" standing for UNPARSEABLE. */
    static Stream<Arguments> readings() {
        return Stream.of(
                Arguments.of("https://evil.example/", List.of("evil.example")),
                Arguments.of("https://good.example\\@evil.example/", List.of("good.example", "evil.example")),
                Arguments.of("https://evil.example\\x", List.of("evil.example", "!")),
                Arguments.of("https:evil.example", List.of("evil.example")),
                Arguments.of("//evil.example/x", List.of("evil.example")),
                Arguments.of("\\\\evil.example\\x", List.of("evil.example")),
                Arguments.of("/evil.example/x", List.of("evil.example")),
                Arguments.of("evil.example/x", List.of("evil.example")),
                Arguments.of("EVIL.example", List.of("evil.example")),
                Arguments.of("evil.example:443/x", List.of("evil.example")),
                Arguments.of("localhost:8080", List.of("localhost")),
                Arguments.of("mailto:x@evil.example", List.of("evil.example")),
                Arguments.of("gopher://EVIL.example/", List.of("evil.example")),
                Arguments.of("git://a@good.example:9418/x", List.of("good.example")),
                Arguments.of("::1", List.of("[::1]")),
                Arguments.of("http://[::ffff:127.0.0.1]/", List.of("[::ffff:7f00:1]", "127.0.0.1")),
                Arguments.of("file:///etc/passwd", List.of("")),
                Arguments.of("", List.of("!")),
                Arguments.of("data:text/plain,hi", List.of("!", "data")),
                Arguments.of("https://evil.example:99999/", List.of("!", "evil.example")));
    }

    @ParameterizedTest
    @MethodSource
    void readings(String input, List<String> expected) {
        List<String> actual = UrlHost.readings(input).stream()
                .map(r -> r instanceof UrlHost.Host h ? h.name() : "!").toList();
        assertEquals(expected, actual, WptUrlTest.show(input));
    }

    @Test
    void valuesThatAreNotStringsAreUnparseable() {
        for (Object v : new Object[] {null, 42L, 1.5, true, List.of("https://evil.example/"), java.util.Map.of("url", "x")}) {
            assertEquals(List.of(new UrlHost.Unparseable("not a string")), UrlHost.readings(v), String.valueOf(v));
        }
    }

    // ---- properties --------------------------------------------------------------------------

    static final String[] SCHEMES = {"http", "https", "ws", "wss", "ftp"};
    static final String[] AFTER_SCHEME = {"//", "", "/", "///", "\\\\", "/\\", "\\/", "\\", "////"};
    static final String[] USERINFO = {"", "", "user@", "user:pass@", "good.example@", "a@b@", ":@", "u%40x:p%3A@", "good.example:443@"};
    static final String[] TAILS = {"", "/", "/x", "/a b", "/%zz", "\\x", "?q=@good.example", "#@good.example", "/@good.example", "/.."};
    static final char[] DOTS = {'.', '\u3002', '\uFF0E', '\uFF61'};

    /** A host of random labels: letters, digits, '-' and '_', never all digits at the end. */
    static String randomHost(Random r) {
        StringBuilder b = new StringBuilder();
        int labels = 1 + r.nextInt(4);
        for (int i = 0; i < labels; i++) {
            if (i > 0) {
                b.append('.');
            }
            int n = 1 + r.nextInt(8);
            for (int j = 0; j < n; j++) {
                b.append("abcdefghijklmnopqrstuvwxyz0123456789-_".charAt(r.nextInt(j == 0 ? 26 : 38)));
            }
        }
        return b.toString();
    }

    /** {@code host} spelled as a client must still read it: case, %XX, full-width, IDNA dots. */
    static String spell(Random r, String host) {
        StringBuilder b = new StringBuilder();
        for (char c : host.toCharArray()) {
            int how = r.nextInt(10);
            if (c == '.') {
                char dot = DOTS[r.nextInt(DOTS.length)];
                b.append(how < 2 ? "%2E" : String.valueOf(dot));
            } else if (how == 0) {
                b.append(String.format("%%%02X", (int) c));
            } else if (how == 1 && Character.isLetterOrDigit(c)) {
                // full-width forms (U+FF10 digits, U+FF41 small, U+FF21 capital letters)
                b.append((char) (c <= '9' ? c - '0' + 0xFF10 : (r.nextBoolean() ? c - 'a' + 0xFF41 : c - 'a' + 0xFF21)));
            } else if (how == 2 && Character.isLetter(c)) {
                for (byte x : String.valueOf((char) (c - 'a' + 0xFF41)).getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
                    b.append(String.format("%%%02x", x & 0xFF)); // a full-width letter, percent-encoded
                }
            } else if (how < 6) {
                b.append(Character.toUpperCase(c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /** Tabs, newlines and CRs anywhere; C0 controls and spaces around the whole. */
    static String noise(Random r, String url) {
        StringBuilder b = new StringBuilder();
        for (int i = r.nextInt(3); i > 0; i--) {
            b.append((char) r.nextInt(0x21));
        }
        for (char c : url.toCharArray()) {
            if (r.nextInt(12) == 0) {
                b.append("\t\n\r".charAt(r.nextInt(3)));
            }
            b.append(c);
        }
        for (int i = r.nextInt(3); i > 0; i--) {
            b.append((char) r.nextInt(0x21));
        }
        return b.toString();
    }

    /** A random URL whose host, read by the standard, is {@code host} (plus "." when it says so). */
    static String decorate(Random r, String host, boolean trailingDot, boolean backslashes) {
        String scheme = SCHEMES[r.nextInt(SCHEMES.length)];
        scheme = r.nextBoolean() ? scheme.toUpperCase() : scheme;
        String after = backslashes ? AFTER_SCHEME[r.nextInt(AFTER_SCHEME.length)] : "//";
        String port = r.nextInt(4) == 0 ? ":" + "0".repeat(r.nextInt(3)) + r.nextInt(65536) : r.nextInt(8) == 0 ? ":" : "";
        String tail = TAILS[r.nextInt(TAILS.length)];
        if (!backslashes) {
            tail = tail.replace('\\', '/');
        }
        return noise(r, scheme + ":" + after + USERINFO[r.nextInt(USERINFO.length)] + spell(r, host) + (trailingDot ? "." : "") + port + tail);
    }

    @Test
    void everySpellingOfAHostIsThatHost() {
        Random r = new Random(SEED);
        for (int i = 0; i < 20_000; i++) {
            String host = randomHost(r);
            boolean dot = r.nextInt(4) == 0;
            String url = decorate(r, host, dot, true);
            UrlHost expected = new UrlHost.Host(host + (dot ? "." : ""));
            int n = i;
            assertEquals(expected, UrlHost.of(url), () -> "case " + n + ": " + WptUrlTest.show(url));
            assertTrue(UrlHost.readings(url).contains(expected), () -> "case " + n + ": " + WptUrlTest.show(url));
        }
    }

    /** An IPv4 address in 1 to 4 parts, each decimal, octal or hexadecimal, padded at random. */
    static String spellIpv4(Random r, long address) {
        int parts = 1 + r.nextInt(4);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < parts; i++) {
            long part = i < parts - 1 ? address >>> (8 * (3 - i)) & 0xFF : address & ((1L << (8 * (4 - i))) - 1);
            if (i > 0) {
                b.append('.');
            }
            switch (r.nextInt(3)) {
                case 0 -> b.append(part);
                case 1 -> b.append("0".repeat(1 + r.nextInt(3))).append(Long.toOctalString(part));
                default -> {
                    String hex = "0".repeat(r.nextInt(3)) + Long.toHexString(part);
                    b.append(r.nextBoolean() ? "0x" : "0X").append(r.nextBoolean() ? hex.toUpperCase() : hex);
                }
            }
        }
        return b.append(r.nextInt(5) == 0 ? "." : "").toString();
    }

    @Test
    void everySpellingOfAnIpv4AddressIsThatAddress() throws Exception {
        Random r = new Random(SEED + 1);
        for (int i = 0; i < 20_000; i++) {
            long address = r.nextInt() & 0xFFFFFFFFL;
            if (i % 10 == 0) {
                address = 0x7F000001L; // loopback, the usual target
            }
            String host = spellIpv4(r, address);
            String dotted = (address >>> 24) + "." + (address >>> 16 & 0xFF) + "." + (address >>> 8 & 0xFF) + "." + (address & 0xFF);
            assertEquals(new UrlHost.Host(dotted), UrlHost.of("http://" + host + "/"), "case " + i + ": " + host);
            assertEquals(dotted, InetAddress.getByName(dotted).getHostAddress()); // a literal: no lookup
        }
    }

    @Test
    void numbersThatAreNoAddressAreUnparseable() {
        Random r = new Random(SEED + 2);
        for (int i = 0; i < 5_000; i++) {
            long address = r.nextInt() & 0xFFFFFFFFL;
            String[] parts = spellIpv4(r, address).split("\\.");
            String host = switch (r.nextInt(4)) {
                case 0 -> (256 + r.nextInt(100_000)) + "." + parts[parts.length - 1]; // a part before the last over 255
                case 1 -> "1.2.3.4." + String.join(".", parts); // five parts or more
                case 2 -> parts[0] + ".0" + (8 + r.nextInt(2)); // an octal part with an 8 or 9
                default -> "1." + ((1L << 24) + r.nextInt(1 << 24)); // the last of two parts over 24 bits
            };
            assertInstanceOf(UrlHost.Unparseable.class, UrlHost.of("http://" + host + "/"), "case " + i + ": " + host);
        }
    }

    @Test
    void ipv6IsParsedAndWrittenAsTheStandardWritesIt() throws Exception {
        assertEquals(new UrlHost.Host("[::1]"), UrlHost.of("http://[0:0:0:0:0:0:0:1]/"));
        assertEquals(new UrlHost.Host("[1:0:0:2::3]"), UrlHost.of("http://[1:0:0:2:0:0:0:3]/"));
        assertEquals(new UrlHost.Host("[1::2:0:0:3]"), UrlHost.of("http://[1:0:0:0:2:0:0:3]/"));
        assertEquals(new UrlHost.Host("[::7f00:1]"), UrlHost.of("http://[::127.0.0.1]/"));
        Random r = new Random(SEED + 3);
        for (int i = 0; i < 20_000; i++) {
            int[] pieces = new int[8];
            for (int j = 0; j < 8; j++) {
                pieces[j] = r.nextInt(3) == 0 ? 0 : r.nextInt(0x10000);
            }
            String text = spellIpv6(r, pieces);
            UrlHost h = UrlHost.of("http://[" + text + "]/");
            assertInstanceOf(UrlHost.Host.class, h, text);
            String canonical = ((UrlHost.Host) h).name();
            byte[] expected = new byte[16];
            for (int j = 0; j < 8; j++) {
                expected[2 * j] = (byte) (pieces[j] >>> 8);
                expected[2 * j + 1] = (byte) pieces[j];
            }
            assertArrayEquals(expected, InetAddress.getByName(canonical).getAddress(), text + " -> " + canonical);
            assertEquals(h, UrlHost.of("http://" + canonical + "/"), "the canonical form is a fixed point: " + canonical);
        }
    }

    /** Random case, leading zeros, one run of zero pieces (any length) compressed, a dotted tail. */
    static String spellIpv6(Random r, int[] p) {
        boolean dotted = r.nextInt(4) == 0;
        int n = dotted ? 6 : 8;
        String[] out = new String[n];
        for (int j = 0; j < n; j++) {
            String hex = Integer.toHexString(p[j]);
            hex = "0".repeat(r.nextInt(5 - hex.length())) + hex;
            out[j] = r.nextBoolean() ? hex.toUpperCase() : hex;
        }
        String tail = dotted ? (p[6] >>> 8) + "." + (p[6] & 0xFF) + "." + (p[7] >>> 8) + "." + (p[7] & 0xFF) : null;
        int from = -1;
        int to = -1;
        if (r.nextBoolean()) {
            for (int j = 0; j < n; j++) {
                if (p[j] == 0) {
                    int k = j;
                    while (k < n && p[k] == 0) {
                        k++;
                    }
                    from = j;
                    to = j + 1 + r.nextInt(k - j);
                    break;
                }
            }
        }
        StringBuilder b = new StringBuilder();
        for (int j = 0; j < n; j++) {
            if (j == from) {
                b.append(j == 0 ? "::" : ":");
                j = to - 1;
                continue;
            }
            b.append(out[j]);
            if (j < n - 1 || tail != null) {
                b.append(':');
            }
        }
        String s = b.toString();
        if (tail != null) {
            s += tail;
        } else if (s.endsWith(":") && !s.endsWith("::")) {
            s = s.substring(0, s.length() - 1);
        }
        return s;
    }

    @Test
    void punycodeIsTheJdksPunycode() {
        assertEquals("fa-hia", HostParser.punycode("fa\u00DF"));
        String[] ranges = {"az", "09", "\u0430\u044F", "\u03B1\u03C1", "\u00E0\u00F6", "\u4E00\u4E80", "\u3041\u3096"};
        Random r = new Random(SEED + 4);
        for (int i = 0; i < 5_000; i++) {
            StringBuilder b = new StringBuilder();
            for (int n = 1 + r.nextInt(12); n > 0; n--) {
                String range = ranges[r.nextInt(ranges.length)];
                b.append((char) (range.charAt(0) + r.nextInt(range.charAt(1) - range.charAt(0) + 1)));
            }
            String s = b.toString();
            String ace = IDN.toASCII(s);
            if (ace.startsWith("xn--")) {
                assertEquals(ace, "xn--" + HostParser.punycode(s), WptUrlTest.show(s));
            }
        }
    }

    @Test
    void randomTextNeverThrowsAndAlwaysHasAReading() {
        String alphabet = "htpsfile:/\\@.%#?[]:0x7f1 \t\n\u0000\u3002\uFF0E\uFF61\uFF45_-\u00DF\u03C2\u200D\u17B4\u0301xn--eEvil2\u0100";
        Random r = new Random(SEED + 5);
        for (int i = 0; i < 50_000; i++) {
            StringBuilder b = new StringBuilder();
            if (r.nextBoolean()) {
                b.append(r.nextBoolean() ? "https://" : "http:");
            }
            for (int n = r.nextInt(24); n > 0; n--) {
                b.append(alphabet.charAt(r.nextInt(alphabet.length())));
            }
            String s = b.toString();
            List<UrlHost> readings = UrlHost.readings(s);
            assertFalse(readings.isEmpty(), () -> WptUrlTest.show(s));
            for (UrlHost h : readings) {
                if (h instanceof UrlHost.Host host && !host.name().startsWith("[")) {
                    for (char c : host.name().toCharArray()) {
                        assertFalse(HostParser.forbiddenDomainCodePoint(c) || c >= 0x80 || Character.isUpperCase(c),
                                () -> WptUrlTest.show(s) + " -> " + WptUrlTest.show(host.name()));
                    }
                }
            }
        }
    }
}
