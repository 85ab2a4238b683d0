package dev.agt.identity;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The agent registry: which DIDs are agents the engine knows, under which name and labels, and
 * which are revoked. An immutable snapshot; changes make a new one.
 *
 * <pre>
 * {
 *   "version": 1,
 *   "agents": [
 *     {"created":"2026-05-01T10:00:00Z","did":"did:key:z6Mk...","labels":{"team":"research"},"name":"research","revoked":false},
 *     {"created":"...","did":"...","labels":{},"name":"old","revoked":true,"revoked_at":"2026-05-02T09:00:00Z"}
 *   ]
 * }
 * </pre>
 * Names and DIDs are unique. A revoked agent stays listed: a revoked DID must stay known as
 * revoked, not become unknown (which a chain rooted elsewhere could then reuse as a child).
 *
 * <p>The file is written whole, to a temp file created mode 0600, synced and renamed over the old
 * one: a reader sees the old registry or the new, never half of one. {@link #update} serializes
 * writers with a lock file beside it.
 */
public final class Registry implements Delegation.Roots {
    static final int FORMAT = 1;
    public static final int MAX_AGENTS = 100_000;
    static final long MAX_BYTES = 64L * 1024 * 1024;
    /** As the engine takes declared names; a registry name may not start with {@code did:} (it would read as a DID). */
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:@/-]{0,127}");
    public static final Pattern LABEL_KEY = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");
    private static final Set<String> TOP = Set.of("version", "agents");
    private static final Set<String> ENTRY = Set.of("did", "name", "labels", "created", "revoked", "revoked_at");

    /** One registered agent. {@code revokedAt} is present exactly when {@code revoked}. */
    public record Entry(String did, String name, Map<String, String> labels, Instant created, boolean revoked, Optional<Instant> revokedAt) {
        public Entry {
            labels = Collections.unmodifiableMap(new TreeMap<>(labels));
        }

        /** A new, active agent. */
        public static Entry create(String did, String name, Map<String, String> labels, Instant created) throws IdentityException {
            DidKey.check(did);
            String bad = nameProblem(name);
            if (bad != null) {
                throw new IdentityException(IdentityException.REGISTRY, bad);
            }
            for (Map.Entry<String, String> l : labels.entrySet()) {
                bad = labelProblem(l.getKey(), l.getValue());
                if (bad != null) {
                    throw new IdentityException(IdentityException.REGISTRY, bad);
                }
            }
            return new Entry(did, name, labels, created, false, Optional.empty());
        }

        Map<String, Object> toJson() {
            Map<String, Object> m = new TreeMap<>();
            m.put("did", did);
            m.put("name", name);
            m.put("labels", new TreeMap<>(labels));
            m.put("created", created.toString());
            m.put("revoked", revoked);
            revokedAt.ifPresent(t -> m.put("revoked_at", t.toString()));
            return m;
        }
    }

    private final List<Entry> entries;
    private final Map<String, Entry> byDid;
    private final Map<String, Entry> byName;

    private Registry(List<Entry> entries) {
        this.entries = List.copyOf(entries);
        Map<String, Entry> d = new HashMap<>();
        Map<String, Entry> n = new HashMap<>();
        for (Entry e : entries) {
            d.put(e.did(), e);
            n.put(e.name(), e);
        }
        this.byDid = Map.copyOf(d);
        this.byName = Map.copyOf(n);
    }

    public static Registry empty() {
        return new Registry(List.of());
    }

    public List<Entry> entries() {
        return entries;
    }

    public Optional<Entry> byDid(String did) {
        return Optional.ofNullable(byDid.get(did));
    }

    public Optional<Entry> byName(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** By DID when the text starts with {@code did:}, else by name. */
    public Optional<Entry> find(String nameOrDid) {
        return nameOrDid.startsWith("did:") ? byDid(nameOrDid) : byName(nameOrDid);
    }

    @Override
    public Delegation.Status status(String did) {
        Entry e = byDid.get(did);
        return e == null ? Delegation.Status.UNKNOWN : e.revoked() ? Delegation.Status.REVOKED : Delegation.Status.ACTIVE;
    }

    /** This registry plus a new agent; refuses a name or DID already registered (revoked ones included). */
    public Registry with(Entry e) throws IdentityException {
        if (byName.containsKey(e.name())) {
            throw new IdentityException(IdentityException.REGISTRY, "an agent named '" + e.name() + "' is already registered ("
                    + byName.get(e.name()).did() + (byName.get(e.name()).revoked() ? ", revoked" : "") + ")");
        }
        if (byDid.containsKey(e.did())) {
            throw new IdentityException(IdentityException.REGISTRY, e.did() + " is already registered as '" + byDid.get(e.did()).name() + "'");
        }
        if (entries.size() >= MAX_AGENTS) {
            throw new IdentityException(IdentityException.REGISTRY, "the registry is full (" + MAX_AGENTS + " agents)");
        }
        List<Entry> next = new ArrayList<>(entries);
        next.add(e);
        return new Registry(next);
    }

    /** This registry with the agent (by name or DID) revoked at {@code at}; unchanged when it already is. */
    public Registry revoke(String nameOrDid, Instant at) throws IdentityException {
        Entry e = find(nameOrDid).orElseThrow(() -> new IdentityException(IdentityException.UNKNOWN_AGENT,
                "no agent '" + nameOrDid + "' in the registry"));
        if (e.revoked()) {
            return this;
        }
        List<Entry> next = new ArrayList<>();
        for (Entry x : entries) {
            next.add(x == e ? new Entry(x.did(), x.name(), x.labels(), x.created(), true, Optional.of(at)) : x);
        }
        return new Registry(next);
    }

    /** The file's text: one agent per line, each in canonical JSON. */
    public String format() {
        StringBuilder b = new StringBuilder("{\n  \"version\": " + FORMAT + ",\n  \"agents\": [");
        for (int i = 0; i < entries.size(); i++) {
            b.append(i == 0 ? "\n    " : ",\n    ").append(CanonicalJson.string(entries.get(i).toJson()));
        }
        b.append(entries.isEmpty() ? "]\n}\n" : "\n  ]\n}\n");
        return b.toString();
    }

    /** Reads a registry file; a file that does not exist is an empty registry. */
    public static Registry read(Path file) throws IOException, IdentityException {
        byte[] bytes;
        try {
            if (Files.size(file) > MAX_BYTES) {
                throw new IdentityException(IdentityException.REGISTRY, file + ": larger than " + MAX_BYTES + " bytes");
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return empty();
        }
        return parse(file.toString(), new String(bytes, StandardCharsets.UTF_8));
    }

    /**
     * Reads registry text.
     *
     * @param source the file name for messages: {@code FILE:LINE:COLUMN: ...}
     */
    public static Registry parse(String source, String text) throws IdentityException {
        Json.Parsed p;
        try {
            p = Json.parse(text);
        } catch (Json.Syntax e) {
            throw at(source, e.pos, e.getMessage());
        }
        if (!(p.value() instanceof Map<?, ?> root)) {
            throw at(source, p.at(""), "the registry is a JSON object with version and agents");
        }
        fields(source, p, "", root, TOP, TOP);
        if (!Long.valueOf(FORMAT).equals(root.get("version"))) {
            throw at(source, p.at(".version"), "registry version " + root.get("version") + "; this build reads version " + FORMAT);
        }
        if (!(root.get("agents") instanceof List<?> list)) {
            throw at(source, p.at(".agents"), "'agents' must be a list");
        }
        if (list.size() > MAX_AGENTS) {
            throw at(source, p.at(".agents"), list.size() + " agents; at most " + MAX_AGENTS);
        }
        List<Entry> out = new ArrayList<>();
        Map<String, String> names = new HashMap<>();
        Map<String, String> dids = new HashMap<>();
        for (int i = 0; i < list.size(); i++) {
            String path = ".agents[" + i + "]";
            if (!(list.get(i) instanceof Map<?, ?> m)) {
                throw at(source, p.at(path), "agents[" + i + "] must be an object");
            }
            fields(source, p, path, m, ENTRY, Set.of("did", "name", "labels", "created", "revoked"));
            String did = string(source, p, path, m, "did");
            try {
                DidKey.check(did);
            } catch (IdentityException e) {
                throw at(source, p.at(path + ".did"), e.getMessage());
            }
            String name = string(source, p, path, m, "name");
            String bad = nameProblem(name);
            if (bad != null) {
                throw at(source, p.at(path + ".name"), bad);
            }
            if (!(m.get("labels") instanceof Map<?, ?> lm)) {
                throw at(source, p.at(path + ".labels"), "labels must be an object of strings");
            }
            Map<String, String> labels = new LinkedHashMap<>();
            for (Map.Entry<?, ?> l : lm.entrySet()) {
                String k = (String) l.getKey();
                if (!(l.getValue() instanceof String v)) {
                    throw at(source, p.at(path + ".labels." + k), "label '" + k + "' must be a string");
                }
                bad = labelProblem(k, v);
                if (bad != null) {
                    throw at(source, p.at(path + ".labels." + k), bad);
                }
                labels.put(k, v);
            }
            Instant created = instant(source, p, path, m, "created");
            if (!(m.get("revoked") instanceof Boolean revoked)) {
                throw at(source, p.at(path + ".revoked"), "revoked must be true or false");
            }
            Optional<Instant> revokedAt = Optional.empty();
            if (m.containsKey("revoked_at")) {
                if (!revoked) {
                    throw at(source, p.at(path + ".revoked_at"), "revoked_at is only for a revoked agent");
                }
                revokedAt = Optional.of(instant(source, p, path, m, "revoked_at"));
            }
            String earlier = names.put(name, path);
            if (earlier != null) {
                throw at(source, p.at(path + ".name"), "the name '" + name + "' is registered twice (also at " + p.at(earlier + ".name") + ")");
            }
            earlier = dids.put(did, path);
            if (earlier != null) {
                throw at(source, p.at(path + ".did"), did + " is registered twice (also at " + p.at(earlier + ".did") + ")");
            }
            out.add(new Entry(did, name, labels, created, revoked, revokedAt));
        }
        return new Registry(out);
    }

    /** Writes the registry whole: temp file (mode 0600), sync, atomic rename, sync of the directory. */
    public void write(Path file) throws IOException {
        AtomicFile.write(file, format().getBytes(StandardCharsets.UTF_8));
    }

    /** A change to the registry; may refuse. */
    @FunctionalInterface
    public interface Change {
        Registry apply(Registry current) throws IdentityException;
    }

    /**
     * Reads the registry, applies {@code change} and writes the result when it differs, holding a
     * lock on {@code FILE.lock} throughout so that two concurrent changes never lose one another.
     *
     * @return the registry as written (or as it was, when unchanged)
     */
    public static Registry update(Path file, Change change) throws IOException, IdentityException {
        // a file lock is held for the whole JVM (a second thread's lock() throws): threads queue here first
        synchronized (UPDATES) {
            return updateLocked(file, change);
        }
    }

    private static final Object UPDATES = new Object();

    private static Registry updateLocked(Path file, Change change) throws IOException, IdentityException {
        Path abs = file.toAbsolutePath();
        Path lockFile = abs.resolveSibling(abs.getFileName() + ".lock");
        try (FileChannel lockCh = FileChannel.open(lockFile, EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE), ownerOnly());
             FileLock ignored = lockCh.lock()) {
            Registry current = read(abs);
            Registry next = change.apply(current);
            if (!next.entries.equals(current.entries) || !Files.exists(abs)) {
                next.write(abs);
            }
            return next;
        }
    }

    /** Why {@code name} cannot be a registered agent's name, or null when it can. */
    public static String nameProblem(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            return "agent name '" + name + "' must be 1-128 letters, digits or _.:@/- starting with a letter or digit";
        }
        if (name.startsWith("did:")) {
            return "agent name '" + name + "' may not start with 'did:' (it would read as a DID)";
        }
        return null;
    }

    static String labelProblem(String key, String value) {
        if (!LABEL_KEY.matcher(key).matches()) {
            return "label name '" + key + "' must be 1-63 letters, digits or _.- starting with a letter or digit";
        }
        if (value.isEmpty() || value.length() > 256 || value.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            return "label '" + key + "' value must be 1-256 characters without control characters";
        }
        return null;
    }

    private static FileAttribute<?> ownerOnly() {
        return PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
    }

    private static void fields(String source, Json.Parsed p, String path, Map<?, ?> m, Set<String> allowed, Set<String> required)
            throws IdentityException {
        for (Object k : m.keySet()) {
            if (!allowed.contains(k)) {
                throw at(source, p.at(path + "." + k), "unknown field '" + k + "' (fields: " + String.join(", ", allowed.stream().sorted().toList()) + ")");
            }
        }
        for (String r : required) {
            if (!m.containsKey(r)) {
                throw at(source, p.at(path), (path.isEmpty() ? "the registry" : path.substring(1)) + " has no '" + r + "'");
            }
        }
    }

    private static String string(String source, Json.Parsed p, String path, Map<?, ?> m, String field) throws IdentityException {
        if (!(m.get(field) instanceof String s)) {
            throw at(source, p.at(path + "." + field), field + " must be a string");
        }
        return s;
    }

    private static Instant instant(String source, Json.Parsed p, String path, Map<?, ?> m, String field) throws IdentityException {
        String s = string(source, p, path, m, field);
        try {
            return Instant.parse(s);
        } catch (DateTimeParseException e) {
            throw at(source, p.at(path + "." + field), field + " must be a UTC time such as 2026-05-01T10:00:00Z, got '" + s + "'");
        }
    }

    private static IdentityException at(String source, Json.Pos pos, String message) {
        return new IdentityException(IdentityException.REGISTRY, source + ":" + pos + ": " + message);
    }
}
