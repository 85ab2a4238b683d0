package dev.agt.rules;

import java.lang.reflect.AccessibleObject;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Evaluates a rule's target fields on a live call. A step {@code name} is, in this order: a
 * map key (on a {@code Map}), a no-argument method {@code name()} (record components, fluent
 * accessors), a getter {@code getName()}/{@code isName()}, a field {@code name} (private ones
 * too, up the class hierarchy). {@code name()} is a method call only. Members are looked up once
 * per class and step.
 *
 * <p>Values are converted to what the wire carries: strings, numbers, booleans, maps with string
 * keys and lists; {@code Optional} is unwrapped; enums give their name; anything else its
 * {@code toString()} (a JSON node prints its JSON, which {@code as: json} then parses).
 */
public final class Accessors {
    static final int MAX_DEPTH = 16;
    static final int MAX_ITEMS = 1000;

    private static final Object MISSING = new Object();

    private static final ClassValue<Map<String, Optional<AccessibleObject>>> MEMBERS = new ClassValue<>() {
        @Override
        protected Map<String, Optional<AccessibleObject>> computeValue(Class<?> type) {
            return new ConcurrentHashMap<>();
        }
    };

    private Accessors() {
    }

    /**
     * The target fields for a call; a field none of whose alternatives leads to a value is left
     * out. Throws IllegalArgumentException when a value was found but cannot be carried.
     */
    public static Map<String, Object> target(Map<String, Field> fields, Object self, Object[] args, Object result) {
        Map<String, Object> out = new LinkedHashMap<>();
        fields.forEach((name, f) -> {
            Object v = field(f, self, args, result);
            if (v != MISSING) {
                out.put(name, v);
            }
        });
        return out;
    }

    /**
     * A field whose value was found but cannot be carried (not JSON, too large, too deep) is an
     * error, never a silently absent field: a deny rule testing it must not be dodged that way.
     */
    private static Object field(Field f, Object self, Object[] args, Object result) {
        if (f.fields() != null) {
            return target(f.fields(), self, args, result);
        }
        RuntimeException failed = null;
        for (Expr e : f.alternatives()) {
            Object v = expr(e, self, args, result);
            if (v == MISSING || v == null) {
                continue;
            }
            try {
                return convert(f, v);
            } catch (RuntimeException conversionFailed) {
                failed = conversionFailed; // the next alternative, if any, may still work
            }
        }
        if (failed != null) {
            throw new IllegalArgumentException("cannot build target field from " + f.sources() + ": " + failed.getMessage(), failed);
        }
        return MISSING;
    }

    private static Object convert(Field f, Object raw) {
        if (f.each() != null) {
            List<Object> items = new ArrayList<>();
            for (Object item : iterable(raw)) {
                if (items.size() >= MAX_ITEMS) {
                    // never a silent cut: the item left out could be the poisoned one
                    throw new IllegalArgumentException("more than " + MAX_ITEMS + " items");
                }
                items.add(target(f.each(), item, new Object[0], null));
            }
            return items;
        }
        return switch (f.as()) {
            case VALUE -> wire(raw, 0);
            case STRING -> text(raw);
            case JSON -> raw instanceof String s && s.isBlank() ? Map.of() : Json.parse(raw instanceof String s ? s : raw.toString()); // "" = no arguments
            case JSON_TEXT -> raw instanceof String s ? s : Json.write(wire(raw, 0));
        };
    }

    private static Collection<?> iterable(Object raw) {
        if (raw instanceof Collection<?> c) {
            return c;
        }
        if (raw instanceof Object[] a) {
            return List.of(a);
        }
        throw new IllegalArgumentException("not a list: " + raw.getClass().getName());
    }

    private static Object expr(Expr e, Object self, Object[] args, Object result) {
        if (e instanceof Expr.Path p) {
            return path(p, self, args, result);
        }
        StringBuilder b = new StringBuilder();
        for (Object part : ((Expr.Template) e).parts()) {
            if (part instanceof Expr.Path p) {
                Object v = path(p, self, args, result);
                if (v == MISSING || v == null) {
                    return MISSING;
                }
                b.append(text(v));
            } else {
                b.append((String) part);
            }
        }
        return b.toString().strip(); // "cmd ${args}" with no args: "cmd"
    }

    static Object path(Expr.Path p, Object self, Object[] args, Object result) {
        Object v;
        int arg = p.argIndex();
        if (arg >= 0) {
            v = arg < args.length ? args[arg] : MISSING;
        } else {
            v = p.root().equals("this") ? self : result;
        }
        for (String step : p.steps()) {
            if (v == null || v == MISSING) {
                return MISSING;
            }
            v = step(v, step);
        }
        return v == null ? MISSING : v;
    }

