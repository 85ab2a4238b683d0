package dev.agt.engine.policy;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/** How one policy string matches one request string: a glob, an exact value, a prefix or a regex. */
public sealed interface StringPattern {

    boolean matches(String s, Agent agent);

    /** Text every match starts with ("" when unknown): the key of the path index. */
    String literalPrefix();

    /** The only string that matches, or null. */
    String exact();

    /** The policy text, for messages and canonical forms. */
    String text();

    record GlobPattern(Glob glob) implements StringPattern {
        @Override
        public boolean matches(String s, Agent agent) {
            return glob.matches(s);
        }

        @Override
        public String literalPrefix() {
            return glob.literalPrefix();
        }

        @Override
        public String exact() {
            return glob.isExact() ? glob.literalPrefix() : null;
        }

        @Override
        public String text() {
            return glob.text();
        }
    }

    /**
     * A glob that names {@code ${agent.id}}: compiled per agent, with the id substituted as a
     * literal (an agent called {@code *} must not become a wildcard). The cache is bounded.
     */
    final class AgentGlob implements StringPattern {
        static final String PLACEHOLDER = "${agent.id}";
        private static final int MAX_CACHED = 1024;
        private final String template;
        private final Glob.Kind kind;
        private final Map<String, Glob> cache = new ConcurrentHashMap<>();

        public AgentGlob(String template, Glob.Kind kind) {
            this.template = template;
            this.kind = kind;
            Glob.compile(template.replace(PLACEHOLDER, "x"), kind); // fail at load time, not at match time
        }

        @Override
        public boolean matches(String s, Agent agent) {
            Glob g = cache.get(agent.id());
            if (g == null) {
                if (cache.size() >= MAX_CACHED) {
                    cache.clear();
                }
                g = Glob.compile(template.replace(PLACEHOLDER, Glob.escape(agent.id())), kind);
                cache.put(agent.id(), g);
            }
            return g.matches(s);
        }

        @Override
        public String literalPrefix() {
            int at = template.indexOf(PLACEHOLDER);
            return Glob.compile(template.substring(0, at) + "*", kind).literalPrefix();
        }

        @Override
        public String exact() {
            return null;
        }

        @Override
        public String text() {
            return template;
        }
    }

    record Prefix(String prefix) implements StringPattern {
        @Override
        public boolean matches(String s, Agent agent) {
            return s.startsWith(prefix);
        }

        @Override
        public String literalPrefix() {
            return prefix;
        }

        @Override
        public String exact() {
            return null;
        }

        @Override
        public String text() {
            return "prefix:" + prefix;
        }
    }

    record Regex(Pattern pattern) implements StringPattern {
        @Override
        public boolean matches(String s, Agent agent) {
            return pattern.matcher(new BoundedChars(s, MAX_STEPS)).matches();
        }

        /** Regex steps per match; past this the evaluation fails (and so denies) instead of hanging. */
        static final int MAX_STEPS = 2_000_000;

        @Override
        public String literalPrefix() {
            return "";
        }

        @Override
        public String exact() {
            return null;
        }

        @Override
        public String text() {
            return "regex:" + pattern.pattern();
        }
    }
}

/**
 * A CharSequence that counts reads, so a backtracking regex on hostile input fails fast instead of
 * stalling the engine. The failure surfaces as an evaluation error, which denies.
 */
final class BoundedChars implements CharSequence {
    private final String s;
    private final int[] budget;

    BoundedChars(String s, int steps) {
        this(s, new int[] {steps});
    }

    private BoundedChars(String s, int[] budget) {
        this.s = s;
        this.budget = budget;
    }

    @Override
    public char charAt(int index) {
        if (--budget[0] < 0) {
            throw new IllegalStateException("regex took too many steps on a " + s.length() + "-character input");
        }
        return s.charAt(index);
    }

    @Override
    public int length() {
        return s.length();
    }

    @Override
    public CharSequence subSequence(int start, int end) {
        return new BoundedChars(s.substring(start, end), budget);
    }

    @Override
    public String toString() {
        return s;
    }
}
