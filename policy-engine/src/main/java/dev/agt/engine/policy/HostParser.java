package dev.agt.engine.policy;

import java.io.ByteArrayOutputStream;
import java.net.IDN;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The WHATWG URL Standard's host parser (https://url.spec.whatwg.org/#host-parsing): what an
 * HTTP client that follows the standard connects to for the host part of a URL.
 *
 * <p>A special scheme's host is percent-decoded, IDNA-mapped (domain to ASCII), checked for
 * forbidden code points, and read as an IPv4 address when its last label is a number in any of
 * the forms the standard accepts ({@code 0x7f.1}, {@code 2130706433}, {@code 0177.0.0.1},
 * {@code 127.1}). An IPv6 address in brackets is parsed and written back in its canonical form.
 * A non-special scheme's host is opaque: checked for forbidden code points and percent-encoded.
 *
 * <p>Domain to ASCII: an all-ASCII domain is lowercased, as the standard says for
 * {@code beStrict = false}. Anything else goes through UTS #46 in the standard; the JDK has no
 * UTS #46, so this maps the ideographic and full-width full stops (U+3002, U+FF0E, U+FF61) to
 * {@code .} as UTS #46 does and hands each label to {@link IDN#toASCII(String, int)} (IDNA 2003:
 * NFKC and case folding, the same mapping as UTS #46 for the characters it knows). Where the two
 * are known to differ, it does what UTS #46 does or fails rather than guess, so the caller can
 * fail closed:
 * <ul>
 *   <li>ß and ς, which IDNA 2003 maps away ({@code faß} to {@code fass}) and the standard keeps
 *       ({@code xn--fa-hia}), are kept and the label encoded here: guessing would let
 *       {@code claß.example}, someone else's name, pass an allow for {@code class.example};</li>
 *   <li>the joiners ZWJ and ZWNJ (kept by UTS #46 only in contexts the JDK cannot check): fail;</li>
 *   <li>code points unassigned in the JDK's Unicode 3.2 tables (no {@code ALLOW_UNASSIGNED}):
 *       fail, because UTS #46 maps some newer ones to ASCII letters (the squared capitals from
 *       U+1F130 on), so passing them through unmapped could hide {@code evil};</li>
 *   <li>a label that IDNA 2003 maps to text with a dot in it ({@code ⒈}, {@code ﹒}), which UTS #46
 *       disallows: fail.</li>
 * </ul>
 */
final class HostParser {

    /** A host that the standard's parser rejects, or that this one will not guess at. */
    static final class Failure extends Exception {
        private static final long serialVersionUID = 1L;

        Failure(String why) {
            super(why, null, false, false);
        }
    }

    private HostParser() {
    }

    /**
     * Parses a host as the URL parser's host state hands it over (never empty for a special scheme).
     *
     * @param special whether the URL's scheme is special (http, https, ws, wss, ftp, file)
     * @return the canonical host: lowercase ASCII (punycode), dotted-decimal IPv4, or
     *         {@code [ipv6]}; for a non-special scheme the opaque host, percent-encoded
     */
    static String parse(String input, boolean special) throws Failure {
        if (input.startsWith("[")) {
            if (!input.endsWith("]")) {
                throw new Failure("IPv6 address without its closing ']'");
            }
            return "[" + serializeIpv6(parseIpv6(input.substring(1, input.length() - 1))) + "]";
        }
        if (!special) {
            return opaque(input);
        }
        String domain = new String(percentDecode(input), StandardCharsets.UTF_8); // bad UTF-8 becomes U+FFFD, refused below
        String ascii = domainToAscii(domain);
        if (endsInANumber(ascii)) {
            return ipv4(ascii);
        }
        return ascii;
    }

    /** Whether {@code text} is, as a whole, an IPv6 address without brackets ({@code ::1}). */
    static String bareIpv6(String text) {
        if (text.indexOf(':') < 0) {
            return null;
        }
        try {
            return "[" + serializeIpv6(parseIpv6(text)) + "]";
        } catch (Failure notAnAddress) {
            return null;
        }
    }

    // ---- domains ---------------------------------------------------------------------------

