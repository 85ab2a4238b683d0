package dev.agt.javaagent.hooks;

import java.lang.instrument.ClassFileTransformer;
import java.security.ProtectionDomain;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/**
 * Inserts a call to the dispatcher at the entry of each hooked method, with plain ASM: no
 * frames to recompute (the inserted code pushes arguments and makes one static call, leaving
 * the stack as it found it), so the rest of the method is copied through untouched. Records
 * which hooks it applied, for the self-check.
 */
public final class HookTransformer implements ClassFileTransformer {
    static final String DISPATCHER = "dev/agt/javaagent/bootstrap/Dispatcher";
    private static final ClassLoader PLATFORM = ClassLoader.getPlatformClassLoader();
    private final Map<String, List<Hook>> byClass = new HashMap<>();
    private final Set<String> applied = ConcurrentHashMap.newKeySet();
    private final Map<String, Throwable> failed = new ConcurrentHashMap<>();

    public HookTransformer(List<Hook> hooks) {
        for (Hook h : hooks) {
            byClass.computeIfAbsent(h.owner(), k -> new ArrayList<>()).add(h);
        }
    }

    public Set<String> classes() {
        return byClass.keySet();
    }

    public boolean applied(Hook h) {
        return applied.contains(h.id());
    }

    public Map<String, Throwable> failures() {
        return failed;
    }

    private volatile boolean armed;

    /**
     * After the start-up self-check: a hooked class that loads later (an optional hook's, such as
     * jdk.management's or JDK 17's legacy sockets) and cannot be rewritten stops the JVM, rather
     * than run unhooked with nobody told.
     */
    public void arm() {
        armed = true;
    }

    /** A class of a JDK module of the boot layer that the application class loader defines (jdk.attach). */
    static boolean jdkModule(Module module, String className) {
        String expected = JdkInstrumentation.APP_LOADER_CLASSES.get(className);
        return expected != null && module != null && module.isNamed() && module.getName().equals(expected)
                && module.getLayer() == ModuleLayer.boot();
    }

    private static MethodVisitor atEntry(MethodVisitor mv, Hook h) {
        return new MethodVisitor(Opcodes.ASM9, mv) {
            @Override
            public void visitCode() {
                super.visitCode();
                call(mv, h);
            }

            @Override
            public void visitMaxs(int maxStack, int maxLocals) {
                super.visitMaxs(maxStack + 4, maxLocals);
            }
        };
    }

    /** Before each ARETURN: the returned reference, duplicated, then the loads; the stack is as it was after. */
    private static MethodVisitor atReturn(MethodVisitor mv, Hook h) {
        return new MethodVisitor(Opcodes.ASM9, mv) {
            @Override
            public void visitInsn(int opcode) {
                if (opcode == Opcodes.ARETURN) {
                    super.visitInsn(Opcodes.DUP);
                    call(mv, h);
                }
                super.visitInsn(opcode);
            }

            @Override
            public void visitMaxs(int maxStack, int maxLocals) {
                super.visitMaxs(maxStack + 5, maxLocals);
            }
        };
    }

    /** Loads the hook's arguments and calls its dispatcher method. */
    private static void call(MethodVisitor mv, Hook h) {
        for (String load : h.loads().isEmpty() ? new String[0] : h.loads().split(" ")) {
            // "1A", "2I", or "0A>owner.field:desc>owner.method()desc": a slot, then
            // fields read and no-argument methods called on what was loaded
            String[] steps = load.split(">");
            String slot = steps[0];
            char t = slot.charAt(slot.length() - 1);
            mv.visitVarInsn(t == 'A' ? Opcodes.ALOAD : Opcodes.ILOAD, Integer.parseInt(slot.substring(0, slot.length() - 1)));
            for (int i = 1; i < steps.length; i++) {
                String step = steps[i];
                int dot = step.indexOf('.');
                int paren = step.indexOf('(');
                if (paren > 0) {
                    mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, step.substring(0, dot), step.substring(dot + 1, paren), step.substring(paren), false);
                } else {
                    int colon = step.indexOf(':');
                    mv.visitFieldInsn(Opcodes.GETFIELD, step.substring(0, dot), step.substring(dot + 1, colon), step.substring(colon + 1));
                }
            }
        }
        mv.visitMethodInsn(Opcodes.INVOKESTATIC, DISPATCHER, h.target(), h.targetDesc(), false);
    }

    @Override
    public byte[] transform(Module module, ClassLoader loader, String className, Class<?> redefining, ProtectionDomain pd,
                            byte[] bytes) {
        List<Hook> hooks = className == null ? null : byClass.get(className);
        if (hooks == null || !(loader == null || loader == PLATFORM && JdkInstrumentation.PLATFORM_CLASSES.contains(className)
                || jdkModule(module, className))) {
            return null; // only JDK classes (boot loader, the platform loader's java.net.http, jdk.attach) are ours to touch
        }
        try {
            ClassReader reader = new ClassReader(bytes);
            ClassWriter writer = new ClassWriter(reader, 0);
            reader.accept(new ClassVisitor(Opcodes.ASM9, writer) {
                @Override
                public MethodVisitor visitMethod(int access, String name, String desc, String sig, String[] exceptions) {
                    MethodVisitor mv = super.visitMethod(access, name, desc, sig, exceptions);
                    for (Hook h : hooks) {
                        if (h.matches(name, desc)) {
                            applied.add(h.id());
                            mv = h.atReturn() ? atReturn(mv, h) : atEntry(mv, h);
                        }
                    }
                    return mv;
                }
            }, 0);
            return writer.toByteArray();
        } catch (Throwable t) {
            // never swallowed: the self-check reports it and refuses to run unguarded
            failed.put(className, t);
            if (armed) {
                System.err.println("agt: refusing to run unguarded: the hooks of " + className + " could not be applied: " + t);
                System.err.flush();
                Runtime.getRuntime().halt(3);
            }
            return null;
        }
    }
}