    private static Object step(Object v, String step) {
        boolean call = step.endsWith("()");
        String name = call ? step.substring(0, step.length() - 2) : step;
        if (!call && v instanceof Map<?, ?> m) {
            return m.containsKey(name) ? m.get(name) : MISSING;
        }
        Optional<AccessibleObject> member = MEMBERS.get(v.getClass()).computeIfAbsent(step, s -> find(v.getClass(), name, call));
        if (member.isEmpty()) {
            return MISSING;
        }
        try {
            AccessibleObject m = member.get();
            return m instanceof Method method ? method.invoke(v) : ((java.lang.reflect.Field) m).get(v);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return MISSING;
        }
    }

    private static Optional<AccessibleObject> find(Class<?> type, String name, boolean callOnly) {
        List<String> names = callOnly ? List.of(name)
                : List.of(name, "get" + Character.toUpperCase(name.charAt(0)) + name.substring(1),
                        "is" + Character.toUpperCase(name.charAt(0)) + name.substring(1));
        for (String n : names) {
            Method m = method(type, n);
            if (m != null) {
                return Optional.of(m);
            }
        }
        if (!callOnly) {
            for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
                try {
                    java.lang.reflect.Field f = c.getDeclaredField(name);
                    if (!Modifier.isStatic(f.getModifiers()) && accessible(f)) {
                        return Optional.of(f);
                    }
                } catch (NoSuchFieldException e) {
                    // up the hierarchy
                }
            }
        }
        return Optional.empty();
    }

    private static Method method(Class<?> type, String name) {
        for (Class<?> c = type; c != null; c = c.getSuperclass()) {
            try {
                Method m = c.getDeclaredMethod(name);
                if (!Modifier.isStatic(m.getModifiers()) && m.getReturnType() != void.class && accessible(m)) {
                    return m;
                }
            } catch (NoSuchMethodException e) {
                // up the hierarchy
            }
        }
        try {
            Method m = type.getMethod(name); // an interface's default method, or one declared public higher up
            return m.getReturnType() != void.class && accessible(m) ? m : null;
        } catch (NoSuchMethodException e) {
            return null;
        }
    }

    private static boolean accessible(AccessibleObject o) {
        try {
            o.setAccessible(true);
            return true;
        } catch (RuntimeException notOpen) {
            // a module that does not open the package: only public members of exported packages
            return o instanceof Method m && Modifier.isPublic(m.getModifiers()) && Modifier.isPublic(m.getDeclaringClass().getModifiers());
        }
    }

    /** The text of a value: lists joined by single spaces (a command and its arguments). */
    public static String text(Object v) {
        if (v instanceof Collection<?> c) {
            StringBuilder b = new StringBuilder();
            for (Object o : c) {
                if (b.length() > 0) {
                    b.append(' ');
                }
                b.append(text(o));
            }
            return b.toString();
        }
        if (v instanceof Optional<?> o) {
            return o.map(Accessors::text).orElse("");
        }
        return String.valueOf(v);
    }

    /** A value as the wire carries it. */
    static Object wire(Object v, int depth) {
        if (depth > MAX_DEPTH) {
            throw new IllegalArgumentException("value nested deeper than " + MAX_DEPTH);
        }
        if (v == null || v instanceof String || v instanceof Boolean || v instanceof Long || v instanceof Double) {
            return v;
        }
        if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
            return ((Number) v).longValue();
        }
        if (v instanceof Float f) {
            return f.doubleValue();
        }
        if (v instanceof Optional<?> o) {
            return o.isPresent() ? wire(o.get(), depth + 1) : null;
        }
        if (v instanceof Enum<?> e) {
            return e.name();
        }
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (out.size() >= MAX_ITEMS) {
                    throw new IllegalArgumentException("map larger than " + MAX_ITEMS);
                }
                out.put(String.valueOf(e.getKey()), wire(e.getValue(), depth + 1));
            }
            return out;
        }
        if (v instanceof Collection<?> || v instanceof Object[]) {
            List<Object> out = new ArrayList<>();
            for (Object o : iterable(v)) {
                if (out.size() >= MAX_ITEMS) {
                    throw new IllegalArgumentException("list longer than " + MAX_ITEMS);
                }
                out.add(wire(o, depth + 1));
            }
            return out;
        }
        return v.toString();
    }
}