    static String domainToAscii(String domain) throws Failure {
        String result = isAscii(domain) ? domain.toLowerCase(Locale.ROOT) : unicodeToAscii(domain);
        if (result.isEmpty()) {
            throw new Failure("empty host");
        }
        for (int i = 0; i < result.length(); i++) {
            char c = result.charAt(i);
            if (forbiddenDomainCodePoint(c)) {
                throw new Failure(String.format("forbidden code point U+%04X in host", (int) c));
            }
        }
        return result;
    }

    private static String unicodeToAscii(String domain) throws Failure {
        String dotted = domain.replace('\u3002', '.').replace('\uFF0E', '.').replace('\uFF61', '.');
        StringBuilder out = new StringBuilder(dotted.length() + 16);
        String[] labels = dotted.split("\\.", -1);
        for (int i = 0; i < labels.length; i++) {
            if (i > 0) {
                out.append('.');
            }
            out.append(label(labels[i]));
        }
        return out.toString();
    }

    private static String label(String label) throws Failure {
        if (isAscii(label)) {
            String lower = label.toLowerCase(Locale.ROOT);
            if (lower.startsWith("xn--")) {
                // in a domain that is not all ASCII, UTS #46 checks punycode labels: one that does not
                // decode (toUnicode hands it back unchanged) or does not come back the same is refused
                String unicode = IDN.toUnicode(lower, 0);
                if (unicode.equals(lower) || isAscii(unicode) || !label(unicode).equals(lower)) {
                    throw new Failure("invalid punycode label '" + label + "'");
                }
            }
            return lower;
        }
        boolean deviation = false;
        for (int i = 0; i < label.length(); i++) {
            char c = label.charAt(i);
            if (c == '\u200C' || c == '\u200D') {
                // UTS #46 keeps joiners only in the contexts RFC 5892 allows, which the JDK cannot check
                throw new Failure(String.format("U+%04X (a joiner) in host", (int) c));
            }
            deviation |= c == '\u00DF' || c == '\u03C2';
        }
        String ascii = deviation ? keepingDeviations(label) : checkedToAscii(label);
        if (ascii.indexOf('.') >= 0) {
            throw new Failure("label '" + label + "' maps to text with a dot in it");
        }
        return ascii;
    }

    private static String checkedToAscii(String label) throws Failure {
        String ascii = toAscii(label);
        mapped(label, ascii);
        return ascii;
    }

    /**
     * A label holding ß or ς as UTS #46 (non-transitional) converts it: the rest mapped as IDNA 2003
     * maps it, ß and ς kept, the whole encoded as punycode ({@code faß} is {@code xn--fa-hia}).
     * IDNA 2003 alone would write {@code fass}, a different name someone else may own.
     */
    private static String keepingDeviations(String label) throws Failure {
        StringBuilder mapped = new StringBuilder(label.length());
        int from = 0;
        for (int i = 0; i <= label.length(); i++) {
            char c = i < label.length() ? label.charAt(i) : 0;
            if (i == label.length() || c == '\u00DF' || c == '\u03C2') {
                String run = label.substring(from, i);
                if (!run.isEmpty()) {
                    mapped.append(mapped(run, toAscii(run)));
                }
                if (i < label.length()) {
                    mapped.append(c);
                }
                from = i + 1;
            }
        }
        String unicode = Normalizer.normalize(mapped, Normalizer.Form.NFC);
        if (unicode.startsWith("xn--")) {
            throw new Failure("label '" + label + "' maps to one that starts with xn--");
        }
        return "xn--" + punycode(unicode);
    }

    /**
     * What IDNA 2003 mapped {@code text} to ({@code ace} is its ToASCII), checked against the
     * mapping UTS #46 derives from current Unicode: NFKC, lowercase, and its ignored code points
     * dropped. The JDK's IDNA 2003 tables are Unicode 3.2; where Unicode has changed since
     * (Georgian capitals that now have lowercase forms, normalization corrigenda, the Hangul and
     * Khmer fillers UTS #46 now ignores: {@code evi\u17B4l} is {@code evil} to a browser), the
     * two disagree and this fails, so no host is guessed differently from the client's.
     */
    private static String mapped(String text, String ace) throws Failure {
        String idna2003 = ace.startsWith("xn--") ? IDN.toUnicode(ace, 0) : ace;
        String nfkc = Normalizer.normalize(text, Normalizer.Form.NFKC);
        StringBuilder lower = new StringBuilder(nfkc.length());
        for (int i = 0; i < nfkc.length(); ) {
            int cp = nfkc.codePointAt(i);
            i += Character.charCount(cp);
            if (!ignored(cp)) {
                // one code point at a time: String.toLowerCase would write a final sigma, UTS #46 does not
                lower.append(new String(Character.toChars(cp)).toLowerCase(Locale.ROOT));
            }
        }
        String current = Normalizer.normalize(lower, Normalizer.Form.NFKC);
        if (!idna2003.equals(current)) {
            throw new Failure("'" + text + "': the JDK's IDNA 2003 (Unicode 3.2) maps it to '" + idna2003
                    + "', current Unicode to '" + current + "'");
        }
        if (!idna2003.isEmpty()) {
            int type = Character.getType(idna2003.codePointAt(0));
            if (type == Character.NON_SPACING_MARK || type == Character.COMBINING_SPACING_MARK || type == Character.ENCLOSING_MARK) {
                throw new Failure("label '" + text + "' starts with a combining mark");
            }
        }
        return idna2003;
    }

