package dev.agt.engine.policy;

import java.util.Set;

/**
 * The WHATWG URL Standard's basic URL parser (https://url.spec.whatwg.org/#concept-basic-url-parser),
 * run only as far as the host: scheme, credentials, host and port are parsed exactly as the
 * standard says, with every way they can fail; the path, query and fragment can never make a
 * URL fail or change its host, so parsing stops where they begin. No state override.
 *
 * <p>This is how browsers, Node's {@code fetch}, and the HTTP clients that follow the standard
 * read a URL: leading and trailing C0 controls and spaces are dropped, tabs and newlines anywhere
 * are removed, {@code \} counts as {@code /} for special schemes, {@code https:evil.example} and
 * {@code https:///evil.example} both name {@code evil.example}, and the host follows the last
 * {@code @} of the authority.
 */
final class UrlParser {

    /** The schemes the standard calls special: their hosts are domains or IP addresses. */
    static final Set<String> SPECIAL = Set.of("http", "https", "ws", "wss", "ftp", "file");

    /**
     * What a parsed URL says about where it goes.
     *
     * @param host       the canonical host, {@code ""} for a file URL on this machine, or null when
     *                   the URL has no host at all ({@code urn:x}, {@code sc:/path})
     * @param opaquePath whether the URL has an opaque path ({@code about:blank}), which nothing is
     *                   resolved against
     */
    record Url(String scheme, String host, boolean opaquePath) {
    }

    private enum State {
        SCHEME_START, SCHEME, NO_SCHEME, SPECIAL_RELATIVE_OR_AUTHORITY, PATH_OR_AUTHORITY, RELATIVE, RELATIVE_SLASH,
        SPECIAL_AUTHORITY_SLASHES, SPECIAL_AUTHORITY_IGNORE_SLASHES, AUTHORITY, HOST, PORT, FILE, FILE_SLASH, FILE_HOST
    }

    private static final int EOF = -1;

    private UrlParser() {
    }

    /** Leading and trailing C0 controls and spaces removed, then every tab, LF and CR. */
    static String preprocess(String input) {
        int from = 0;
        int to = input.length();
        while (from < to && input.charAt(from) <= 0x20) {
            from++;
        }
        while (to > from && input.charAt(to - 1) <= 0x20) {
            to--;
        }
        StringBuilder b = new StringBuilder(to - from);
        for (int i = from; i < to; i++) {
            char c = input.charAt(i);
            if (c != '\t' && c != '\n' && c != '\r') {
                b.append(c);
            }
        }
        return b.toString();
    }

