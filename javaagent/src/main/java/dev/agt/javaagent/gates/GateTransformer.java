package dev.agt.javaagent.gates;

import java.lang.instrument.ClassFileTransformer;
import java.security.ProtectionDomain;
import java.util.HashSet;
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
 * Redirects every call of a gated method, in every boot-loader class of the gated packages, to
 * the gate. The stack is the same before and after (the gate takes what the callee took), so
 * only the one instruction changes and the rest of the class is copied through.
 */
public final class GateTransformer implements ClassFileTransformer {
    private final List<Gate> gates;
    private final GateClasses.Written written;
    private final Set<String> packages = new HashSet<>();
    private final Map<String, Throwable> failed = new ConcurrentHashMap<>();

    /** The gated owners' names as their class files spell them (ASCII): a class naming none of them makes no gated call. */
    private final List<byte[]> ownerNames = new java.util.ArrayList<>();

    public GateTransformer(List<Gate> gates, GateClasses.Written written) {
        this.gates = gates;
        this.written = written;
        Set<String> owners = new HashSet<>();
        for (Gate g : gates) {
            packages.add(g.callerPackage());
            owners.add(g.owner());
            owners.addAll(GateClasses.ALIASES.getOrDefault(g.owner(), List.of()));
        }
        for (String o : owners) {
            ownerNames.add(o.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }
    }

    /** Whether the class file's constant pool can name a gated owner: a plain byte search, far cheaper than parsing. */
    boolean mentionsGatedOwner(byte[] bytes) {
        for (byte[] name : ownerNames) {
            outer:
            for (int i = 0; i + name.length <= bytes.length; i++) {
                for (int j = 0; j < name.length; j++) {
                    if (bytes[i + j] != name[j]) {
                        continue outer;
                    }
                }
                return true;
            }
        }
        return false;
    }

    /** Whether calls made by this (boot-loader) class may need redirecting. */
    public boolean covers(String internalName) {
        int slash = internalName.lastIndexOf('/');
        if (slash < 0 || !packages.contains(internalName.substring(0, slash))) {
            return false;
        }
        for (Gate g : gates) {
            if (g.exempt(internalName)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether a class may make a gated call, read from its bytes in the runtime image: at start-up
     * only those of the already-loaded classes are retransformed (retransforming costs the JVM
     * more than reading and scanning), the rest as they load.
     */
    public boolean callsGated(Class<?> c) {
        if (c.isInterface() || Throwable.class.isAssignableFrom(c) || c.isArray()) {
            return false; // no gated call in an interface or an exception of these packages
        }
        String internal = c.getName().replace('.', '/');
        try (java.io.InputStream in = c.getModule().getResourceAsStream(internal + ".class")) {
            return in == null || mentionsGatedOwner(in.readAllBytes()); // cannot tell: retransform it
        } catch (java.io.IOException | RuntimeException e) {
            return true; // cannot tell: retransform it
        }
    }

    public Map<String, Throwable> failures() {
        return failed;
    }

    private volatile boolean armed;

    /** After the start-up self-check: a later failure can no longer be reported there, so it stops the JVM. */
    public void arm() {
        armed = true;
    }

    @Override
    public byte[] transform(Module module, ClassLoader loader, String className, Class<?> redefining, ProtectionDomain pd, byte[] bytes) {
        if (loader != null || className == null || !covers(className) || !mentionsGatedOwner(bytes)) {
            return null;
        }
        try {
            ClassReader reader = new ClassReader(bytes);
            ClassWriter writer = new ClassWriter(reader, 0);
            boolean[] changed = new boolean[1];
            reader.accept(new ClassVisitor(Opcodes.ASM9, writer) {
                @Override
                public MethodVisitor visitMethod(int access, String name, String desc, String sig, String[] exceptions) {
                    return new MethodVisitor(Opcodes.ASM9, super.visitMethod(access, name, desc, sig, exceptions)) {
                        @Override
                        public void visitMethodInsn(int opcode, String owner, String callee, String calleeDesc, boolean itf) {
                            String gate = opcode == Opcodes.INVOKESPECIAL ? null : written.redirect(owner, callee, calleeDesc);
                            if (gate != null) {
                                changed[0] = true;
                                super.visitMethodInsn(Opcodes.INVOKESTATIC, gateClassOf(owner), callee, gate, false); // same package as any alias
                            } else {
                                super.visitMethodInsn(opcode, owner, callee, calleeDesc, itf);
                            }
                        }
                    };
                }
            }, 0);
            return changed[0] ? writer.toByteArray() : null;
        } catch (Throwable t) {
            failed.put(className, t); // the self-check reports it: never run with a gate silently missing
            if (armed) {
                System.err.println("agt: refusing to run unguarded: the calls of " + className + " could not be gated: " + t);
                System.err.flush();
                Runtime.getRuntime().halt(3);
            }
            return null;
        }
    }

    private static String gateClassOf(String owner) {
        return owner.substring(0, owner.lastIndexOf('/')) + "/AgtGate";
    }
}
