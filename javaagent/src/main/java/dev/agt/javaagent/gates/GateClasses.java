package dev.agt.javaagent.gates;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

/**
 * Writes the gate classes for the running JDK: for each gated method and each of its
 * descriptors found by reflection, a static method with the callee's own name that calls the
 * dispatcher with the chosen arguments and then the callee. The descriptors come from the JDK
 * in hand, never from a table, so JDK drift changes the gates rather than breaking them.
 *
 * <p>JDK-internal parameter types are handed to the dispatcher as what it can name:
 * {@code sun.nio.fs.UnixPath} as {@code java.nio.file.Path} (which it implements), anything else
 * internal as {@code Object}.
 */
public final class GateClasses {
    static final String DISPATCHER = "dev/agt/javaagent/bootstrap/Dispatcher";

    /** The gate classes' bytes by internal name, and which gated methods were found. */
    public record Written(Map<String, byte[]> classes, Set<String> found, Map<String, String> redirects) {
        /** The gate's descriptor for a call of {@code owner.name desc}, or null when not gated. */
        public String redirect(String owner, String name, String desc) {
            return redirects.get(owner + "." + name + desc);
        }
    }

    private GateClasses() {
    }

    /**
     * Subclasses whose name call sites use for the owner's static methods: LinuxNativeDispatcher
     * extends UnixNativeDispatcher, and the DOS attribute view calls
     * {@code LinuxNativeDispatcher.fsetxattr}, which is UnixNativeDispatcher's.
     */
    public static final Map<String, List<String>> ALIASES = Map.of("sun/nio/fs/UnixNativeDispatcher", List.of("sun/nio/fs/LinuxNativeDispatcher"));

    public static Written write(List<Gate> gates) throws ClassNotFoundException {
        Map<String, ClassWriter> writers = new LinkedHashMap<>();
        Set<String> found = new TreeSet<>();
        Map<String, String> redirects = new LinkedHashMap<>();
        for (Gate g : gates) {
            Class<?> owner = Class.forName(g.owner().replace('/', '.'), false, null);
            for (Method m : owner.getDeclaredMethods()) {
                if (!m.getName().equals(g.name()) || Modifier.isPrivate(m.getModifiers()) || Modifier.isStatic(m.getModifiers()) == g.virtual()
                        || m.isSynthetic() || m.isBridge()) {
                    continue;
                }
                ClassWriter cw = writers.computeIfAbsent(g.gateClass(), GateClasses::begin);
                String desc = Type.getMethodDescriptor(m);
                String gateDesc = g.virtual() ? "(L" + g.owner() + ";" + desc.substring(1) : desc;
                // a callee that throws nothing answers errors in its result: so must its gate
                method(cw, quiet(g, m), desc, gateDesc);
                found.add(g.id());
                redirects.put(g.owner() + "." + g.name() + desc, gateDesc);
                for (String alias : ALIASES.getOrDefault(g.owner(), List.of())) {
                    redirects.put(alias + "." + g.name() + desc, gateDesc); // a static method called through a subclass
                }
            }
        }
        Map<String, byte[]> out = new LinkedHashMap<>();
        writers.forEach((name, cw) -> {
            cw.visitEnd();
            out.put(name, cw.toByteArray());
        });
        return new Written(out, found, redirects);
    }

    /**
     * A gated callee that declares no exception (the JDK's quiet probes) gets the dispatcher's
     * {@code ...Probe} variant, which returns false when denied, and the gate then returns what
     * the callee returns for a missing file: ENOENT (2) for an errno, false, or zero.
     */
    static Gate quiet(Gate g, Method m) {
        if (g.zeroOnDeny() || g.virtual() || m.getExceptionTypes().length > 0 || !g.target().equals("fsStat")) {
            return g; // java.io's File methods have always thrown SecurityException when denied
        }
        return new Gate(g.family(), g.owner(), g.name(), g.virtual(), g.loads(), g.target() + "Probe", true, g.optional());
    }

    /** What a denied quiet probe returns: an errno where the callee returns one, else zero or false. */
    static final int ENOENT = 2;

    private static ClassWriter begin(String name) {
        // frames and maxima are written by hand (one F_SAME frame, sizes from the descriptor): these
        // are a few straight-line methods, and ASM's computation would load its analysis at start-up
        ClassWriter cw = new ClassWriter(0);
        cw.visit(Opcodes.V17, Opcodes.ACC_FINAL | Opcodes.ACC_SUPER | Opcodes.ACC_SYNTHETIC, name, null, "java/lang/Object", null);
        return cw;
    }