    /** The scheme of a preprocessed input, lowercased, or null when it does not start with one. */
    static String scheme(String s) {
        if (s.isEmpty() || !alpha(s.charAt(0))) {
            return null;
        }
        for (int i = 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == ':') {
                return s.substring(0, i).toLowerCase(java.util.Locale.ROOT);
            }
            if (!alpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.') {
                return null;
            }
        }
        return null;
    }

    /**
     * Parses {@code input} against {@code base} (null for none).
     *
     * @throws HostParser.Failure where the standard's parser returns failure
     */
    static Url parse(String input, Url base) throws HostParser.Failure {
        int[] c = preprocess(input).codePoints().toArray();
        int n = c.length;
        State state = State.SCHEME_START;
        StringBuilder buffer = new StringBuilder();
        String scheme = "";
        boolean special = false;
        String host = null;
        boolean atSignSeen = false;
        boolean insideBrackets = false;
        for (int p = 0; ; p++) {
            int ch = p >= 0 && p < n ? c[p] : EOF;
            switch (state) {
                case SCHEME_START:
                    if (ch != EOF && alpha(ch)) {
                        buffer.append(Character.toLowerCase((char) ch));
                        state = State.SCHEME;
                    } else {
                        state = State.NO_SCHEME;
                        p--;
                    }
                    break;
                case SCHEME:
                    if (ch != EOF && (alpha(ch) || (ch >= '0' && ch <= '9') || ch == '+' || ch == '-' || ch == '.')) {
                        buffer.append(Character.toLowerCase((char) ch));
                    } else if (ch == ':') {
                        scheme = buffer.toString();
                        special = SPECIAL.contains(scheme);
                        buffer.setLength(0);
                        if (scheme.equals("file")) {
                            state = State.FILE;
                        } else if (special && base != null && base.scheme().equals(scheme)) {
                            state = State.SPECIAL_RELATIVE_OR_AUTHORITY;
                        } else if (special) {
                            state = State.SPECIAL_AUTHORITY_SLASHES;
                        } else if (at(c, p + 1) == '/') {
                            state = State.PATH_OR_AUTHORITY;
                            p++;
                        } else {
                            return new Url(scheme, null, true);
                        }
                    } else {
                        buffer.setLength(0);
                        state = State.NO_SCHEME;
                        p = -1;
                    }
                    break;
                case NO_SCHEME:
                    if (base == null || (base.opaquePath() && ch != '#')) {
                        throw new HostParser.Failure(base == null ? "no scheme" : "relative URL against a base with an opaque path");
                    }
                    if (base.opaquePath()) {
                        return base;
                    }
                    state = base.scheme().equals("file") ? State.FILE : State.RELATIVE;
                    p--;
                    break;
                case SPECIAL_RELATIVE_OR_AUTHORITY:
                    if (ch == '/' && at(c, p + 1) == '/') {
                        state = State.SPECIAL_AUTHORITY_IGNORE_SLASHES;
                        p++;
                    } else {
                        state = State.RELATIVE;
                        p--;
                    }
                    break;
                case PATH_OR_AUTHORITY:
                    if (ch == '/') {
                        state = State.AUTHORITY;
                    } else {
                        return new Url(scheme, null, false);
                    }
                    break;
                case RELATIVE:
                    scheme = base.scheme();
                    special = SPECIAL.contains(scheme);
                    if (ch == '/' || (special && ch == '\\')) {
                        state = State.RELATIVE_SLASH;
                    } else {
                        return new Url(scheme, base.host(), false);
                    }
                    break;
                case RELATIVE_SLASH:
                    if (special && (ch == '/' || ch == '\\')) {
                        state = State.SPECIAL_AUTHORITY_IGNORE_SLASHES;
                    } else if (ch == '/') {
                        state = State.AUTHORITY;
                    } else {
                        return new Url(scheme, base.host(), false);
                    }
                    break;
                case SPECIAL_AUTHORITY_SLASHES:
                    if (ch == '/' && at(c, p + 1) == '/') {
                        p++;
                    } else {
                        p--;
                    }
                    state = State.SPECIAL_AUTHORITY_IGNORE_SLASHES;
                    break;
                case SPECIAL_AUTHORITY_IGNORE_SLASHES:
                    if (ch != '/' && ch != '\\') {
                        state = State.AUTHORITY;
                        p--;
                    }
                    break;
                case AUTHORITY:
                    if (ch == '@') {
                        // credentials: nothing to keep, but the host starts after the last '@'
                        atSignSeen = true;
                        buffer.setLength(0);
                    } else if (ch == EOF || ch == '/' || ch == '?' || ch == '#' || (special && ch == '\\')) {
                        if (atSignSeen && buffer.length() == 0) {
                            throw new HostParser.Failure("credentials without a host");
                        }
                        p -= buffer.codePointCount(0, buffer.length()) + 1;
                        buffer.setLength(0);
                        state = State.HOST;
                    } else {
                        buffer.appendCodePoint(ch);
                    }
                    break;
                case HOST:
                    if (ch == ':' && !insideBrackets) {
                        if (buffer.length() == 0) {
                            throw new HostParser.Failure("empty host");
                        }
                        host = HostParser.parse(buffer.toString(), special);
                        buffer.setLength(0);
                        state = State.PORT;
                    } else if (ch == EOF || ch == '/' || ch == '?' || ch == '#' || (special && ch == '\\')) {
                        if (special && buffer.length() == 0) {
                            throw new HostParser.Failure("empty host");
                        }
                        return new Url(scheme, HostParser.parse(buffer.toString(), special), false);
                    } else {
                        if (ch == '[') {
                            insideBrackets = true;
                        } else if (ch == ']') {
                            insideBrackets = false;
                        }
                        buffer.appendCodePoint(ch);
                    }
                    break;
                case PORT:
                    if (ch >= '0' && ch <= '9') {
                        buffer.append((char) ch);
                    } else if (ch == EOF || ch == '/' || ch == '?' || ch == '#' || (special && ch == '\\')) {
                        String digits = buffer.toString().replaceFirst("^0+(?=.)", "");
                        if (digits.length() > 5 || Integer.parseInt(digits.isEmpty() ? "0" : digits) > 65535) {
                            throw new HostParser.Failure("port out of range");
                        }
                        return new Url(scheme, host, false);
                    } else {
                        throw new HostParser.Failure(String.format("U+%04X in port", ch));
                    }
                    break;
                case FILE:
                    scheme = "file";
                    special = true;
                    if (ch == '/' || ch == '\\') {
                        state = State.FILE_SLASH;
                    } else {
                        return new Url("file", base != null && base.scheme().equals("file") ? base.host() : "", false);
                    }
                    break;
                case FILE_SLASH:
                    if (ch == '/' || ch == '\\') {
                        state = State.FILE_HOST;
                    } else {
                        return new Url("file", base != null && base.scheme().equals("file") ? base.host() : "", false);
                    }
                    break;
                case FILE_HOST:
                    if (ch == EOF || ch == '/' || ch == '\\' || ch == '?' || ch == '#') {
                        if (buffer.length() == 0 || windowsDriveLetter(buffer)) {
                            // "file://C:/x" is a path on this machine, not a host named C
                            return new Url("file", "", false);
                        }
                        String h = HostParser.parse(buffer.toString(), true);
                        return new Url("file", h.equals("localhost") ? "" : h, false);
                    }
                    buffer.appendCodePoint(ch);
                    break;
                default:
                    throw new IllegalStateException(state.name());
            }
            if (p >= n) {
                // the standard's loop ends after a run at EOF; every state above returns by then
                throw new IllegalStateException("URL parser ran past the end in state " + state);
            }
        }
    }

    private static boolean windowsDriveLetter(CharSequence s) {
        return s.length() == 2 && alpha(s.charAt(0)) && (s.charAt(1) == ':' || s.charAt(1) == '|');
    }

    private static boolean alpha(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    private static int at(int[] c, int i) {
        return i >= 0 && i < c.length ? c[i] : EOF;
    }
}
