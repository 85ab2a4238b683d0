package dev.agt.engine.policy;

import java.util.regex.Pattern;

/**
 * Glob patterns for paths, hosts and names.
 *
 * <ul>
 *   <li>{@code *} matches any run of characters within one segment (not the separator);</li>
 *   <li>{@code **} as a whole segment matches zero or more segments: {@code /a/**} is everything
 *       below {@code /a} (not {@code /a} itself), {@code /a/**}{@code /b} matches {@code /a/b} and
 *       {@code /a/x/y/b}, {@code **}{@code /.env} matches {@code .env} in any directory;</li>
 *   <li>{@code ?} matches one character other than the separator;</li>
 *   <li>{@code {a,b}} matches either alternative (alternatives hold no wildcards of their own
 *       other than {@code *} and {@code ?});</li>
 *   <li>{@code \} makes the next character literal. Everything else is literal.</li>
 * </ul>
 * The separator is {@code /} for paths and {@code .} for hosts (where {@code **.example.com}
 * matches {@code example.com} and every name below it); names (tools, servers) have none.
 * Host globs match case-insensitively.
 */
public final class Glob {
    /** Separator characters by kind. */
    public enum Kind {
        PATH('/'), HOST('.'), NAME((char) 0);

        final char sep;

        Kind(char sep) {
            this.sep = sep;
        }
    }

    private final String text;
    private final Pattern regex;
    private final String literal;
    private final boolean exact;

    private Glob(String text, Pattern regex, String literal, boolean exact) {
        this.text = text;
        this.regex = regex;
        this.literal = literal;
        this.exact = exact;
    }

    /**
     * Compiles a glob.
     *
     * @throws IllegalArgumentException with a message for people when the glob is malformed
     */
    public static Glob compile(String text, Kind kind) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException("empty pattern");
        }
        String src = kind == Kind.HOST ? text.toLowerCase(java.util.Locale.ROOT) : text;
        StringBuilder re = new StringBuilder();
        StringBuilder lit = new StringBuilder();
        boolean wild = false;
        boolean inBrace = false;
        char sep = kind.sep;
        String notSep = sep == 0 ? "." : "[^" + Pattern.quote(String.valueOf(sep)).replace("\\Q", "").replace("\\E", "") + "]";
        if (sep == '.') {
            notSep = "[^.]";
        } else if (sep == '/') {
            notSep = "[^/]";
        }
        for (int i = 0; i < src.length(); i++) {
            char c = src.charAt(i);
            switch (c) {
                case '\\': {
                    if (i + 1 >= src.length()) {
                        throw new IllegalArgumentException("pattern ends with a lone backslash");
                    }
                    char n = src.charAt(++i);
                    re.append(Pattern.quote(String.valueOf(n)));
                    if (!wild) {
                        lit.append(n);
                    }
                    break;
                }
                case '*': {
                    boolean dbl = i + 1 < src.length() && src.charAt(i + 1) == '*';
                    if (dbl && sep != 0) {
                        if (inBrace) {
                            throw new IllegalArgumentException("'**' is not allowed inside {...}");
                        }
                        boolean startsSeg = i == 0 || src.charAt(i - 1) == sep;
                        boolean endsSeg = i + 2 == src.length() || src.charAt(i + 2) == sep;
                        if (!startsSeg || !endsSeg) {
                            throw new IllegalArgumentException("'**' must be a whole segment (between '" + sep + "'s)");
                        }
                        if (i + 2 == src.length()) {
                            re.append(".*"); // a/** : anything below
                            i += 1;
                        } else {
                            re.append("(?:.*" + Pattern.quote(String.valueOf(sep)) + ")?"); // **/ : zero or more segments
                            i += 2;
                        }
                    } else {
                        if (dbl) {
                            i += 1; // names have no segments: ** is the same as *
                        }
                        re.append(sep == 0 ? ".*" : notSep + "*");
                    }
                    wild = true;
                    break;
                }
                case '?':
                    re.append(sep == 0 ? "." : notSep);
                    wild = true;
                    break;
                case '{':
                    if (inBrace) {
                        throw new IllegalArgumentException("nested '{' is not supported");
                    }
                    inBrace = true;
                    wild = true;
                    re.append("(?:");
                    break;
                case ',':
                    re.append(inBrace ? "|" : Pattern.quote(","));
                    if (!inBrace && !wild) {
                        lit.append(c);
                    }
                    break;
                case '}':
                    if (!inBrace) {
                        throw new IllegalArgumentException("'}' without '{'");
                    }
                    inBrace = false;
                    re.append(")");
                    break;
                default:
                    re.append(Pattern.quote(String.valueOf(c)));
                    if (!wild) {
                        lit.append(c);
                    }
            }
        }
        if (inBrace) {
            throw new IllegalArgumentException("'{' without '}'");
        }
        return new Glob(text, wild ? Pattern.compile(re.toString(), Pattern.DOTALL) : null, lit.toString(), !wild);
    }

    public boolean matches(String s) {
        return exact ? literal.equals(s) : regex.matcher(s).matches();
    }

    /** True when the glob has no wildcard. */
    public boolean isExact() {
        return exact;
    }

    /** The literal text before the first wildcard (the whole text when exact). */
    public String literalPrefix() {
        return literal;
    }

    /** The literal text after the last wildcard, or null when exact. */
    public String literalSuffix() {
        if (exact) {
            return null;
        }
        int last = -1;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == '*' || c == '?' || c == '{' || c == '}' || c == ',') {
                last = i;
            }
        }
        String tail = text.substring(last + 1);
        return tail.contains("\\") ? "" : tail.toLowerCase(java.util.Locale.ROOT);
    }

    public String text() {
        return text;
    }

    /** Escapes a literal so it matches only itself inside a glob. */
    public static String escape(String literal) {
        StringBuilder b = new StringBuilder(literal.length() + 8);
        for (int i = 0; i < literal.length(); i++) {
            char c = literal.charAt(i);
            if ("*?{},\\".indexOf(c) >= 0) {
                b.append('\\');
            }
            b.append(c);
        }
        return b.toString();
    }

    @Override
    public String toString() {
        return text;
    }
}