    /** The dispatcher's parameter type for one of the callee's parameters. */
    static Type visible(Type t) {
        if (t.getSort() != Type.OBJECT) {
            return t;
        }
        String n = t.getInternalName();
        if (n.equals("sun/nio/fs/UnixPath")) {
            return Type.getType("Ljava/nio/file/Path;");
        }
        return n.startsWith("java/") ? t : Type.getType(Object.class);
    }

    /** The dispatcher descriptor a gate calls for the callee {@code desc}. */
    public static String targetDesc(Gate g, String desc) {
        Type[] params = Type.getArgumentTypes(desc);
        StringBuilder sb = new StringBuilder("(");
        for (int i : g.loads()) {
            sb.append(visible(params[i]).getDescriptor());
        }
        return sb.append(g.zeroOnDeny() ? ")Z" : ")V").toString();
    }

    private static void method(ClassWriter cw, Gate g, String desc, String gateDesc) {
        MethodVisitor mv = cw.visitMethod(Opcodes.ACC_STATIC, g.name(), gateDesc, null, null);
        mv.visitCode();
        Type[] all = Type.getArgumentTypes(gateDesc);
        int first = g.virtual() ? 1 : 0; // the receiver comes first in a virtual call's gate
        int[] slots = new int[all.length];
        int slot = 0;
        for (int i = 0; i < all.length; i++) {
            slots[i] = slot;
            slot += all[i].getSize();
        }
        for (int i : g.loads()) {
            mv.visitVarInsn(all[first + i].getOpcode(Opcodes.ILOAD), slots[first + i]);
        }
        mv.visitMethodInsn(Opcodes.INVOKESTATIC, DISPATCHER, g.target(), targetDesc(g, desc), false);
        Type ret = Type.getReturnType(desc);
        if (g.zeroOnDeny()) {
            Label allowed = new Label();
            mv.visitJumpInsn(Opcodes.IFNE, allowed);
            if (ret.getSort() == Type.INT && !g.virtual()) {
                mv.visitIntInsn(Opcodes.BIPUSH, ENOENT); // sun.nio.fs's int-returning probes return an errno
            } else {
                zero(mv, ret);
            }
            mv.visitInsn(ret.getOpcode(Opcodes.IRETURN));
            mv.visitLabel(allowed);
            mv.visitFrame(Opcodes.F_SAME, 0, null, 0, null); // the arguments, an empty stack: as at entry
        }
        for (int i = 0; i < all.length; i++) {
            mv.visitVarInsn(all[i].getOpcode(Opcodes.ILOAD), slots[i]);
        }
        mv.visitMethodInsn(g.virtual() ? Opcodes.INVOKEVIRTUAL : Opcodes.INVOKESTATIC, g.owner(), g.name(), desc, false);
        mv.visitInsn(ret.getOpcode(Opcodes.IRETURN));
        int loaded = 0;
        for (int i : g.loads()) {
            loaded += all[first + i].getSize();
        }
        // the stack holds either the dispatcher's arguments or the callee's, then at most the result
        mv.visitMaxs(Math.max(Math.max(loaded, 1), Math.max(slot, ret.getSize())), slot);
        mv.visitEnd();
    }

    private static void zero(MethodVisitor mv, Type t) {
        switch (t.getSort()) {
            case Type.VOID -> {
            }
            case Type.LONG -> mv.visitInsn(Opcodes.LCONST_0);
            case Type.FLOAT -> mv.visitInsn(Opcodes.FCONST_0);
            case Type.DOUBLE -> mv.visitInsn(Opcodes.DCONST_0);
            case Type.OBJECT, Type.ARRAY -> mv.visitInsn(Opcodes.ACONST_NULL);
            default -> mv.visitInsn(Opcodes.ICONST_0);
        }
    }

    /** The gated methods of {@code gates} the running JDK lacks, optional ones aside. */
    public static List<String> missing(List<Gate> gates, Written w) {
        List<String> out = new ArrayList<>();
        for (Gate g : gates) {
            if (!g.optional() && !w.found().contains(g.id())) {
                out.add(g.family() + ": " + g.id());
            }
        }
        return out;
    }
}
