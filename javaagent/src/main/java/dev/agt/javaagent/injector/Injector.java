package dev.agt.javaagent.injector;

import java.lang.reflect.Method;

/**
 * Defines the bootstrap classes into the bootstrap class loader with the JDK's internal Unsafe.
 * It runs in a named module of its own ({@code dev.agt.injector}, made by BootstrapInjector), the
 * only module java.base exports jdk.internal.misc to: never the application's unnamed module,
 * where every class of the application would gain Unsafe along with the agent.
 */
public final class Injector {
    private static boolean used;

    private Injector() {
    }

    /** Defines the classes; once, at premain: nobody gets a second use of it later. */
    public static synchronized void define(String[] names, byte[][] classes) throws ReflectiveOperationException {
        if (used) {
            throw new IllegalStateException("the agt injector has been used");
        }
        used = true;
        Class<?> unsafeClass = Class.forName("jdk.internal.misc.Unsafe");
        Object unsafe = unsafeClass.getMethod("getUnsafe").invoke(null);
        Method define = unsafeClass.getMethod("defineClass", String.class, byte[].class, int.class, int.class, ClassLoader.class,
                java.security.ProtectionDomain.class);
        for (int i = 0; i < names.length; i++) {
            define.invoke(unsafe, names[i], classes[i], 0, classes[i].length, null, null);
        }
    }
}
