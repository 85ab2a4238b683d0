package dev.agt.protocol;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The first frame of a session, {@code {protocol: 1, name, [pid], [mode], [admin: true], [java],
 * [did], [chain]}} (protocol/README.md). {@link #parse} is the one reading of it: the engine
 * refuses a body it rejects with the exception's code ({@code unsupported-version} or {@code
 * bad-hello}), and the client checks its own HELLO the same way before sending it.
 *
 * @param name  the declared agent name ({@link #NAME})
 * @param pid   the declared process id, or {@link #NO_PID}
 * @param admin an admin session ({@code agt engine status}, {@code agt kill}): admin frames only, no DID
 * @param java  the agent JVM's {@code java.version}, for the log, or empty
 * @param did   the DID the agent will prove it holds (the handshake follows), or empty
 * @param chain the delegation tokens from the registered root down to {@code did}; only with a DID
 * @param lineage the session-label lineage to join (a child JVM's parent's, as the engine gave it), or empty for a new one
 */
public record Hello(String name, long pid, Mode mode, boolean admin, String java, Optional<String> did, List<String> chain,
                    Optional<String> lineage) {
    /** A lineage id as the engine hands them out: 22 base64url characters (128 random bits). */
    public static final Pattern LINEAGE = Pattern.compile("[A-Za-z0-9_-]{22}");
    /** An agent name (or a DID, which fits it): 1-128 letters, digits or {@code _.:@/-}, starting with a letter or digit. */
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:@/-]{0,127}");
    /** {@link #pid} of a HELLO that declared none. */
    public static final long NO_PID = -1;
    static final Set<String> KEYS = Set.of("protocol", "name", "pid", "mode", "admin", "java", "did", "chain", "lineage");

    /** A HELLO that joins no lineage. */
    public Hello(String name, long pid, Mode mode, boolean admin, String java, Optional<String> did, List<String> chain) {
        this(name, pid, mode, admin, java, did, chain, Optional.empty());
    }

    /** What the agent does with a denial: enforce it, or log it and let the call through. */
    public enum Mode {
        ENFORCE("enforce"), MONITOR("monitor");

        private final String key;

        Mode(String key) {
            this.key = key;
        }

        public String key() {
            return key;
        }
    }

    public Hello {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(java, "java");
        Objects.requireNonNull(did, "did");
        Objects.requireNonNull(lineage, "lineage");
        chain = List.copyOf(chain);
    }

    /** Reads a HELLO body, refusing anything but the documented shape; the message says what was wrong. */
    public static Hello parse(Map<String, Object> body) throws ProtocolException {
        // the version first: another version may shape everything else differently
        Object proto = body.get("protocol");
        if (!Long.valueOf(Frame.VERSION).equals(proto)) {
            throw new ProtocolException(Reasons.UNSUPPORTED_VERSION, "this side speaks protocol " + Frame.VERSION + ", the HELLO said "
                    + (proto == null ? "none" : ValueCodec.clip(String.valueOf(proto))));
        }
        for (String k : body.keySet()) {
            if (!KEYS.contains(k)) {
                throw bad("unknown HELLO field '" + ValueCodec.clip(k) + "' (fields: protocol, name, pid, mode, admin, java, did, chain, lineage)");
            }
        }
        Object name = body.get("name");
        if (!(name instanceof String n) || !NAME.matcher(n).matches()) {
            throw bad("agent name must be 1-128 letters, digits or _.:@/- (got " + (name == null ? "none" : ValueCodec.clip(String.valueOf(name))) + ")");
        }
        Object pid = body.getOrDefault("pid", NO_PID);
        if (!(pid instanceof Long p) || p < NO_PID) {
            throw bad("pid must be a process id (a non-negative integer)");
        }
        Object mode = body.getOrDefault("mode", Mode.ENFORCE.key());
        Mode m;
        if (Mode.ENFORCE.key().equals(mode)) {
            m = Mode.ENFORCE;
        } else if (Mode.MONITOR.key().equals(mode)) {
            m = Mode.MONITOR;
        } else {
            throw bad("mode must be 'enforce' or 'monitor'");
        }
        Object admin = body.getOrDefault("admin", false);
        if (!(admin instanceof Boolean a)) {
            throw bad("admin must be a boolean");
        }
        Object java = body.getOrDefault("java", "");
        if (!(java instanceof String j) || j.length() > 64) {
            throw bad("java must be a version string of at most 64 characters");
        }
        Object did = body.get("did");
        Object chain = body.get("chain");
        List<String> links = new ArrayList<>();
        if (chain != null) {
            if (!(chain instanceof List<?> l) || l.size() > Handshake.MAX_CHAIN || !l.stream().allMatch(x -> x instanceof String)) {
                throw bad("chain must be a list of at most " + Handshake.MAX_CHAIN + " token strings");
            }
            l.forEach(x -> links.add((String) x));
        }
        if (did == null && chain != null) {
            throw bad("a HELLO with a chain must name the presenting did");
        }
        if (did != null && !(did instanceof String d && !d.isEmpty())) {
            throw bad("did must be a non-empty string");
        }
        if (did != null && a) {
            throw bad("an admin session names no did (admin requests are taken from the engine's own user, not from an identity)");
        }
        Object lineage = body.get("lineage");
        if (lineage != null && !(lineage instanceof String l && LINEAGE.matcher(l).matches())) {
            throw bad("lineage must be the 22-character id the engine gave the parent session");
        }
        if (lineage != null && a) {
            throw bad("an admin session joins no lineage");
        }
        return new Hello(n, p, m, a, j, Optional.ofNullable((String) did), links, Optional.ofNullable((String) lineage));
    }

    /** The HELLO body, which {@link #parse} reads back as this record. */
    public Map<String, Object> toBody() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("protocol", (long) Frame.VERSION);
        m.put("name", name);
        if (pid != NO_PID) {
            m.put("pid", pid);
        }
        m.put("mode", mode.key());
        if (admin) {
            m.put("admin", true);
        }
        if (!java.isEmpty()) {
            m.put("java", java);
        }
        did.ifPresent(d -> m.put("did", d));
        lineage.ifPresent(l -> m.put("lineage", l));
        if (!chain.isEmpty()) {
            m.put("chain", chain);
        }
        return m;
    }

    private static ProtocolException bad(String message) {
        return new ProtocolException(Reasons.BAD_HELLO, message);
    }
}
