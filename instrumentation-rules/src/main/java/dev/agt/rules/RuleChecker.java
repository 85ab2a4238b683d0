package dev.agt.rules;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Checks rules against the classes they name (loaded, not initialized, from a class path the
 * operator gives): the class exists, the method exists with those parameters, and each
 * accessor step exists on the type the previous step declares. Where a declared type is an
 * interface, abstract or {@code Object}, the implementation decides at run time: a warning,
 * not an error.
 */
public final class RuleChecker {
    /** One finding: an error (the rule cannot work) or a warning (it may not). */
    public record Finding(boolean error, String origin, String rule, String message) {
        @Override
        public String toString() {
            return origin + ": " + (error ? "" : "warning: ") + "rule " + rule + ": " + message;
        }
    }

    private RuleChecker() {
    }

    public static List<Finding> check(RuleSet set, ClassLoader loader) {
        List<Finding> out = new ArrayList<>();
        for (InterceptRule r : set.rules()) {
            check(r, loader, out);
        }
        return out;
    }

    private static void check(InterceptRule r, ClassLoader loader, List<Finding> out) {
        ClassSelector s = r.selector();
        if (s.kind() == ClassSelector.Kind.PATTERN) {
            out.add(new Finding(false, r.origin(), r.id(), "class pattern " + s.name() + ": classes are matched as they load; not checked here"));
            return;
        }
        Class<?> type;
        try {
            type = Class.forName(s.name(), false, loader);
        } catch (ClassNotFoundException | LinkageError e) {
            out.add(new Finding(true, r.place("selector"), r.id(), "class " + s.name() + " is not on the class path given"));
            return;
        }
        if (s.kind() == ClassSelector.Kind.IMPLEMENTS && !type.isInterface()) {
            out.add(new Finding(true, r.place("selector"), r.id(), s.name() + " is a class, not an interface: use 'extends'"));
        }
        if (s.kind() == ClassSelector.Kind.EXTENDS && type.isInterface()) {
            out.add(new Finding(true, r.place("selector"), r.id(), s.name() + " is an interface: use 'implements'"));
        }
        List<Method> candidates = new ArrayList<>();
        for (Class<?> c = type; c != null; c = c.getSuperclass()) {
            for (Method m : c.getDeclaredMethods()) {
                if (m.getName().equals(r.method())) {
                    candidates.add(m);
                }
            }
        }
        for (Method m : type.getMethods()) {
            if (m.getName().equals(r.method()) && !candidates.contains(m)) {
                candidates.add(m);
            }
        }
        Method selected = null;
        for (Method m : candidates) {
            List<String> params = Arrays.stream(m.getParameterTypes()).map(Class::getTypeName).toList();
            if (r.matchesMethod(m.getName(), params)) {
                selected = m;
                break;
            }
        }
        if (selected == null) {
            out.add(new Finding(true, r.place("method"), r.id(), "no method " + r.method() + " with "
                    + (r.params() != null ? "parameters (" + String.join(", ", r.params()) + ")" : r.paramCount() + " parameters")
                    + " in " + s.name() + (candidates.isEmpty() ? similar(type, r.method()) : "; there is " + candidates.stream()
                    .map(m -> m.getName() + "(" + String.join(", ", Arrays.stream(m.getParameterTypes()).map(Class::getTypeName)
                            .toList()) + ")").distinct().toList())));
            return;
        }
        if (Modifier.isAbstract(selected.getModifiers()) && s.kind() == ClassSelector.Kind.EXACT && !type.isInterface()) {
            out.add(new Finding(false, r.origin(), r.id(), selected + " is abstract: select the classes that implement it ('extends')"));
        }
        Class<?> self = type;
        Class<?>[] params = selected.getParameterTypes();
        fields(r, r.target(), self, params, arrives(selected), out);
    }

