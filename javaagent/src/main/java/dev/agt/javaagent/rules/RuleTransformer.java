package dev.agt.javaagent.rules;

import dev.agt.javaagent.bootstrap.Dispatcher;
import dev.agt.rules.ClassSelector;
import dev.agt.rules.InterceptRule;
import java.lang.instrument.ClassFileTransformer;
import java.security.ProtectionDomain;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

/**
 * Applies interception rules to application and library classes as they load (never to JDK
 * classes, which the fixed hooks govern, nor to the agent's own). A selected method gets, at
 * its entry, a call to {@link Dispatcher#intercept} with its receiver and arguments; a denial is
 * thrown, or for a method returning {@code Mono}/{@code Flux}/a future, returned as a failed one,
 * which is how such clients fail. At-return rules pass every returned value through
 * {@link Dispatcher#result}; one whose target reads the arguments gets them as they were on
 * entry, kept in a local of its own (the method's code may reuse the parameters' slots).
 *
 * <p>Frames: the class is read with expanded frames and the one frame the inserted branch needs
 * is written by hand (the method's parameters, as declared), so no class is ever loaded to
 * compute frames: loading classes from inside a transformer invites class-circularity errors.
 */
public final class RuleTransformer implements ClassFileTransformer {
    static final String DISPATCHER = "dev/agt/javaagent/bootstrap/Dispatcher";
    private static final ClassLoader PLATFORM = ClassLoader.getPlatformClassLoader();

    private final List<InterceptRule> rules;
    private final Supertypes supertypes = new Supertypes();
    private final boolean bySupertype;
    /** rule index -> the methods it intercepts ("class.method(params)") */
    private final Map<Integer, Set<String>> matched = new ConcurrentHashMap<>();
    private final Map<String, Throwable> failed = new ConcurrentHashMap<>();
    private final boolean quiet;

    public RuleTransformer(List<InterceptRule> rules, boolean quiet) {
        this.rules = List.copyOf(rules);
        this.quiet = quiet;
        this.bySupertype = rules.stream().anyMatch(r -> r.selector().kind() == ClassSelector.Kind.IMPLEMENTS
                || r.selector().kind() == ClassSelector.Kind.EXTENDS);
    }

    public List<InterceptRule> rules() {
        return rules;
    }

    public Map<Integer, Set<String>> matched() {
        return matched;
    }

    public Map<String, Throwable> failures() {
        return failed;
    }

    @Override
    public byte[] transform(Module module, ClassLoader loader, String className, Class<?> redefining, ProtectionDomain pd, byte[] bytes) {
        if (className == null || loader == null || loader == PLATFORM || className.startsWith("java/") || className.startsWith("jdk/")
                || className.startsWith("sun/") || className.startsWith("dev/agt/") && ownClass(className)) {
            return null;
        }
        // Not the agent's own work: finding supertypes asks the application's class loader, which
        // may read files or fetch URLs, and those stay governed like any other.
        try {
            return rewrite(loader, className, bytes);
        } catch (Throwable t) {
            failed.put(className.replace('/', '.'), t);
            System.err.println("agt: could not apply interception rules to " + className.replace('/', '.') + ": " + t);
            return null;
        }
    }

    private static boolean ownClass(String internalName) {
        String javaName = internalName.replace('/', '.');
        return dev.agt.rules.RulesParser.AGENT_PACKAGES.stream().anyMatch(javaName::startsWith);
    }

