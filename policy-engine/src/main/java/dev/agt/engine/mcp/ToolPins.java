package dev.agt.engine.mcp;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agt.engine.state.StateFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The fingerprint each (server, tool) had when the engine first saw it, and what it looks like
 * now, kept in {@code STATE_DIR/mcp-tools.json} so that pins outlive the engine.
 *
 * <pre>
 * {"version": 1, "tools": [
 *   {"server": "npx -y @mcp/notes", "tool": "search", "pin": "SHA-256 hex", "pinned_at": "2026-...Z",
 *    "seen": "SHA-256 hex", "seen_at": "2026-...Z", "findings": ["hidden-markup"]}, ...]}
 * </pre>
 * {@code pin} never changes once written: re-pinning is an operator's act (edit or remove the
 * file). {@code seen} is the latest fingerprint, {@code seen_at} when it was first seen,
 * {@code findings} the codes of its latest scan.
 *
 * <p>Reads are lock-free on an immutable snapshot; changes are serialized, written to a temp file,
 * synced and renamed over the old file, and only then become the snapshot, so a failed write
 * leaves both the file and the engine's view as they were. A file that cannot be read or does
 * not hold a valid store is never replaced or re-pinned: every use fails with {@link Unavailable}
 * until someone repairs or removes it (each use tries again, so no restart is needed).
 */
public final class ToolPins extends StateFile<Map<ToolPins.Key, ToolPins.Pin>> implements PinStore {
    public static final String FILE_NAME = "mcp-tools.json";
    static final int FORMAT = 1;
    /** Bounds the file and the memory a confused or hostile agent can make the engine use; when full, refuse. */
    public static final int MAX_TOOLS = 10_000;
    private static final Pattern HEX = Pattern.compile("[0-9a-f]{64}");
    private static final Set<String> TOP_FIELDS = Set.of("version", "tools");
    private static final Set<String> PIN_FIELDS = Set.of("server", "tool", "pin", "pinned_at", "seen", "seen_at", "findings");
    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(SerializationFeature.INDENT_OUTPUT);

    public record Key(String server, String tool) {
    }

    /** One tool's record; {@code findings} are the codes of its latest scan. */
    public record Pin(String pin, String pinnedAt, String seen, String seenAt, List<String> findings) {
        public Pin {
            findings = List.copyOf(findings);
        }

        public boolean changed() {
            return !pin.equals(seen);
        }

        public boolean flagged() {
            return !findings.isEmpty();
        }
    }

    private final int maxTools;

    /** Opens the store in {@code dir}, reading its file if there is one; never throws (see {@link #problem()}). */
    public ToolPins(Path dir) {
        this(dir, MAX_TOOLS);
    }

    ToolPins(Path dir, int maxTools) {
        super(dir, FILE_NAME, "the tool pin store",
                "every mcp request is denied until it is repaired, or removed (then every tool is pinned afresh at its next listing)");
        this.maxTools = maxTools;
        load();
    }

    @Override
    public String where() {
        return file().toString();
    }

    /** The tool's record, or null when the engine never saw it listed by that server. */
    @Override
    public Pin get(String server, String tool) throws Unavailable {
        return current().get(new Key(server, tool));
    }

    /**
     * Changes the store: {@code change} gets a mutable copy and returns a result; when the copy
     * then differs from the store, it is written before it is taken.
     */
    @Override
    public synchronized <T> T change(Function<Map<Key, Pin>, T> change) throws Unavailable {
        Map<Key, Pin> before = current();
        Map<Key, Pin> next = new HashMap<>(before);
        T result = change.apply(next);
        if (next.equals(before)) {
            return result;
        }
        if (next.size() > maxTools) {
            throw new Unavailable("the tool pin store " + file() + " is full (" + maxTools + " tools); remove servers no longer used from it");
        }
        store(Map.copyOf(next));
        return result;
    }

    @Override
    protected Map<Key, Pin> read(Path file) throws IOException {
        return parse(file);
    }

    static Map<Key, Pin> parse(Path file) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return Map.of(); // first start: nothing pinned yet
        }
        JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new Invalid("not JSON (" + e.getOriginalMessage() + ")");
        }
        if (root == null || !root.isObject()) {
            throw new Invalid("not a JSON object");
        }
        fields(root, TOP_FIELDS, "the file");
        if (!root.path("version").isInt() || root.path("version").intValue() != FORMAT) {
            throw new Invalid("'version' must be " + FORMAT + ", found " + root.path("version"));
        }
        if (!root.path("tools").isArray()) {
            throw new Invalid("'tools' must be a list");
        }
        Map<Key, Pin> out = new HashMap<>();
        int i = 0;
        for (JsonNode t : root.path("tools")) {
            String where = "tools[" + i++ + "]";
            if (!t.isObject()) {
                throw new Invalid(where + " is not an object");
            }
            fields(t, PIN_FIELDS, where);
            Key k = new Key(text(t, "server", where), text(t, "tool", where));
            String pin = hex(t, "pin", where);
            String seen = hex(t, "seen", where);
            if (!t.path("findings").isArray()) {
                throw new Invalid(where + ".findings must be a list of codes");
            }
            List<String> codes = new ArrayList<>();
            for (JsonNode c : t.path("findings")) {
                if (!c.isTextual()) {
                    throw new Invalid(where + ".findings must be a list of codes");
                }
                codes.add(c.textValue());
            }
            if (out.put(k, new Pin(pin, text(t, "pinned_at", where), seen, text(t, "seen_at", where), codes)) != null) {
                throw new Invalid(where + " pins server '" + k.server() + "' tool '" + k.tool() + "' a second time");
            }
        }
        return Map.copyOf(out);
    }

    private static void fields(JsonNode n, Set<String> expected, String where) throws Invalid {
        for (Map.Entry<String, JsonNode> e : n.properties()) {
            if (!expected.contains(e.getKey())) {
                throw new Invalid(where + " has unknown field '" + e.getKey() + "'");
            }
        }
        for (String f : expected) {
            if (!n.has(f)) {
                throw new Invalid(where + " is missing '" + f + "'");
            }
        }
    }

    private static String text(JsonNode n, String field, String where) throws Invalid {
        if (!n.path(field).isTextual()) {
            throw new Invalid(where + "." + field + " must be a string");
        }
        return n.path(field).textValue();
    }

    private static String hex(JsonNode n, String field, String where) throws Invalid {
        String s = text(n, field, where);
        if (!HEX.matcher(s).matches()) {
            throw new Invalid(where + "." + field + " must be a SHA-256 in lower-case hex");
        }
        return s;
    }

    @Override
    protected byte[] format(Map<Key, Pin> next) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", FORMAT);
        ArrayNode tools = root.putArray("tools");
        TreeMap<String, Map.Entry<Key, Pin>> sorted = new TreeMap<>();
        next.entrySet().forEach(e -> sorted.put(e.getKey().server() + "\0" + e.getKey().tool(), e));
        for (Map.Entry<Key, Pin> e : sorted.values()) {
            ObjectNode t = tools.addObject();
            t.put("server", e.getKey().server());
            t.put("tool", e.getKey().tool());
            t.put("pin", e.getValue().pin());
            t.put("pinned_at", e.getValue().pinnedAt());
            t.put("seen", e.getValue().seen());
            t.put("seen_at", e.getValue().seenAt());
            ArrayNode f = t.putArray("findings");
            e.getValue().findings().forEach(f::add);
        }
        return JSON.writeValueAsBytes(root);
    }
}