    /** Code points UTS #46 maps to nothing (its "ignored" status) among those Unicode 3.2 has. */
    private static boolean ignored(int cp) {
        return cp == 0x00AD || cp == 0x034F || (cp >= 0x180B && cp <= 0x180D) || cp == 0x200B || cp == 0x2060
                || (cp >= 0xFE00 && cp <= 0xFE0F) || cp == 0xFEFF
                || cp == 0x115F || cp == 0x1160 || cp == 0x17B4 || cp == 0x17B5 || cp == 0x3164 || cp == 0xFFA0;
    }

    /** RFC 3492 punycode encoding of one label (the JDK keeps its encoder internal). */
    static String punycode(String input) {
        final int base = 36;
        final int tmin = 1;
        final int tmax = 26;
        int[] cps = input.codePoints().toArray();
        StringBuilder out = new StringBuilder();
        for (int cp : cps) {
            if (cp < 0x80) {
                out.append((char) cp);
            }
        }
        int basic = out.length();
        int handled = basic;
        if (basic > 0) {
            out.append('-');
        }
        long n = 0x80;
        long delta = 0;
        int bias = 72;
        while (handled < cps.length) {
            long m = Long.MAX_VALUE;
            for (int cp : cps) {
                if (cp >= n && cp < m) {
                    m = cp;
                }
            }
            delta += (m - n) * (handled + 1);
            n = m;
            for (int cp : cps) {
                if (cp < n) {
                    delta++;
                } else if (cp == n) {
                    long q = delta;
                    for (int k = base; ; k += base) {
                        int t = k <= bias ? tmin : k >= bias + tmax ? tmax : k - bias;
                        if (q < t) {
                            break;
                        }
                        out.append(punycodeDigit((int) (t + (q - t) % (base - t))));
                        q = (q - t) / (base - t);
                    }
                    out.append(punycodeDigit((int) q));
                    bias = adapt(delta, handled + 1, handled == basic);
                    delta = 0;
                    handled++;
                }
            }
            delta++;
            n++;
        }
        return out.toString();
    }

    private static int adapt(long delta, int points, boolean first) {
        delta = first ? delta / 700 : delta / 2;
        delta += delta / points;
        int k = 0;
        while (delta > ((36 - 1) * 26) / 2) {
            delta /= 36 - 1;
            k += 36;
        }
        return (int) (k + (36 - 1 + 1) * delta / (delta + 38));
    }

    private static char punycodeDigit(int d) {
        return (char) (d < 26 ? 'a' + d : '0' + d - 26);
    }

    private static String toAscii(String label) throws Failure {
        try {
            return IDN.toASCII(label, 0).toLowerCase(Locale.ROOT);
        } catch (IllegalArgumentException e) {
            throw new Failure("IDNA: " + e.getMessage());
        }
    }

    private static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    static boolean forbiddenHostCodePoint(int c) {
        switch (c) {
            case 0x00, '\t', '\n', '\r', ' ', '#', '/', ':', '<', '>', '?', '@', '[', '\\', ']', '^', '|':
                return true;
            default:
                return false;
        }
    }

    static boolean forbiddenDomainCodePoint(int c) {
        return forbiddenHostCodePoint(c) || c <= 0x1F || c == '%' || c == 0x7F;
    }