    private byte[] rewrite(ClassLoader loader, String className, byte[] bytes) {
        String javaName = className.replace('/', '.');
        List<Integer> candidates = new ArrayList<>();
        Set<String> supers = null;
        for (int i = 0; i < rules.size(); i++) {
            InterceptRule r = rules.get(i);
            if (r.mode() == InterceptRule.Mode.OFF) {
                continue;
            }
            ClassSelector s = r.selector();
            if (s.matchesName(javaName)) {
                candidates.add(i);
            } else if (bySupertype && (s.kind() == ClassSelector.Kind.IMPLEMENTS || s.kind() == ClassSelector.Kind.EXTENDS)
                    && supertypes.visible(loader, s.name())) {
                if (supers == null) {
                    supers = supertypes.of(loader, new ClassReader(bytes));
                }
                if (s.matchesSupertypes(supers)) {
                    candidates.add(i);
                }
            }
        }
        if (candidates.isEmpty()) {
            return null;
        }
        ClassReader reader = new ClassReader(bytes);
        if ((reader.getAccess() & Opcodes.ACC_INTERFACE) != 0 && candidates.stream().allMatch(i -> rules.get(i).selector().kind() != ClassSelector.Kind.EXACT)) {
            return null; // an interface is not its own implementation
        }
        Map<String, Integer> maxLocals = candidates.stream().anyMatch(i -> rules.get(i).at() == InterceptRule.At.RETURN && rules.get(i).readsArguments())
                ? maxLocals(reader) : Map.of();
        ClassWriter writer = new ClassWriter(reader, 0);
        boolean[] changed = {false};
        reader.accept(new ClassVisitor(Opcodes.ASM9, writer) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String desc, String sig, String[] exceptions) {
                MethodVisitor mv = super.visitMethod(access, name, desc, sig, exceptions);
                if ((access & (Opcodes.ACC_ABSTRACT | Opcodes.ACC_NATIVE | Opcodes.ACC_BRIDGE)) != 0 || name.startsWith("<")) {
                    return mv;
                }
                int nextLocal = maxLocals.getOrDefault(name + desc, -1);
                List<String> params = new ArrayList<>();
                for (Type t : Type.getArgumentTypes(desc)) {
                    params.add(t.getClassName());
                }
                for (int i : candidates) {
                    InterceptRule r = rules.get(i);
                    if (!r.matchesMethod(name, params)) {
                        continue;
                    }
                    Type ret = Type.getReturnType(desc);
                    if (r.at() == InterceptRule.At.RETURN && ret.getSort() != Type.OBJECT && ret.getSort() != Type.ARRAY) {
                        failed.put(javaName + "." + name + desc, new IllegalStateException("rule " + r.id()
                                + " decides on the result, but this method returns " + ret.getClassName()));
                        continue;
                    }
                    changed[0] = true;
                    String where = javaName + "." + name + "(" + String.join(", ", params) + ")";
                    if (matched.computeIfAbsent(i, k -> ConcurrentHashMap.newKeySet()).add(where) && !quiet) {
                        System.err.println("agt: rule " + r.id() + " intercepts " + where + (r.mode() == InterceptRule.Mode.MONITOR ? " (monitor)" : ""));
                    }
                    boolean isStatic = (access & Opcodes.ACC_STATIC) != 0;
                    // a completion callback is hooked at its entry, like a call about to happen; its
                    // request is marked as made after the call (RuleCalls)
                    if (r.at() != InterceptRule.At.RETURN) {
                        mv = new EntryHook(mv, i, className, isStatic, desc);
                    } else {
                        mv = new ReturnHook(mv, i, isStatic, desc, r.readsArguments() ? nextLocal++ : -1);
                    }
                }
                return mv;
            }
        }, ClassReader.EXPAND_FRAMES);
        return changed[0] ? writer.toByteArray() : null;
    }

    /** Each method's number of local slots ("name" + descriptor), from a first reading of the class. */
    private static Map<String, Integer> maxLocals(ClassReader reader) {
        Map<String, Integer> out = new java.util.HashMap<>();
        reader.accept(new ClassVisitor(Opcodes.ASM9) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String desc, String sig, String[] exceptions) {
                return new MethodVisitor(Opcodes.ASM9) {
                    @Override
                    public void visitMaxs(int maxStack, int locals) {
                        out.put(name + desc, locals);
                    }
                };
            }
        }, ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
        return out;
    }

    /** Pushes the receiver (or null) and the arguments as an Object[] (primitives boxed). */
    static void pushCall(MethodVisitor mv, boolean isStatic, String desc) {
        if (isStatic) {
            mv.visitInsn(Opcodes.ACONST_NULL);
        } else {
            mv.visitVarInsn(Opcodes.ALOAD, 0);
        }
        pushArgs(mv, isStatic, desc);
    }

    /** Pushes the arguments as an Object[] (primitives boxed). */
    static void pushArgs(MethodVisitor mv, boolean isStatic, String desc) {
        Type[] args = Type.getArgumentTypes(desc);
        push(mv, args.length);
        mv.visitTypeInsn(Opcodes.ANEWARRAY, "java/lang/Object");
        int slot = isStatic ? 0 : 1;
        for (int i = 0; i < args.length; i++) {
            mv.visitInsn(Opcodes.DUP);
            push(mv, i);
            mv.visitVarInsn(args[i].getOpcode(Opcodes.ILOAD), slot);
            box(mv, args[i]);
            mv.visitInsn(Opcodes.AASTORE);
            slot += args[i].getSize();
        }
    }

    static void push(MethodVisitor mv, int n) {
        if (n <= 5) {
            mv.visitInsn(Opcodes.ICONST_0 + n);
        } else if (n <= Short.MAX_VALUE) {
            mv.visitIntInsn(n <= Byte.MAX_VALUE ? Opcodes.BIPUSH : Opcodes.SIPUSH, n);
        } else {
            mv.visitLdcInsn(n);
        }
    }

    private static void box(MethodVisitor mv, Type t) {
        String owner = switch (t.getSort()) {
            case Type.BOOLEAN -> "java/lang/Boolean";
            case Type.BYTE -> "java/lang/Byte";
            case Type.CHAR -> "java/lang/Character";
            case Type.SHORT -> "java/lang/Short";
            case Type.INT -> "java/lang/Integer";
            case Type.LONG -> "java/lang/Long";
            case Type.FLOAT -> "java/lang/Float";
            case Type.DOUBLE -> "java/lang/Double";
            default -> null;
        };
        if (owner != null) {
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, owner, "valueOf", "(" + t.getDescriptor() + ")L" + owner + ";", false);
        }
    }

    /** The entry check: throw the denial, or return it as a failed Mono/Flux/future. */
    static final class EntryHook extends MethodVisitor {
        private final int rule;
        private final String owner;
        private final boolean isStatic;
        private final String desc;

        EntryHook(MethodVisitor mv, int rule, String owner, boolean isStatic, String desc) {
            super(Opcodes.ASM9, mv);
            this.rule = rule;
            this.owner = owner;
            this.isStatic = isStatic;
            this.desc = desc;
        }

        @Override
        public void visitCode() {
            super.visitCode();
            push(mv, rule);
            pushCall(mv, isStatic, desc);
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, DISPATCHER, "intercept", "(ILjava/lang/Object;[Ljava/lang/Object;)Ljava/lang/Throwable;", false);
            mv.visitInsn(Opcodes.DUP);
            org.objectweb.asm.Label go = new org.objectweb.asm.Label();
            mv.visitJumpInsn(Opcodes.IFNULL, go);
            String ret = Type.getReturnType(desc).getDescriptor();
            switch (ret) {
                case "Lreactor/core/publisher/Mono;", "Lreactor/core/publisher/Flux;" -> {
                    String t = ret.substring(1, ret.length() - 1);
                    mv.visitMethodInsn(Opcodes.INVOKESTATIC, t, "error", "(Ljava/lang/Throwable;)" + ret, false);
                    mv.visitInsn(Opcodes.ARETURN);
                }
                case "Ljava/util/concurrent/CompletableFuture;", "Ljava/util/concurrent/CompletionStage;", "Ljava/util/concurrent/Future;" -> {
                    mv.visitMethodInsn(Opcodes.INVOKESTATIC, "java/util/concurrent/CompletableFuture", "failedFuture",
                            "(Ljava/lang/Throwable;)Ljava/util/concurrent/CompletableFuture;", false);
                    mv.visitInsn(Opcodes.ARETURN);
                }
                default -> mv.visitInsn(Opcodes.ATHROW);
            }
            mv.visitLabel(go);
            List<Object> locals = new ArrayList<>();
            if (!isStatic) {
                locals.add(owner);
            }
            for (Type t : Type.getArgumentTypes(desc)) {
                locals.add(switch (t.getSort()) {
                    case Type.BOOLEAN, Type.BYTE, Type.CHAR, Type.SHORT, Type.INT -> Opcodes.INTEGER;
                    case Type.LONG -> Opcodes.LONG;
                    case Type.FLOAT -> Opcodes.FLOAT;
                    case Type.DOUBLE -> Opcodes.DOUBLE;
                    default -> t.getInternalName();
                });
            }
            mv.visitFrame(Opcodes.F_NEW, locals.size(), locals.toArray(), 1, new Object[] {"java/lang/Throwable"});
            mv.visitInsn(Opcodes.POP);
        }

        @Override
        public void visitMaxs(int maxStack, int maxLocals) {
            super.visitMaxs(maxStack + 8, maxLocals);
        }
    }

    /**
     * Every reference return passes through the dispatcher, which may decide now or on arrival.
     * With a slot, the arguments are kept there from the entry on (the slot lies past the
     * method's own locals, and every frame the method declares is told it holds an Object[]).
     */
    static final class ReturnHook extends MethodVisitor {
        private static final String ARGS = "[Ljava/lang/Object;";
        private final int rule;
        private final boolean isStatic;
        private final String desc;
        private final Type ret;
        private final int slot;

        ReturnHook(MethodVisitor mv, int rule, boolean isStatic, String desc, int slot) {
            super(Opcodes.ASM9, mv);
            this.rule = rule;
            this.isStatic = isStatic;
            this.desc = desc;
            this.ret = Type.getReturnType(desc);
            this.slot = slot;
        }

        @Override
        public void visitCode() {
            super.visitCode();
            // after the code of hooks visited before this one: a frame they wrote precedes the store
            if (slot >= 0) {
                pushArgs(mv, isStatic, desc);
                mv.visitVarInsn(Opcodes.ASTORE, slot);
            }
        }

        @Override
        public void visitFrame(int type, int nLocal, Object[] local, int nStack, Object[] stack) {
            if (slot < 0 || type != Opcodes.F_NEW) {
                super.visitFrame(type, nLocal, local, nStack, stack);
                return;
            }
            Object[] withArgs = withLocal(local, nLocal, slot, ARGS);
            super.visitFrame(type, withArgs.length, withArgs, nStack, stack);
        }

        @Override
        public void visitInsn(int opcode) {
            if (opcode == Opcodes.ARETURN) {
                push(mv, rule);
                if (isStatic) {
                    mv.visitInsn(Opcodes.ACONST_NULL);
                } else {
                    mv.visitVarInsn(Opcodes.ALOAD, 0);
                }
                if (slot >= 0) {
                    mv.visitVarInsn(Opcodes.ALOAD, slot);
                } else {
                    mv.visitInsn(Opcodes.ACONST_NULL);
                }
                mv.visitMethodInsn(Opcodes.INVOKESTATIC, DISPATCHER, "result", "(Ljava/lang/Object;ILjava/lang/Object;[Ljava/lang/Object;)Ljava/lang/Object;", false);
                mv.visitTypeInsn(Opcodes.CHECKCAST, ret.getInternalName());
            }
            super.visitInsn(opcode);
        }

        @Override
        public void visitMaxs(int maxStack, int maxLocals) {
            // the store: array, array, index, a long or double (5); a return: rule, receiver, arguments (3)
            super.visitMaxs(maxStack + 5, slot >= 0 ? Math.max(maxLocals, slot + 1) : maxLocals);
        }
    }

    /**
     * A frame's locals (as ASM writes them: a long or double is one entry covering two slots) with
     * {@code slot} holding {@code type}, the slots between filled with TOP.
     */
    static Object[] withLocal(Object[] local, int nLocal, int slot, Object type) {
        List<Object> slots = new ArrayList<>();
        for (int i = 0; i < nLocal; i++) {
            slots.add(local[i]);
            if (local[i] == Opcodes.LONG || local[i] == Opcodes.DOUBLE) {
                slots.add(null); // its second slot
            }
        }
        while (slots.size() <= slot) {
            slots.add(Opcodes.TOP);
        }
        slots.set(slot, type);
        List<Object> out = new ArrayList<>();
        for (Object t : slots) {
            if (t != null) {
                out.add(t);
            }
        }
        return out.toArray();
    }
}
