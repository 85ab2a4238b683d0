package dev.agt.identity;

import dev.agt.protocol.Family;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * What a delegation lets the child do, in policy terms: a restriction, never a grant. The child
 * is decided as its root would be, and then every link's scope must also admit the request.
 *
 * <p>Each field is either absent (no restriction by that field) or a list; an empty list admits
 * nothing the field governs. Which requests each field governs is the engine's business (it
 * matches them with the policy language's globs); see the README's delegation section.
 *
 * <p>{@link #widening} decides whether a child scope stays inside its parent's: a field the
 * parent restricts must be restricted by the child too, and every child pattern must be covered
 * by some parent pattern, as the {@link PatternCover} given judges it.
 */
public record Scope(Map<Field, List<String>> lists) {
    public static final Scope UNRESTRICTED = new Scope(Map.of());
    static final int MAX_PATTERNS = 64;
    static final int MAX_PATTERN_CHARS = 1024;

    public enum Field {
        FAMILIES("families"), HOSTS("hosts"), PATHS("paths"), TOOLS("tools"), EXECUTABLES("executables");

        private final String key;

        Field(String key) {
            this.key = key;
        }

        public String key() {
            return key;
        }

        public static Optional<Field> of(String key) {
            for (Field f : values()) {
                if (f.key.equals(key)) {
                    return Optional.of(f);
                }
            }
            return Optional.empty();
        }
    }

    /** Judges whether one child pattern admits only what one parent pattern admits. */
    @FunctionalInterface
    public interface PatternCover {
        boolean covers(Field field, String parentPattern, String childPattern);

        /** The plainest judgement: only the same pattern covers itself. */
        PatternCover EQUAL = (field, parent, child) -> parent.equals(child);
    }

    public Scope {
        EnumMap<Field, List<String>> copy = new EnumMap<>(Field.class);
        lists.forEach((k, v) -> copy.put(k, List.copyOf(v)));
        lists = Collections.unmodifiableMap(copy);
    }

    /**
     * A scope from plain lists, checked: known fields, known families, 1-1024 character patterns
     * without control characters, at most 64 per field.
     */
    public static Scope of(Map<Field, List<String>> lists) throws IdentityException {
        Scope s = new Scope(lists);
        s.check();
        return s;
    }

    /** This scope with {@code field} restricted to {@code patterns}. */
    public Scope with(Field field, List<String> patterns) throws IdentityException {
        EnumMap<Field, List<String>> m = new EnumMap<>(Field.class);
        m.putAll(lists);
        m.put(field, patterns);
        return of(m);
    }

    public boolean restricts(Field field) {
        return lists.containsKey(field);
    }

    /** The field's list, or empty when the field does not restrict. */
    public Optional<List<String>> get(Field field) {
        return Optional.ofNullable(lists.get(field));
    }

    public boolean unrestricted() {
        return lists.isEmpty();
    }

    /** The JSON form in tokens and the log: {@code {"hosts": [...], ...}}, absent fields left out. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new TreeMap<>();
        lists.forEach((k, v) -> m.put(k.key(), v));
        return m;
    }

    static Scope fromJson(Object v, String where) throws IdentityException {
        if (!(v instanceof Map<?, ?> m)) {
            throw malformed(where + " must be an object");
        }
        EnumMap<Field, List<String>> lists = new EnumMap<>(Field.class);
        for (Map.Entry<?, ?> e : m.entrySet()) {
            String key = String.valueOf(e.getKey());
            Field f = Field.of(key).orElseThrow(() -> malformed(where + " has unknown field '" + key
                    + "' (fields: families, hosts, paths, tools, executables)"));
            if (!(e.getValue() instanceof List<?> l)) {
                throw malformed(where + "." + key + " must be a list of strings");
            }
            List<String> items = new ArrayList<>();
            for (Object o : l) {
                if (!(o instanceof String s)) {
                    throw malformed(where + "." + key + " must be a list of strings");
                }
                items.add(s);
            }
            lists.put(f, items);
        }
        Scope s = new Scope(lists);
        try {
            s.check();
        } catch (IdentityException e) {
            throw malformed(where + ": " + e.getMessage());
        }
        return s;
    }

    private void check() throws IdentityException {
        for (Map.Entry<Field, List<String>> e : lists.entrySet()) {
            List<String> l = e.getValue();
            if (l.size() > MAX_PATTERNS) {
                throw malformed(e.getKey().key() + " has " + l.size() + " patterns; at most " + MAX_PATTERNS);
            }
            if (Set.copyOf(l).size() != l.size()) {
                throw malformed(e.getKey().key() + " lists a pattern twice");
            }
            for (String p : l) {
                if (p.isEmpty() || p.length() > MAX_PATTERN_CHARS || p.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
                    throw malformed(e.getKey().key() + " pattern must be 1-" + MAX_PATTERN_CHARS + " characters without control characters");
                }
                if (e.getKey() == Field.FAMILIES && Family.of(p).isEmpty()) {
                    throw malformed("families has unknown family '" + p + "' (" + String.join(", ", Family.KEYS) + ")");
                }
            }
        }
    }

    /**
     * Why {@code child} is not inside this scope, or empty when it is. A field this scope leaves
     * unrestricted may be anything in the child; a field it restricts must be restricted in the
     * child too (leaving it out would widen), and each child pattern must be covered by one of
     * this scope's patterns. Families are plain names: the child's must be a subset.
     */
    public Optional<String> widening(Scope child, PatternCover cover) {
        for (Map.Entry<Field, List<String>> e : lists.entrySet()) {
            Field f = e.getKey();
            List<String> parent = e.getValue();
            Optional<List<String>> mine = child.get(f);
            if (mine.isEmpty()) {
                return Optional.of("the parent restricts " + f.key() + " to " + parent + " and the child does not restrict " + f.key()
                        + " at all");
            }
            for (String c : mine.get()) {
                boolean covered = false;
                for (String p : parent) {
                    if (f == Field.FAMILIES ? p.equals(c) : cover.covers(f, p, c)) {
                        covered = true;
                        break;
                    }
                }
                if (!covered) {
                    return Optional.of(f.key() + " pattern '" + c + "' is not within the parent's " + f.key() + " " + parent);
                }
            }
        }
        return Optional.empty();
    }

    private static IdentityException malformed(String message) {
        return new IdentityException(IdentityException.MALFORMED_TOKEN, message);
    }

    @Override
    public String toString() {
        return unrestricted() ? "unrestricted" : CanonicalJson.string(toJson());
    }
}
