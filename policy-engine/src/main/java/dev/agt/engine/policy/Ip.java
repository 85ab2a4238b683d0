package dev.agt.engine.policy;

import java.util.Arrays;

/**
 * IP literals and CIDR blocks, parsed by hand: {@code InetAddress.getByName} would do a DNS
 * lookup for anything that is not a literal, and evaluation must never do I/O. IPv4-mapped IPv6
 * addresses ({@code ::ffff:10.0.0.1}) are treated as the IPv4 address they carry, so a v4 block
 * cannot be bypassed by writing the same address the v6 way.
 */
public final class Ip {
    private Ip() {
    }

    /** The address bytes (4 or 16), or null when {@code s} is not an IP literal. */
    public static byte[] parse(String s) {
        if (s == null || s.isEmpty()) {
            return null;
        }
        if (s.startsWith("[") && s.endsWith("]")) {
            s = s.substring(1, s.length() - 1);
        }
        int zone = s.indexOf('%');
        if (zone >= 0) {
            s = s.substring(0, zone);
        }
        if (s.indexOf(':') >= 0) {
            byte[] v6 = parse6(s);
            if (v6 != null && isV4Mapped(v6)) {
                return Arrays.copyOfRange(v6, 12, 16);
            }
            return v6;
        }
        return parse4(s);
    }

    private static boolean isV4Mapped(byte[] a) {
        for (int i = 0; i < 10; i++) {
            if (a[i] != 0) {
                return false;
            }
        }
        return a[10] == (byte) 0xff && a[11] == (byte) 0xff;
    }

    static byte[] parse4(String s) {
        byte[] out = new byte[4];
        int part = 0;
        int value = -1;
        int digits = 0;
        for (int i = 0; i <= s.length(); i++) {
            char c = i < s.length() ? s.charAt(i) : '.';
            if (c == '.') {
                if (value < 0 || part > 3) {
                    return null;
                }
                out[part++] = (byte) value;
                value = -1;
                digits = 0;
            } else if (c >= '0' && c <= '9') {
                // leading zeros are refused: some resolvers read them as octal
                if (digits > 0 && value == 0) {
                    return null;
                }
                value = (value < 0 ? 0 : value * 10) + (c - '0');
                if (++digits > 3 || value > 255) {
                    return null;
                }
            } else {
                return null;
            }
        }
        return part == 4 ? out : null;
    }

    static byte[] parse6(String s) {
        int dbl = s.indexOf("::");
        if (dbl >= 0 && s.indexOf("::", dbl + 1) >= 0) {
            return null;
        }
        String head = dbl >= 0 ? s.substring(0, dbl) : s;
        String tail = dbl >= 0 ? s.substring(dbl + 2) : "";
        int[] h = groups(head);
        int[] t = groups(tail);
        if (h == null || t == null) {
            return null;
        }
        int total = h.length + t.length;
        if (dbl < 0 ? total != 8 : total > 7) {
            return null;
        }
        byte[] out = new byte[16];
        int idx = 0;
        for (int g : h) {
            if (g < 0) {
                return null; // an embedded v4 only at the very end
            }
            out[idx++] = (byte) (g >>> 8);
            out[idx++] = (byte) g;
        }
        idx = 16 - t.length * 2;
        for (int i = 0; i < t.length; i++) {
            int g = t[i];
            out[idx++] = (byte) (g >>> 8);
            out[idx++] = (byte) g;
        }
        return out;
    }

    /** Hex groups; an embedded dotted IPv4 at the end counts as two groups. */
    private static int[] groups(String s) {
        if (s.isEmpty()) {
            return new int[0];
        }
        String[] parts = s.split(":", -1);
        int n = parts.length;
        boolean v4 = parts[n - 1].indexOf('.') >= 0;
        int[] out = new int[v4 ? n + 1 : n];
        for (int i = 0; i < n; i++) {
            String p = parts[i];
            if (v4 && i == n - 1) {
                byte[] b = parse4(p);
                if (b == null) {
                    return null;
                }
                out[i] = ((b[0] & 0xff) << 8) | (b[1] & 0xff);
                out[i + 1] = ((b[2] & 0xff) << 8) | (b[3] & 0xff);
                break;
            }
            if (p.isEmpty() || p.length() > 4) {
                return null;
            }
            int g = 0;
            for (int k = 0; k < p.length(); k++) {
                int d = Character.digit(p.charAt(k), 16);
                if (d < 0) {
                    return null;
                }
                g = g * 16 + d;
            }
            out[i] = g;
        }
        return out;
    }

    /** A CIDR block such as {@code 10.0.0.0/8} or {@code fd00::/8}. */
    public record Cidr(byte[] network, int prefix, String text) {

        /**
         * @throws IllegalArgumentException when the text is not a CIDR or has host bits set
         */
        public static Cidr parse(String text) {
            int slash = text.indexOf('/');
            String addr = slash < 0 ? text : text.substring(0, slash);
            byte[] net = Ip.parse(addr);
            if (net == null) {
                throw new IllegalArgumentException("'" + addr + "' is not an IP address");
            }
            int bits = net.length * 8;
            int prefix = bits;
            if (slash >= 0) {
                String p = text.substring(slash + 1);
                if (!p.matches("[0-9]{1,3}")) {
                    throw new IllegalArgumentException("prefix length '" + p + "' is not a number");
                }
                prefix = Integer.parseInt(p);
                if (addr.indexOf(':') >= 0 && net.length == 4) {
                    prefix -= 96; // ::ffff:a.b.c.d/N
                }
                if (prefix < 0 || prefix > bits) {
                    throw new IllegalArgumentException("prefix length /" + p + " is out of range 0.." + bits);
                }
            }
            for (int i = prefix; i < bits; i++) {
                if ((net[i / 8] & (0x80 >>> (i % 8))) != 0) {
                    throw new IllegalArgumentException("'" + text + "' has host bits set; did you mean "
                            + masked(net, prefix) + "/" + prefix + "?");
                }
            }
            return new Cidr(net, prefix, text);
        }

        private static String masked(byte[] net, int prefix) {
            byte[] m = net.clone();
            for (int i = prefix; i < m.length * 8; i++) {
                m[i / 8] &= (byte) ~(0x80 >>> (i % 8));
            }
            if (m.length == 4) {
                return (m[0] & 0xff) + "." + (m[1] & 0xff) + "." + (m[2] & 0xff) + "." + (m[3] & 0xff);
            }
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < 16; i += 2) {
                if (i > 0) {
                    b.append(':');
                }
                b.append(Integer.toHexString(((m[i] & 0xff) << 8) | (m[i + 1] & 0xff)));
            }
            return b.toString();
        }

        public boolean contains(byte[] addr) {
            if (addr == null || addr.length != network.length) {
                return false;
            }
            int full = prefix / 8;
            for (int i = 0; i < full; i++) {
                if (addr[i] != network[i]) {
                    return false;
                }
            }
            int rest = prefix % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xff << (8 - rest)) & 0xff;
            return (addr[full] & mask) == (network[full] & mask);
        }
    }
}
