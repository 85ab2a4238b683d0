package dev.agt.engine.policy;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The host a URL value names, for {@code where: {pointer: ..., host: ...}}: either a canonical host
 * or, when none can be established, {@link Unparseable}, which a condition treats as fail closed
 * (see {@link Condition.Where}).
 *
 * <p>{@link #of(String)} is the extractor: the WHATWG URL Standard's reading ({@link UrlParser},
 * {@link HostParser}), which browsers and the HTTP clients that follow the standard use.
 * {@link #readings(Object)} is what a policy decides on: every way a real client may read the
 * value, because the MCP server, not the engine, makes the request:
 * <ul>
 *   <li>a URL with a special scheme is read by the standard, and also as RFC 3986 splits an
 *       authority (up to the first {@code /}, {@code ?} or {@code #}; the host after the last
 *       {@code @}), as Python's {@code urllib} and {@code httpx} do: for
 *       {@code https://good.example\@evil.example/} the standard says {@code good.example}
 *       and httpx connects to {@code evil.example};</li>
 *   <li>another scheme followed by {@code //} ({@code gopher://}, {@code git://}) by its authority,
 *       the host read as a domain;</li>
 *   <li>a value with no scheme ({@code evil.example/x}, {@code //evil.example}), or whose "scheme"
 *       could be a host ({@code evil.example:443/x}, {@code localhost:8080}), as a client that puts
 *       {@code https://} in front of it reads it, which is what many MCP fetch tools do; a bare
 *       IPv6 address as that address;</li>
 *   <li>an IPv4-mapped IPv6 address ({@code [::ffff:7f00:1]}) also as the IPv4 address it reaches.</li>
 * </ul>
 * A reading in which a client finds no host at all (RFC 3986 on {@code https:evil.example}) is left
 * out: that client fetches nothing. A value with no reading at all is {@link Unparseable}.
 */
sealed interface UrlHost {

    /** A canonical host: lowercase ASCII (punycode), dotted IPv4, {@code [ipv6]}, or "" for a local file URL. */
    record Host(String name) implements UrlHost {
    }

    /** No host could be established; {@code why} is for people. */
    record Unparseable(String why) implements UrlHost {
    }

    /** The host of {@code url} by the WHATWG URL Standard, with no base URL. */
    static UrlHost of(String url) {
        return of(url, null);
    }

    /** The host of {@code url} resolved against {@code base} (null for none) by the WHATWG URL Standard. */
    static UrlHost of(String url, String base) {
        try {
            UrlParser.Url b = base == null ? null : UrlParser.parse(base, null);
            UrlParser.Url u = UrlParser.parse(url, b);
            return u.host() == null ? new Unparseable("the URL names no host") : new Host(u.host());
        } catch (HostParser.Failure f) {
            return new Unparseable(f.getMessage());
        }
    }

    /** Every host a client may take {@code value} (an argument of a tool call) to name; never empty. */
    static List<UrlHost> readings(Object value) {
        if (!(value instanceof String raw)) {
            return List.of(new Unparseable("not a string"));
        }
        String s = UrlParser.preprocess(raw);
        String scheme = UrlParser.scheme(s);
        Set<UrlHost> out = new LinkedHashSet<>();
        if (scheme != null && UrlParser.SPECIAL.contains(scheme)) {
            out.add(of(s));
            rfc3986(s, scheme, out);
        } else if (scheme != null && s.startsWith("//", scheme.length() + 1)) {
            rfc3986(s, scheme, out);
        } else {
            String ipv6 = HostParser.bareIpv6(s);
            if (ipv6 != null) {
                out.add(new Host(ipv6));
            } else {
                String https = s.startsWith("/") || s.startsWith("\\") ? "https:" + s : "https://" + s;
                out.add(of(https));
                rfc3986(https, "https", out);
            }
        }
        if (out.isEmpty()) {
            out.add(new Unparseable("no client reads a host in it"));
        }
        List<UrlHost> all = new ArrayList<>(out);
        for (UrlHost r : out) {
            if (r instanceof Host h && h.name().startsWith("[::ffff:")) {
                // an IPv4-mapped IPv6 address reaches the IPv4 address (as `cidrs` counts it): read both
                String v4 = ipv4Mapped(h.name());
                if (v4 != null) {
                    all.add(new Host(v4));
                }
            }
        }
        return List.copyOf(all);
    }

    private static String ipv4Mapped(String bracketed) {
        try {
            int[] a = HostParser.parseIpv6(bracketed.substring(1, bracketed.length() - 1));
            for (int i = 0; i < 5; i++) {
                if (a[i] != 0) {
                    return null;
                }
            }
            return a[5] != 0xFFFF ? null : (a[6] >>> 8) + "." + (a[6] & 0xFF) + "." + (a[7] >>> 8) + "." + (a[7] & 0xFF);
        } catch (HostParser.Failure notAnAddress) {
            return null;
        }
    }

    /** RFC 3986's reading of {@code scheme://authority}: the host after the last '@', before a ':'. */
    private static void rfc3986(String s, String scheme, Set<UrlHost> out) {
        int start = scheme.length() + 1;
        if (!s.startsWith("//", start)) {
            return;
        }
        start += 2;
        int end = start;
        while (end < s.length() && "/?#".indexOf(s.charAt(end)) < 0) {
            end++;
        }
        String authority = s.substring(start, end);
        String hostPort = authority.substring(authority.lastIndexOf('@') + 1);
        String host;
        if (hostPort.startsWith("[")) {
            int close = hostPort.indexOf(']');
            host = close < 0 ? hostPort : hostPort.substring(0, close + 1);
        } else {
            int colon = hostPort.indexOf(':');
            host = colon < 0 ? hostPort : hostPort.substring(0, colon);
        }
        if (host.isEmpty()) {
            return;
        }
        try {
            out.add(new Host(HostParser.parse(host, true)));
        } catch (HostParser.Failure f) {
            out.add(new Unparseable(f.getMessage()));
        }
    }
}
