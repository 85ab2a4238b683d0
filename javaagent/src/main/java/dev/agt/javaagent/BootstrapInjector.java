package dev.agt.javaagent;

import java.io.IOException;
import java.io.InputStream;
import java.lang.instrument.Instrumentation;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;

/**
 * Places the few classes that JDK code must see (dispatcher, handler interface, denial
 * exceptions) in the bootstrap class loader, and lets java.base read them.
 *
 * <p>Appending a jar to the bootstrap search path makes JDK 17 print a class-data-sharing
 * warning into every governed application's output. So the classes are defined directly into
 * the bootstrap loader through the JDK's internal Unsafe, opened to this agent for that one
 * purpose; if that is not possible on some JDK, the jar route is the fallback.
 */
final class BootstrapInjector {
    /** In dependency order: an interface or type before the classes that use it. */
    static final List<String> CLASSES = List.of("Denial", "Denied", "Handler", "AgtFileNotFoundException", "AgtAccessDeniedException",
            "AgtConnectException", "AgtIOException", "AgtSecurityException", "AgtUnknownHostException", "Dispatcher", "Dispatcher$1");
    static final String PKG = "dev.agt.javaagent.bootstrap.";

    private BootstrapInjector() {
    }

    /** Returns how the classes were placed, for the start-up line. */
    static String inject(Instrumentation inst) throws Exception {
        Module javaBase = Object.class.getModule();
        Module agent = BootstrapInjector.class.getModule();
        String how;
        try {
            inst.redefineModule(javaBase, Set.of(), Map.of("jdk.internal.misc", Set.of(agent)), Map.of("jdk.internal.misc", Set.of(agent)),
                    Set.of(), Map.of());
            Class<?> unsafeClass = Class.forName("jdk.internal.misc.Unsafe");
            Object unsafe = unsafeClass.getMethod("getUnsafe").invoke(null);
            Method define = unsafeClass.getMethod("defineClass", String.class, byte[].class, int.class, int.class, ClassLoader.class,
                    java.security.ProtectionDomain.class);
            for (String c : CLASSES) {
                byte[] b = bytes(c);
                define.invoke(unsafe, PKG + c, b, 0, b.length, null, null);
            }
            how = "defined";
        } catch (ReflectiveOperationException | RuntimeException e) {
            Path jar = Files.createTempFile("agt-bootstrap", ".jar");
            jar.toFile().deleteOnExit();
            try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
                for (String c : CLASSES) {
                    out.putNextEntry(new JarEntry((PKG + c).replace('.', '/') + ".class"));
                    out.write(bytes(c));
                    out.closeEntry();
                }
            }
            inst.appendToBootstrapClassLoaderSearch(new JarFile(jar.toFile()));
            how = "appended";
        }
        Class<?> dispatcher = Class.forName(PKG + "Dispatcher", true, null);
        // instrumented java.base code calls into the bootstrap loader's unnamed module: let it read it
        inst.redefineModule(javaBase, Set.of(dispatcher.getModule()), Map.of(), Map.of(), Set.of(), Map.of());
        return how;
    }

    private static byte[] bytes(String simpleName) throws IOException {
        String res = "/agt-bootstrap/" + (PKG + simpleName).replace('.', '/') + ".class";
        try (InputStream in = BootstrapInjector.class.getResourceAsStream(res)) {
            if (in == null) {
                throw new IOException("agent jar is missing " + res);
            }
            return in.readAllBytes();
        }
    }
}
