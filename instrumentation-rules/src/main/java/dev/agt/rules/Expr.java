package dev.agt.rules;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An accessor expression: a path from the call ({@code this}, {@code argN} or {@code result})
 * through getters, record components, fields or map keys ({@code arg0.name},
 * {@code this.transport.params.command}, {@code arg0.toString()}), or a template that writes
 * several paths into one string ({@code "${this.transport.params.command} ${this.transport.params.args}"}).
 */
public sealed interface Expr {

    /** @param root "this", "result" or "argN"; @param steps member names, "name()" for an explicit call */
    record Path(String root, List<String> steps) implements Expr {
        public int argIndex() {
            return root.startsWith("arg") ? Integer.parseInt(root.substring(3)) : -1;
        }

        @Override
        public String toString() {
            return steps.isEmpty() ? root : root + "." + String.join(".", steps);
        }
    }

    /** Literal strings and paths, in order. */
    record Template(List<Object> parts) implements Expr {
    }

    /** How a constant ({@code {const: x}} in YAML) is kept among the sources of a field. */
    String CONSTANT = "=";

    Pattern ROOT = Pattern.compile("this|result|arg(0|[1-9][0-9]{0,2})");
    Pattern STEP = Pattern.compile("[A-Za-z_$][A-Za-z0-9_$]*(\\(\\))?");
    Pattern VAR = Pattern.compile("\\$\\{([^}]*)}");

    /** Parses a path or a template; throws IllegalArgumentException saying what is wrong. */
    static Expr parse(String text) {
        if (text.startsWith(CONSTANT)) {
            return new Template(List.of(text.substring(CONSTANT.length())));
        }
        if (text.contains("${")) {
            List<Object> parts = new ArrayList<>();
            Matcher m = VAR.matcher(text);
            int last = 0;
            while (m.find()) {
                if (m.start() > last) {
                    parts.add(text.substring(last, m.start()));
                }
                parts.add(path(m.group(1).trim()));
                last = m.end();
            }
            if (text.indexOf("${", last) >= 0) {
                throw new IllegalArgumentException("unclosed '${' in template '" + text + "'");
            }
            if (last < text.length()) {
                parts.add(text.substring(last));
            }
            return new Template(List.copyOf(parts));
        }
        return path(text.trim());
    }

    static Path path(String text) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException("empty accessor path (write e.g. arg0.name, this.client.url or result.tools)");
        }
        String[] parts = text.split("\\.", -1);
        if (!ROOT.matcher(parts[0]).matches()) {
            throw new IllegalArgumentException("accessor path '" + text + "' must start with this, result or argN (arg0 is the first argument), not '"
                    + parts[0] + "'");
        }
        List<String> steps = new ArrayList<>();
        for (int i = 1; i < parts.length; i++) {
            if (!STEP.matcher(parts[i]).matches()) {
                throw new IllegalArgumentException("accessor path '" + text + "': '" + parts[i]
                        + "' is not a member name (letters, digits, '_' or '$', optionally followed by '()')");
            }
            steps.add(parts[i]);
        }
        return new Path(parts[0], List.copyOf(steps));
    }

    /** The paths an expression reads. */
    static List<Path> paths(Expr e) {
        if (e instanceof Path p) {
            return List.of(p);
        }
        List<Path> out = new ArrayList<>();
        for (Object o : ((Template) e).parts()) {
            if (o instanceof Path p) {
                out.add(p);
            }
        }
        return out;
    }
}
