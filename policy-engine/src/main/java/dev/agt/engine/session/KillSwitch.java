package dev.agt.engine.session;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agt.engine.state.StateFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;

/**
 * Which agents are stopped, kept in {@code STATE_DIR/kill-switch.json} so that a kill outlives
 * the engine:
 * <pre>
 * {"version": 1, "all": false, "agents": ["did:key:z6Mk...", "research"]}
 * </pre>
 * {@code agents} holds names and DIDs as the operator gave them; a session is stopped when any of
 * its handles (declared name, its DIDs and their registry names) is listed, or when {@code all}.
 *
 * <p>A change is written (temp file, fsync, rename) before it takes effect, and takes effect for
 * the very next decision: the state is one volatile immutable snapshot that every decision reads.
 * A file that cannot be read or is not a valid state fails closed: every decision is denied
 * ({@code state-unavailable}) until it is repaired or removed, and it is never overwritten; the
 * file is read again on each decision while it is broken, so no restart is needed.
 */
public final class KillSwitch extends StateFile<KillSwitch.State> implements Kills {
    public static final String FILE_NAME = "kill-switch.json";
    static final int FORMAT = 1;
    public static final int MAX_AGENTS = 10_000;
    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(SerializationFeature.INDENT_OUTPUT);

    /** The kill switch's state: all agents, and/or these names and DIDs. */
    public record State(boolean all, Set<String> agents) {
        public static final State NONE = new State(false, Set.of());

        public State {
            agents = Set.copyOf(agents);
        }

        public boolean stops(Collection<String> handles) {
            if (all) {
                return true;
            }
            if (agents.isEmpty()) {
                return false;
            }
            for (String h : handles) {
                if (agents.contains(h)) {
                    return true;
                }
            }
            return false;
        }

        /** The one of {@code handles} that is stopped, "*" under {@code all}, or null. */
        public String which(Collection<String> handles) {
            if (all) {
                return "*";
            }
            for (String h : handles) {
                if (agents.contains(h)) {
                    return h;
                }
            }
            return null;
        }

        public Map<String, Object> toMap() {
            return Map.of("all", all, "agents", new TreeSet<>(agents).stream().toList());
        }
    }

    /** Opens the state in {@code dir}; never throws (see {@link #problem()}). */
    public KillSwitch(Path dir) {
        super(dir, FILE_NAME, "the kill switch", "every call is denied until it is repaired, or removed (which lifts every kill)");
        load();
    }

    /** The state in force; while the file is broken, reads it again and fails when it still is. */
    @Override
    public State state() throws Unavailable {
        return current();
    }

    @Override
    public String where() {
        return file().toString();
    }

    /** Applies {@code change}; when the result differs it is written first and then takes effect. */
    public State change(UnaryOperator<State> change) throws Unavailable {
        return change(change, null);
    }

    @Override
    public synchronized State change(UnaryOperator<State> change, String by) throws Unavailable {
        State before = state();
        State next = change.apply(before);
        if (next.equals(before)) {
            return before;
        }
        if (next.agents().size() > MAX_AGENTS) {
            throw new Unavailable("the kill switch holds " + MAX_AGENTS + " agents already; use 'agt kill --all'");
        }
        store(next);
        return next;
    }

    @Override
    protected State read(Path file) throws IOException {
        return parse(file);
    }

    static State parse(Path file) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return State.NONE;
        }
        JsonNode root = jsonObject(bytes);
        onlyFields(root, Set.of("version", "all", "agents"), "the file");
        if (!root.path("version").isInt() || root.path("version").intValue() != FORMAT) {
            throw new Invalid("'version' must be " + FORMAT + ", found " + root.path("version"));
        }
        if (!root.path("all").isBoolean()) {
            throw new Invalid("'all' must be true or false");
        }
        if (!root.path("agents").isArray()) {
            throw new Invalid("'agents' must be a list of names and DIDs");
        }
        Set<String> agents = new TreeSet<>();
        for (JsonNode a : root.path("agents")) {
            if (!a.isTextual() || a.textValue().isEmpty()) {
                throw new Invalid("'agents' must be a list of names and DIDs");
            }
            agents.add(a.textValue());
        }
        return new State(root.path("all").booleanValue(), agents);
    }

    @Override
    protected byte[] format(State s) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", FORMAT);
        root.put("all", s.all());
        var list = root.putArray("agents");
        new TreeSet<>(s.agents()).forEach(list::add);
        return JSON.writeValueAsBytes(root);
    }
}
