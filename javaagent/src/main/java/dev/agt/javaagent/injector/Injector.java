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

    /**
     * Defines the classes; once, at premain: nobody gets a second use of it later. The package
     * {@code sealedPackage} first becomes a named module of the bootstrap loader, {@code module},
     * that exports it and opens it to nobody: its classes' private state (the handler, the
     * per-thread depth, the key) is then out of reach of setAccessible and privateLookupIn from
     * any application code, where in the boot loader's unnamed module (open to everyone) it was
     * not. Classes of other packages (the gates) join the JDK packages they name.
     */
    public static synchronized void define(String module, String sealedPackage, String[] names, byte[][] classes)
            throws ReflectiveOperationException {
        if (used) {
            throw new IllegalStateException("the agt injector has been used");
        }
        used = true;
        java.lang.module.ModuleDescriptor descriptor = java.lang.module.ModuleDescriptor.newModule(module).exports(sealedPackage).build();
        Class<?> modules = Class.forName("jdk.internal.module.Modules");
        Module sealed = (Module) modules.getMethod("defineModule", ClassLoader.class, java.lang.module.ModuleDescriptor.class, java.net.URI.class)
                .invoke(null, null, descriptor, null);
        // exported to everyone (the JDK's hooked modules, the agent, rewritten library classes), opened to nobody
        modules.getMethod("addExports", Module.class, String.class).invoke(null, sealed, sealedPackage);
        Class<?> unsafeClass = Class.forName("jdk.internal.misc.Unsafe");
        Object unsafe = unsafeClass.getMethod("getUnsafe").invoke(null);
        Method define = unsafeClass.getMethod("defineClass", String.class, byte[].class, int.class, int.class, ClassLoader.class,
                java.security.ProtectionDomain.class);
        for (int i = 0; i < names.length; i++) {
            define.invoke(unsafe, names[i], classes[i], 0, classes[i].length, null, null);
        }
    }
}
