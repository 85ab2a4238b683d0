package dev.agt.javaagent.rules;

import java.io.InputStream;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import org.objectweb.asm.ClassReader;

/**
 * All supertypes of a class that is being loaded, found by reading the class files of its
 * ancestors as resources (their headers only), never by loading them: a transformer that
 * loads classes can deadlock or fail with class-circularity errors. Per class loader, the
 * answers are kept (weakly, so a loader can still be collected).
 */
final class Supertypes {
    private static final int MAX_DEPTH = 64;

    private final Map<ClassLoader, Map<String, String[]>> direct = new WeakHashMap<>();
    private final Map<ClassLoader, Map<String, Boolean>> visible = new WeakHashMap<>();

    /** Whether {@code javaName} can be seen from {@code loader} at all (if not, no class there extends it). */
    boolean visible(ClassLoader loader, String javaName) {
        synchronized (this) {
            Boolean known = visible.computeIfAbsent(loader, l -> new java.util.HashMap<>()).get(javaName);
            if (known != null) {
                return known;
            }
        }
        // outside the lock: a class loader may take its own locks, and other threads load classes too
        boolean found = loader.getResource(javaName.replace('.', '/') + ".class") != null;
        synchronized (this) {
            visible.computeIfAbsent(loader, l -> new java.util.HashMap<>()).put(javaName, found);
        }
        return found;
    }

    /** Java names of every supertype (classes and interfaces, all levels) of the class in {@code reader}. */
    Set<String> of(ClassLoader loader, ClassReader reader) {
        Set<String> out = new HashSet<>();
        walk(loader, header(reader), out, 0);
        return out;
    }

    private void walk(ClassLoader loader, String[] names, Set<String> out, int depth) {
        if (depth > MAX_DEPTH) {
            return;
        }
        for (String internal : names) {
            if (internal == null || internal.equals("java/lang/Object") || !out.add(internal.replace('/', '.'))) {
                continue;
            }
            if (!internal.startsWith("java/") && !internal.startsWith("javax/") && !internal.startsWith("jdk/")) {
                walk(loader, direct(loader, internal), out, depth + 1); // JDK types never extend an application's
            }
        }
    }

    private static String[] header(ClassReader r) {
        String[] itf = r.getInterfaces();
        String[] all = new String[itf.length + 1];
        all[0] = r.getSuperName();
        System.arraycopy(itf, 0, all, 1, itf.length);
        return all;
    }

    private String[] direct(ClassLoader loader, String internal) {
        synchronized (this) {
            String[] known = direct.computeIfAbsent(loader, l -> new java.util.HashMap<>()).get(internal);
            if (known != null) {
                return known;
            }
        }
        String[] found = new String[0];
        try (InputStream in = loader.getResourceAsStream(internal + ".class")) {
            if (in != null) {
                found = header(new ClassReader(in));
            }
        } catch (Exception unreadable) {
            // a supertype we cannot read cannot be matched; nothing more to find there
        }
        synchronized (this) {
            direct.get(loader).put(internal, found);
        }
        return found;
    }
}
