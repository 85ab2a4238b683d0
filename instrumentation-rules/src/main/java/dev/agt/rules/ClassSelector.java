package dev.agt.rules;

import java.util.regex.Pattern;

/**
 * Which classes a rule looks at: one class by name, classes whose names match a pattern
 * ({@code *} within a package level, {@code **} across levels), or every class that implements an
 * interface or extends a class, directly or further down.
 */
public record ClassSelector(Kind kind, String name) {

    /** Compiled once per pattern: selectors are asked on every class the application loads. */
    private static final java.util.Map<String, Pattern> PATTERNS = new java.util.concurrent.ConcurrentHashMap<>();

    public enum Kind {
        EXACT, PATTERN, IMPLEMENTS, EXTENDS
    }

    /** Whether the class named {@code className} (a Java name) is selected by name alone. */
    public boolean matchesName(String className) {
        return switch (kind) {
            case EXACT -> name.equals(className);
            case PATTERN -> PATTERNS.computeIfAbsent(name, n -> pattern()).matcher(className).matches();
            default -> false;
        };
    }

    /** Whether a class with these supertypes (Java names, all levels) is selected. */
    public boolean matchesSupertypes(java.util.Collection<String> supertypes) {
        return (kind == Kind.IMPLEMENTS || kind == Kind.EXTENDS) && supertypes.contains(name);
    }

    Pattern pattern() {
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '*') {
                if (i + 1 < name.length() && name.charAt(i + 1) == '*') {
                    re.append(".*");
                    i++;
                } else {
                    re.append("[^.]*");
                }
            } else {
                re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString());
    }

    @Override
    public String toString() {
        return switch (kind) {
            case EXACT, PATTERN -> name;
            case IMPLEMENTS -> "implements " + name;
            case EXTENDS -> "extends " + name;
        };
    }
}