    static byte[] percentDecode(String s) {
        byte[] in = s.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream(in.length);
        for (int i = 0; i < in.length; i++) {
            int h;
            int l;
            if (in[i] == '%' && i + 2 < in.length && (h = hex(in[i + 1])) >= 0 && (l = hex(in[i + 2])) >= 0) {
                out.write(h << 4 | l);
                i += 2;
            } else {
                out.write(in[i]);
            }
        }
        return out.toByteArray();
    }

    private static int hex(int b) {
        if (b >= '0' && b <= '9') {
            return b - '0';
        }
        if (b >= 'a' && b <= 'f') {
            return b - 'a' + 10;
        }
        if (b >= 'A' && b <= 'F') {
            return b - 'A' + 10;
        }
        return -1;
    }

    private static String opaque(String input) throws Failure {
        StringBuilder out = new StringBuilder(input.length());
        for (int i = 0; i < input.length(); ) {
            int c = input.codePointAt(i);
            i += Character.charCount(c);
            if (forbiddenHostCodePoint(c)) {
                throw new Failure(String.format("forbidden code point U+%04X in host", c));
            }
            if (c > 0x1F && c < 0x7F) {
                out.append((char) c);
            } else {
                for (byte b : new String(Character.toChars(c)).getBytes(StandardCharsets.UTF_8)) {
                    out.append('%').append(String.format("%02X", b & 0xFF));
                }
            }
        }
        return out.toString();
    }

    // ---- IPv4 ------------------------------------------------------------------------------

    /** A number too big to be any part of an address; parsing saturates here instead of overflowing. */
    private static final long HUGE = 1L << 40;

    private static boolean endsInANumber(String host) {
        List<String> parts = split(host);
        if (parts.get(parts.size() - 1).isEmpty()) {
            if (parts.size() == 1) {
                return false;
            }
            parts.remove(parts.size() - 1);
        }
        String last = parts.get(parts.size() - 1);
        if (!last.isEmpty() && last.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return true;
        }
        return ipv4Number(last) >= 0;
    }

    private static String ipv4(String host) throws Failure {
        List<String> parts = split(host);
        if (parts.get(parts.size() - 1).isEmpty() && parts.size() > 1) {
            parts.remove(parts.size() - 1);
        }
        if (parts.size() > 4) {
            throw new Failure("IPv4 address with more than four parts");
        }
        long[] numbers = new long[parts.size()];
        for (int i = 0; i < numbers.length; i++) {
            numbers[i] = ipv4Number(parts.get(i));
            if (numbers[i] < 0) {
                throw new Failure("'" + parts.get(i) + "' is not an IPv4 number");
            }
        }
        for (int i = 0; i < numbers.length - 1; i++) {
            if (numbers[i] > 255) {
                throw new Failure("IPv4 part out of range");
            }
        }
        long last = numbers[numbers.length - 1];
        if (last >= 1L << (8 * (5 - numbers.length))) {
            throw new Failure("IPv4 address out of range");
        }
        long address = last;
        for (int i = 0; i < numbers.length - 1; i++) {
            address += numbers[i] << (8 * (3 - i));
        }
        return (address >>> 24) + "." + (address >>> 16 & 0xFF) + "." + (address >>> 8 & 0xFF) + "." + (address & 0xFF);
    }

    /** One part: decimal, {@code 0x} hexadecimal or {@code 0} octal; -1 when it is none of them. */
    private static long ipv4Number(String part) {
        if (part.isEmpty()) {
            return -1;
        }
        int radix = 10;
        String digits = part;
        if (part.length() >= 2 && (part.startsWith("0x") || part.startsWith("0X"))) {
            radix = 16;
            digits = part.substring(2);
        } else if (part.length() >= 2 && part.charAt(0) == '0') {
            radix = 8;
            digits = part.substring(1);
        }
        long value = 0;
        for (int i = 0; i < digits.length(); i++) {
            int d = Character.digit(digits.charAt(i), radix);
            if (d < 0 || digits.charAt(i) >= 0x80) {
                return -1;
            }
            value = Math.min(HUGE, value * radix + d);
        }
        return value;
    }

    private static List<String> split(String s) {
        List<String> parts = new ArrayList<>();
        int from = 0;
        for (int dot = s.indexOf('.'); dot >= 0; dot = s.indexOf('.', from)) {
            parts.add(s.substring(from, dot));
            from = dot + 1;
        }
        parts.add(s.substring(from));
        return parts;
    }

