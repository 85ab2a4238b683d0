package dev.agt.javaagent;

import dev.agt.javaagent.gates.GateClasses;
import dev.agt.javaagent.gates.GateInstrumentation;
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
    /** The named module of the bootstrap loader the bootstrap classes are sealed in (exported, never opened). */
    static final String MODULE = "dev.agt.bootstrap";
    /** The gate classes defined for this JDK, or null when they could not be. */
    static GateClasses.Written gates;

    private BootstrapInjector() {
    }

    /** Returns how the classes were placed, for the start-up line. */
    static String inject(Instrumentation inst) throws Exception {
        Module javaBase = Object.class.getModule();
        String how;
        try {
            Module injector = injectorModule();
            inst.redefineModule(javaBase, Set.of(), Map.of("jdk.internal.misc", Set.of(injector), "jdk.internal.module", Set.of(injector)),
                    Map.of(), Set.of(), Map.of());
            // the gates join the JDK's own packages (sun.nio.fs, java.io), after the dispatcher they call
            gates = GateClasses.write(GateInstrumentation.GATES);
            int n = CLASSES.size() + gates.classes().size();
            String[] names = new String[n];
            byte[][] classes = new byte[n][];
            for (int i = 0; i < CLASSES.size(); i++) {
                names[i] = PKG + CLASSES.get(i);
                classes[i] = bytes(CLASSES.get(i));
            }
            int i = CLASSES.size();
            for (Map.Entry<String, byte[]> g : gates.classes().entrySet()) {
                names[i] = g.getKey().replace('/', '.');
                classes[i++] = g.getValue();
            }
            Class.forName(INJECTOR, true, injector.getClassLoader()).getMethod("define", String.class, String.class, String[].class, byte[][].class)
                    .invoke(null, MODULE, PKG.substring(0, PKG.length() - 1), names, classes);
            how = "defined";
        } catch (ReflectiveOperationException | RuntimeException e) {
            gates = null; // a jar on the boot class path cannot add classes to java.base's packages: the self-check stops the JVM
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
        // instrumented JDK code calls into the bootstrap classes' module: every module with a hook reads it
        for (String name : HOOKED_MODULES) {
            ModuleLayer.boot().findModule(name).ifPresent(m ->
                    inst.redefineModule(m, Set.of(dispatcher.getModule()), Map.of(), Map.of(), Set.of(), Map.of()));
        }
        return how;
    }

    static final String INJECTOR = "dev.agt.javaagent.injector.Injector";

    /** The JDK modules whose classes the hooks rewrite to call the dispatcher. */
    static final List<String> HOOKED_MODULES = List.of("java.base", "java.net.http", "jdk.management", "jdk.attach", "jdk.unsupported",
            "jdk.crypto.cryptoki", "java.smartcardio");

    /**
     * A named module holding only the Injector, in a class loader of its own: exporting
     * jdk.internal.misc to it gives Unsafe to that one class, where exporting to this agent's
     * module (the application class loader's unnamed module) would give it to the whole
     * application.
     */
    static Module injectorModule() throws IOException {
        String res = INJECTOR.replace('.', '/') + ".class";
        byte[] code;
        try (InputStream in = BootstrapInjector.class.getResourceAsStream("/" + res)) {
            if (in == null) {
                throw new IOException("agent jar is missing " + res);
            }
            code = in.readAllBytes();
        }
        java.lang.module.ModuleDescriptor descriptor = java.lang.module.ModuleDescriptor.newModule("dev.agt.injector")
                .exports("dev.agt.javaagent.injector").build(); // so premain can call it; Injector.define works once
        java.lang.module.ModuleReference ref = new java.lang.module.ModuleReference(descriptor, null) {
            @Override
            public java.lang.module.ModuleReader open() {
                return new java.lang.module.ModuleReader() {
                    @Override
                    public java.util.Optional<java.net.URI> find(String name) {
                        return java.util.Optional.empty();
                    }

                    @Override
                    public java.util.Optional<java.nio.ByteBuffer> read(String name) {
                        return name.equals(res) ? java.util.Optional.of(java.nio.ByteBuffer.wrap(code)) : java.util.Optional.empty();
                    }

                    @Override
                    public java.util.stream.Stream<String> list() {
                        return java.util.stream.Stream.of(res);
                    }

                    @Override
                    public void close() {
                    }
                };
            }
        };
        java.lang.module.ModuleFinder finder = new java.lang.module.ModuleFinder() {
            @Override
            public java.util.Optional<java.lang.module.ModuleReference> find(String name) {
                return name.equals("dev.agt.injector") ? java.util.Optional.of(ref) : java.util.Optional.empty();
            }

            @Override
            public Set<java.lang.module.ModuleReference> findAll() {
                return Set.of(ref);
            }
        };
        ModuleLayer boot = ModuleLayer.boot();
        java.lang.module.Configuration cf = boot.configuration().resolve(finder, java.lang.module.ModuleFinder.of(), Set.of("dev.agt.injector"));
        ModuleLayer layer = boot.defineModulesWithOneLoader(cf, BootstrapInjector.class.getClassLoader());
        return layer.findModule("dev.agt.injector").orElseThrow();
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