    /**
     * What a rule at return reads as {@code result}: the return value, or for a future what it
     * completes with (the agent decides when it arrives), as far as the signature says.
     */
    static Class<?> arrives(Method m) {
        Class<?> ret = m.getReturnType();
        if (!java.util.concurrent.CompletionStage.class.isAssignableFrom(ret)) {
            return ret;
        }
        if (m.getGenericReturnType() instanceof java.lang.reflect.ParameterizedType pt && pt.getActualTypeArguments().length == 1) {
            java.lang.reflect.Type t = pt.getActualTypeArguments()[0];
            if (t instanceof Class<?> c) {
                return c;
            }
            if (t instanceof java.lang.reflect.ParameterizedType inner && inner.getRawType() instanceof Class<?> c) {
                return c;
            }
        }
        return Object.class; // unknown until it arrives: checked at run time
    }

    /** "; did you mean 'invoke'?" for a method name one or two edits away, or nothing. */
    private static String similar(Class<?> type, String method) {
        java.util.Set<String> names = new java.util.TreeSet<>();
        for (Class<?> c = type; c != null; c = c.getSuperclass()) {
            for (Method m : c.getDeclaredMethods()) {
                names.add(m.getName());
            }
        }
        String near = dev.agt.config.Keys.nearest(method, names);
        return near == null ? "" : " (did you mean '" + near + "'?)";
    }

    private static void fields(InterceptRule r, Map<String, dev.agt.rules.Field> target, Class<?> self, Class<?>[] params, Class<?> result,
                               List<Finding> out) {
        for (Map.Entry<String, dev.agt.rules.Field> f : target.entrySet()) {
            for (Expr e : f.getValue().alternatives()) {
                for (Expr.Path p : Expr.paths(e)) {
                    int arg = p.argIndex();
                    Class<?> root = arg >= 0 ? (arg < params.length ? params[arg] : null) : p.root().equals("this") ? self : result;
                    if (root == null) {
                        continue;
                    }
                    walk(r, f.getKey(), p, root, out);
                }
            }
            if (f.getValue().fields() != null) {
                fields(r, f.getValue().fields(), self, params, result, out);
            }
            if (f.getValue().each() != null) {
                // elements of a list: their type is not known from a generic signature here
                out.add(new Finding(false, r.origin(), r.id(), "target field " + f.getKey() + ": the members of list elements are checked at run time"));
            }
        }
    }

    private static void walk(InterceptRule r, String field, Expr.Path p, Class<?> type, List<Finding> out) {
        Class<?> t = type;
        for (String step : p.steps()) {
            if (Map.class.isAssignableFrom(t) || t.isInterface() || Modifier.isAbstract(t.getModifiers()) || t == Object.class) {
                return; // decided by the object at run time
            }
            Class<?> next = member(t, step);
            if (next == null) {
                out.add(new Finding(true, r.place("target." + field), r.id(), "target field " + field + ": '" + p + "': " + t.getName() + " has no "
                        + (step.endsWith("()") ? "method " + step : "method, getter or field '" + step + "'")));
                return;
            }
            t = next;
        }
    }

    private static Class<?> member(Class<?> type, String step) {
        boolean call = step.endsWith("()");
        String name = call ? step.substring(0, step.length() - 2) : step;
        List<String> names = call ? List.of(name)
                : List.of(name, "get" + Character.toUpperCase(name.charAt(0)) + name.substring(1), "is" + Character.toUpperCase(name.charAt(0)) + name.substring(1));
        for (String n : names) {
            for (Class<?> c = type; c != null; c = c.getSuperclass()) {
                try {
                    Method m = c.getDeclaredMethod(n);
                    if (m.getReturnType() != void.class) {
                        return m.getReturnType();
                    }
                } catch (NoSuchMethodException | LinkageError e) {
                    // up
                }
            }
            try {
                return type.getMethod(n).getReturnType();
            } catch (NoSuchMethodException | LinkageError e) {
                // next name
            }
        }
        if (!call) {
            for (Class<?> c = type; c != null; c = c.getSuperclass()) {
                try {
                    Field f = c.getDeclaredField(name);
                    return f.getType();
                } catch (NoSuchFieldException | LinkageError e) {
                    // up
                }
            }
        }
        return null;
    }
}