    // ---- IPv6 ------------------------------------------------------------------------------

    /** The standard's IPv6 parser, step by step. */
    static int[] parseIpv6(String text) throws Failure {
        int[] address = new int[8];
        int piece = 0;
        int compress = -1;
        int p = 0;
        int n = text.length();
        if (at(text, p) == ':') {
            if (at(text, p + 1) != ':') {
                throw new Failure("IPv6 address starts with a single ':'");
            }
            p += 2;
            piece++;
            compress = piece;
        }
        while (p < n) {
            if (piece == 8) {
                throw new Failure("IPv6 address with more than eight pieces");
            }
            if (at(text, p) == ':') {
                if (compress >= 0) {
                    throw new Failure("IPv6 address with two '::'");
                }
                p++;
                piece++;
                compress = piece;
                continue;
            }
            int value = 0;
            int length = 0;
            while (length < 4 && Character.digit(at(text, p), 16) >= 0 && at(text, p) < 0x80) {
                value = value * 16 + Character.digit(at(text, p), 16);
                p++;
                length++;
            }
            if (at(text, p) == '.') {
                if (length == 0) {
                    throw new Failure("IPv6 address with an empty IPv4 part");
                }
                p -= length;
                if (piece > 6) {
                    throw new Failure("IPv6 address with an IPv4 part too late");
                }
                int numbersSeen = 0;
                while (p < n) {
                    int ipv4Piece = -1;
                    if (numbersSeen > 0) {
                        if (at(text, p) == '.' && numbersSeen < 4) {
                            p++;
                        } else {
                            throw new Failure("bad IPv4 part in IPv6 address");
                        }
                    }
                    if (!asciiDigit(at(text, p))) {
                        throw new Failure("bad IPv4 part in IPv6 address");
                    }
                    while (asciiDigit(at(text, p))) {
                        int number = at(text, p) - '0';
                        if (ipv4Piece < 0) {
                            ipv4Piece = number;
                        } else if (ipv4Piece == 0) {
                            throw new Failure("leading zero in the IPv4 part of an IPv6 address");
                        } else {
                            ipv4Piece = ipv4Piece * 10 + number;
                        }
                        if (ipv4Piece > 255) {
                            throw new Failure("IPv4 part of an IPv6 address out of range");
                        }
                        p++;
                    }
                    address[piece] = address[piece] * 0x100 + ipv4Piece;
                    numbersSeen++;
                    if (numbersSeen == 2 || numbersSeen == 4) {
                        piece++;
                    }
                }
                if (numbersSeen != 4) {
                    throw new Failure("IPv4 part of an IPv6 address is too short");
                }
                break;
            } else if (at(text, p) == ':') {
                p++;
                if (p >= n) {
                    throw new Failure("IPv6 address ends with a single ':'");
                }
            } else if (p < n) {
                throw new Failure("bad character in IPv6 address");
            }
            address[piece] = value;
            piece++;
        }
        if (compress >= 0) {
            int swaps = piece - compress;
            piece = 7;
            while (piece != 0 && swaps > 0) {
                int t = address[piece];
                address[piece] = address[compress + swaps - 1];
                address[compress + swaps - 1] = t;
                piece--;
                swaps--;
            }
        } else if (piece != 8) {
            throw new Failure("IPv6 address with fewer than eight pieces");
        }
        return address;
    }

    static String serializeIpv6(int[] address) {
        int compress = -1;
        int best = 1;
        for (int i = 0; i < 8; ) {
            if (address[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && address[j] == 0) {
                j++;
            }
            if (j - i > best) {
                best = j - i;
                compress = i;
            }
            i = j;
        }
        StringBuilder out = new StringBuilder();
        boolean ignore0 = false;
        for (int i = 0; i < 8; i++) {
            if (ignore0 && address[i] == 0) {
                continue;
            }
            ignore0 = false;
            if (compress == i) {
                out.append(i == 0 ? "::" : ":");
                ignore0 = true;
                continue;
            }
            out.append(Integer.toHexString(address[i]));
            if (i != 7) {
                out.append(':');
            }
        }
        return out.toString();
    }

    private static int at(String s, int i) {
        return i >= 0 && i < s.length() ? s.charAt(i) : -1;
    }

    private static boolean asciiDigit(int c) {
        return c >= '0' && c <= '9';
    }
}
