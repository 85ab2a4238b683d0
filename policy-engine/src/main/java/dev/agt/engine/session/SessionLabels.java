package dev.agt.engine.session;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agt.engine.policy.SessionTerms;
import dev.agt.engine.state.StateFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Session labels, per lineage: an agent process and every child JVM it started (each child's
 * agent joins its parent's lineage with the id the parent was given), so a label set by any of
 * them holds for all of them, both ways. Kept in {@code STATE_DIR/labels.json}:
 * <pre>
 * {"version": 1, "lineages": {"LINEAGE": {"secret": {"seq": 12, "rule": "app-config", "agent": "research",
 *                                                    "set": 1764806400000, "expires": 0}}}}
 * </pre>
 * A label goes away only when its lifetime ends ({@code expires}, epoch millis; 0 never) or an
 * operator clears it; a change is written (atomically) before it takes effect. A file that
 * cannot be read is never overwritten: every decision that needs labels is denied
 * ({@code state-unavailable}) until it is repaired or removed.
 *
 * <p>A lineage id is 22 characters of base64url (128 random bits) that the engine hands out; a
 * process can join a lineage only by presenting its id, and joining one only adds restrictions.
 */
public final class SessionLabels extends StateFile<SessionLabels.State> {
    public static final String FILE_NAME = "labels.json";
    static final int FORMAT = 1;
    /** The most labels one lineage holds; a rule setting more is refused as state-unavailable. */
    static final int MAX_LABELS = 256;
    public static final Pattern LINEAGE = Pattern.compile("[A-Za-z0-9_-]{22}");
    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(SerializationFeature.INDENT_OUTPUT);
    private static final SecureRandom RANDOM = new SecureRandom();

    /** One label on a lineage: the decision that set it ({@code seq}, -1 while its entry is being written), by which rule and agent. */
    public record Label(String name, long seq, String rule, String agent, long setMillis, long expiresMillis) {
        boolean live(long now) {
            return expiresMillis == 0 || now < expiresMillis;
        }

        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("seq", seq);
            m.put("rule", rule);
            m.put("agent", agent);
            m.put("set", setMillis);
            m.put("expires", expiresMillis);
            return m;
        }
    }

    /** Every lineage's labels. */
    public record State(Map<String, Map<String, Label>> lineages) {
        public static final State EMPTY = new State(Map.of());

        public State {
            Map<String, Map<String, Label>> copy = new TreeMap<>();
            lineages.forEach((k, v) -> copy.put(k, Map.copyOf(v)));
            lineages = Map.copyOf(copy);
        }
    }

    public SessionLabels(Path dir) {
        super(dir, FILE_NAME, "the session label store", "every call whose rules read or set session labels is denied until it is repaired,"
                + " or removed (which forgets every label)");
        load();
    }

    /** A fresh lineage id. */
    public static String newLineage() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** The labels of {@code lineage} in force at {@code now}, by name. */
    public Map<String, Label> of(String lineage, long now) throws Unavailable {
        Map<String, Label> all = current().lineages().get(lineage);
        if (all == null || all.isEmpty()) {
            return Map.of();
        }
        Map<String, Label> out = new TreeMap<>();
        all.forEach((k, v) -> {
            if (v.live(now)) {
                out.put(k, v);
            }
        });
        return out;
    }

    /**
     * Sets {@code labels} on {@code lineage} (a label already set gets the later lifetime, or
     * none), written before it takes effect; returns the labels as now set.
     */
    public synchronized List<Label> set(String lineage, List<SessionTerms.Setting> labels, String agent, long now) throws Unavailable {
        State s = current();
        Map<String, Label> mine = new TreeMap<>(s.lineages().getOrDefault(lineage, Map.of()));
        mine.values().removeIf(l -> !l.live(now));
        List<Label> out = new java.util.ArrayList<>();
        for (SessionTerms.Setting setting : labels) {
            SessionTerms.LabelSet ls = setting.label();
            String rule = setting.rule();
            long expires = ls.ttl().map(d -> now + d.toMillis()).orElse(0L);
            Label before = mine.get(ls.label());
            if (before != null && (before.expiresMillis() == 0 || expires != 0 && before.expiresMillis() >= expires)) {
                out.add(before); // already set for at least as long: its origin stays the first decision that set it
                continue;
            }
            Label l = new Label(ls.label(), -1, rule, agent, now, expires);
            mine.put(ls.label(), l);
            out.add(l);
        }
        if (mine.size() > MAX_LABELS) {
            throw new Unavailable("lineage " + lineage + " would hold more than " + MAX_LABELS + " labels");
        }
        store(with(s, lineage, mine));
        return out;
    }

    /** Records the log entry that set {@code labels} (those still set by the same rule at that time). */
    public synchronized void origin(String lineage, List<Label> labels, long seq) {
        try {
            State s = current();
            Map<String, Label> mine = new TreeMap<>(s.lineages().getOrDefault(lineage, Map.of()));
            boolean changed = false;
            for (Label l : labels) {
                Label now = mine.get(l.name());
                if (now != null && now.seq() == -1 && now.setMillis() == l.setMillis()) {
                    mine.put(l.name(), new Label(now.name(), seq, now.rule(), now.agent(), now.setMillis(), now.expiresMillis()));
                    changed = true;
                }
            }
            if (changed) {
                store(with(s, lineage, mine));
            }
        } catch (Unavailable e) {
            // the label holds either way; only the pointer to its entry is not written
        }
    }

    /** Removes {@code label} from {@code lineage}; returns what was removed, or null when it was not set. */
    public synchronized Label clear(String lineage, String label) throws Unavailable {
        State s = current();
        Map<String, Label> mine = new TreeMap<>(s.lineages().getOrDefault(lineage, Map.of()));
        Label gone = mine.remove(label);
        if (gone != null) {
            store(with(s, lineage, mine));
        }
        return gone;
    }

    /** Every lineage with labels in force at {@code now}. */
    public Map<String, Map<String, Label>> all(long now) throws Unavailable {
        Map<String, Map<String, Label>> out = new TreeMap<>();
        for (String lineage : current().lineages().keySet()) {
            Map<String, Label> m = of(lineage, now);
            if (!m.isEmpty()) {
                out.put(lineage, m);
            }
        }
        return out;
    }

    private static State with(State s, String lineage, Map<String, Label> mine) {
        Map<String, Map<String, Label>> all = new TreeMap<>(s.lineages());
        if (mine.isEmpty()) {
            all.remove(lineage);
        } else {
            all.put(lineage, mine);
        }
        return new State(all);
    }

    @Override
    protected State read(Path file) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return State.EMPTY;
        }
        JsonNode root = jsonObject(bytes);
        onlyFields(root, Set.of("version", "lineages"), "the file");
        if (!root.path("version").isInt() || root.path("version").intValue() != FORMAT) {
            throw new Invalid("'version' must be " + FORMAT + ", found " + root.path("version"));
        }
        if (!root.path("lineages").isObject()) {
            throw new Invalid("'lineages' must be an object");
        }
        Map<String, Map<String, Label>> lineages = new TreeMap<>();
        for (Map.Entry<String, JsonNode> l : root.path("lineages").properties()) {
            if (!LINEAGE.matcher(l.getKey()).matches() || !l.getValue().isObject()) {
                throw new Invalid("lineage '" + l.getKey() + "' is not 22 base64url characters with an object of labels");
            }
            Map<String, Label> labels = new TreeMap<>();
            for (Map.Entry<String, JsonNode> e : l.getValue().properties()) {
                String where = "lineage " + l.getKey() + ", label '" + e.getKey() + "'";
                if (!SessionTerms.LABEL.matcher(e.getKey()).matches() || !e.getValue().isObject()) {
                    throw new Invalid(where + ": not a label name with an object");
                }
                JsonNode v = e.getValue();
                onlyFields(v, Set.of("seq", "rule", "agent", "set", "expires"), where);
                if (!v.path("seq").isIntegralNumber() || v.path("seq").asLong() < -1 || !v.path("rule").isTextual() || !v.path("agent").isTextual()
                        || !v.path("set").isIntegralNumber() || v.path("set").asLong() < 0 || !v.path("expires").isIntegralNumber()
                        || v.path("expires").asLong() < 0) {
                    throw new Invalid(where + ": needs seq (-1 or more), rule, agent, set and expires (epoch millis, 0 for never)");
                }
                labels.put(e.getKey(), new Label(e.getKey(), v.path("seq").asLong(), v.path("rule").textValue(), v.path("agent").textValue(),
                        v.path("set").asLong(), v.path("expires").asLong()));
            }
            lineages.put(l.getKey(), labels);
        }
        return new State(lineages);
    }

    @Override
    protected byte[] format(State s) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", FORMAT);
        ObjectNode lineages = root.putObject("lineages");
        new TreeMap<>(s.lineages()).forEach((lineage, labels) -> {
            ObjectNode o = lineages.putObject(lineage);
            new TreeSet<>(labels.keySet()).forEach(name -> o.set(name, JSON.valueToTree(labels.get(name).toMap())));
        });
        return JSON.writeValueAsBytes(root);
    }
}
