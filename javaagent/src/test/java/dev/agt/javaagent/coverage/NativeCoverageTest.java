package dev.agt.javaagent.coverage;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/**
 * The coverage map of JDK natives ({@code native-coverage.tsv}) against the JDK this test runs on.
 *
 * <p>Every hook the agent has sits in Java code; whatever reaches a file, a socket, a process or
 * native code without passing one of them goes through a native method in the end. So the map
 * lists every native of the modules an agent's code can reach, each with a verdict, and this test
 * reads the running JDK's own image (jrt:/) so that a JDK update which adds, renames or re-describes
 * a native fails the build instead of silently opening a route. Rows carry the JDKs they apply to:
 * on a JDK with no rows of its own only the {@code any} rows apply, and everything new shows up.
 */
class NativeCoverageTest {

    static final String TABLE = "native-coverage.tsv";

    /** The modules whose natives an agent's code can reach; absent ones (jdk.incubator.foreign on 25) are skipped. */
    static final List<String> MODULES = List.of(
            "java.base", "java.desktop", "java.instrument", "java.logging", "java.management", "java.naming", "java.net.http",
            "java.prefs", "java.security.jgss", "java.smartcardio", "java.sql", "jdk.attach", "jdk.crypto.cryptoki", "jdk.crypto.ec",
            "jdk.hotspot.agent", "jdk.incubator.foreign", "jdk.incubator.vector", "jdk.internal.le", "jdk.jdwp.agent", "jdk.jfr",
            "jdk.management", "jdk.management.agent", "jdk.net", "jdk.sctp", "jdk.security.auth", "jdk.unsupported", "jdk.zipfs");

    static final Set<String> VERDICTS = Set.of("governed", "dominated", "harmless", "gap");

    /**
     * The hooks a governed or dominated row may name. This must match the hook table the agent
     * installs (dev.agt.javaagent.hooks.JdkInstrumentation and the gate table beside it): a row
     * that names a hook the agent does not have claims a decision nobody asks for.
     */
    static final Set<String> HOOK_IDS = hookIds();

    /** The hooks and gates the agent installs, by the ids the table names them with. */
    private static Set<String> hookIds() {
        Set<String> ids = new TreeSet<>();
        for (dev.agt.javaagent.hooks.Hook h : dev.agt.javaagent.hooks.JdkInstrumentation.HOOKS) {
            ids.add((h.atReturn() ? "return:" : "entry:") + h.owner() + "." + h.name());
        }
        for (dev.agt.javaagent.gates.Gate g : dev.agt.javaagent.gates.GateInstrumentation.GATES) {
            ids.add(g.id());
        }
        return Set.copyOf(ids);
    }

    record Native(String module, String owner, String method) {
        @Override
        public String toString() {
            int paren = method.indexOf('(');
            return module + "\t" + owner + "\t" + method.substring(0, paren) + "\t" + method.substring(paren);
        }
    }

    record Row(int line, String module, String owner, String method, String jdk, String verdict, String byOrWhy) {
        boolean classWide() {
            return method.equals("*");
        }

        boolean appliesTo(String feature) {
            return jdk.equals("any") || jdk.equals(feature);
        }

        @Override
        public String toString() {
            return TABLE + ":" + line + ": " + module + " " + owner + " " + method + " (jdk " + jdk + ")";
        }
    }

    static String feature;
    static List<Row> rows;
    static Set<Native> natives;

    @BeforeAll
    static void read() throws IOException {
        feature = Integer.toString(Runtime.version().feature());
        rows = readTable();
        natives = nativesOfRunningJdk();
    }

    @Test
    void everyNativeOfTheRunningJdkHasARow() {
        Map<String, Row> exact = new HashMap<>();
        Set<String> classWide = new HashSet<>();
        for (Row r : rows) {
            if (r.appliesTo(feature)) {
                if (r.classWide()) {
                    classWide.add(r.module() + " " + r.owner());
                } else {
                    exact.put(r.module() + " " + r.owner() + " " + r.method(), r);
                }
            }
        }
        List<Native> unclassified = natives.stream()
                .filter(n -> !exact.containsKey(n.module() + " " + n.owner() + " " + n.method())
                        && !classWide.contains(n.module() + " " + n.owner()))
                .sorted(Comparator.comparing(Native::toString))
                .toList();
        if (!unclassified.isEmpty()) {
            fail("agt: " + unclassified.size() + " native method(s) of JDK " + feature + " have no row in " + TABLE
                    + ". Classify each in javaagent/src/test/resources/" + TABLE + " (module, class, name+descriptor, jdk "
                    + feature + ", verdict, why; see the header of that file):\n"
                    + unclassified.stream().map(Native::toString).collect(Collectors.joining("\n")));
        }
    }

    /**
     * A gate sees a call only when the call site names the gated owner (or a known alias) and sits
     * in the gate's package. Every call in java.base of a gated method's name, written against the
     * owner, a subclass of it, or anything else in its package, must be one the gates redirect:
     * a JDK that starts calling UnixNativeDispatcher's statics through a new subclass, or a gated
     * method from another package, fails here.
     */
    @Test
    void everyCallOfAGatedMethodInTheJdkIsRedirected() throws IOException {
        Map<String, Set<String>> gatedNames = new HashMap<>(); // owner -> names
        for (dev.agt.javaagent.gates.Gate g : dev.agt.javaagent.gates.GateInstrumentation.GATES) {
            gatedNames.computeIfAbsent(g.owner(), k -> new HashSet<>()).add(g.name());
        }
        Map<String, String> ownerOf = new HashMap<>(); // owner or alias -> owner
        for (String owner : gatedNames.keySet()) {
            ownerOf.put(owner, owner);
            for (String alias : dev.agt.javaagent.gates.GateClasses.ALIASES.getOrDefault(owner, List.of())) {
                ownerOf.put(alias, owner);
            }
        }
        FileSystem jrt = FileSystems.getFileSystem(URI.create("jrt:/"));
        List<String> missed = new ArrayList<>();
        List<Path> classes;
        try (Stream<Path> walk = Files.walk(jrt.getPath("/modules", "java.base"))) {
            classes = walk.filter(p -> p.toString().endsWith(".class")).toList();
        }
        for (Path p : classes) {
            ClassReader reader = new ClassReader(Files.readAllBytes(p));
            String caller = reader.getClassName();
            String callerPackage = caller.contains("/") ? caller.substring(0, caller.lastIndexOf('/')) : "";
            reader.accept(new ClassVisitor(Opcodes.ASM9) {
                @Override
                public MethodVisitor visitMethod(int access, String name, String descriptor, String signature, String[] exceptions) {
                    return new MethodVisitor(Opcodes.ASM9) {
                        @Override
                        public void visitMethodInsn(int opcode, String owner, String callee, String desc, boolean itf) {
                            for (Map.Entry<String, Set<String>> e : gatedNames.entrySet()) {
                                String gated = e.getKey();
                                String gatedPackage = gated.substring(0, gated.lastIndexOf('/'));
                                boolean samePackageOwner = owner.startsWith(gatedPackage + "/") && owner.lastIndexOf('/') == gatedPackage.length()
                                        && (owner.endsWith("NativeDispatcher") || owner.endsWith("FileSystem"));
                                if (!e.getValue().contains(callee) || !(owner.equals(gated) || samePackageOwner)) {
                                    continue;
                                }
                                boolean exempt = caller.equals(gated) || caller.equals("java/io/UnixFileSystem") || caller.equals(owner);
                                if (exempt || opcode == Opcodes.INVOKESPECIAL) {
                                    continue;
                                }
                                if (!gated.equals(ownerOf.get(owner)) || !callerPackage.equals(gatedPackage)) {
                                    missed.add(caller + " calls " + owner + "." + callee + desc);
                                }
                            }
                        }
                    };
                }
            }, ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
        }
        assertTrue(missed.isEmpty(), "calls of gated methods that no gate redirects on JDK " + feature
                + " (add the owner to GateClasses.ALIASES or gate the new route):\n" + String.join("\n", missed));
    }

    @Test
    void noRowForTheRunningJdkIsStale() {
        Set<String> present = new HashSet<>();
        Set<String> presentClasses = new HashSet<>();
        for (Native n : natives) {
            present.add(n.module() + " " + n.owner() + " " + n.method());
            presentClasses.add(n.module() + " " + n.owner());
        }
        List<String> stale = new ArrayList<>();
        for (Row r : rows) {
            if (!r.appliesTo(feature)) {
                continue;
            }
            boolean matches = r.classWide()
                    ? presentClasses.contains(r.module() + " " + r.owner())
                    : present.contains(r.module() + " " + r.owner() + " " + r.method());
            if (!matches) {
                stale.add(r.toString());
            }
        }
        assertTrue(stale.isEmpty(), () -> "agt: " + stale.size() + " row(s) of " + TABLE + " apply to JDK " + feature
                + " but match no native of it: the native was removed or re-described. Fix the method or narrow the jdk column:\n"
                + String.join("\n", stale));
    }

    @Test
    void everyRowIsWellFormed() {
        List<String> problems = new ArrayList<>();
        Set<String> keys = new HashSet<>();
        Row previous = null;
        for (Row r : rows) {
            if (!MODULES.contains(r.module())) {
                problems.add(r + ": module is not one the test enumerates " + MODULES);
            }
            if (!Set.of("17", "25", "any").contains(r.jdk())) {
                problems.add(r + ": jdk must be 17, 25 or any, not '" + r.jdk() + "'");
            }
            if (!r.classWide() && !r.method().matches("[^(*]+\\(.*\\).+")) {
                problems.add(r + ": method must be name+descriptor, e.g. open0(Ljava/lang/String;)V, or *");
            }
            if (!VERDICTS.contains(r.verdict())) {
                problems.add(r + ": unknown verdict '" + r.verdict() + "' (allowed: governed, dominated, harmless, gap)");
            }
            problems.addAll(checkReason(r));
            for (String jdk : r.jdk().equals("any") ? List.of("17", "25") : List.of(r.jdk())) {
                if (!keys.add(r.module() + " " + r.owner() + " " + r.method() + " " + jdk)) {
                    problems.add(r + ": a second row for the same native (or class) on JDK " + jdk);
                }
            }
            if (previous != null && ORDER.compare(previous, r) > 0) {
                problems.add(r + ": out of order (keep rows sorted by module, class, method with * first, then jdk)");
            }
            previous = r;
        }
        assertTrue(problems.isEmpty(), () -> "agt: " + TABLE + " has malformed rows:\n" + String.join("\n", problems));
    }

    static final Comparator<Row> ORDER = Comparator.comparing(Row::module)
            .thenComparing(Row::owner)
            .thenComparing(r -> r.classWide() ? "" : r.method())
            .thenComparing(Row::jdk);

    /** A governed or dominated row names known hooks before ' -- '; every row says why. */
    static List<String> checkReason(Row r) {
        List<String> problems = new ArrayList<>();
        String text = r.byOrWhy().strip();
        if (text.isEmpty()) {
            problems.add(r + ": by_or_why is empty");
            return problems;
        }
        if (r.verdict().equals("governed") || r.verdict().equals("dominated")) {
            int sep = text.indexOf(" -- ");
            String hooks = sep < 0 ? text : text.substring(0, sep);
            for (String id : hooks.split(" ")) {
                if (!HOOK_IDS.contains(id)) {
                    problems.add(r + ": '" + id + "' is not a known hook id (NativeCoverageTest.HOOK_IDS); name the hook, then ' -- ' and the reason");
                }
            }
            if (r.verdict().equals("dominated") && (sep < 0 || text.substring(sep + 4).isBlank())) {
                problems.add(r + ": a dominated row says why after ' -- '");
            }
        }
        return problems;
    }

    static List<Row> readTable() throws IOException {
        InputStream in = NativeCoverageTest.class.getResourceAsStream("/" + TABLE);
        if (in == null) {
            throw new IllegalStateException("agt: " + TABLE + " is not on the test class path (javaagent/src/test/resources)");
        }
        List<Row> out = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            boolean header = true;
            int line = 0;
            for (String s; (s = reader.readLine()) != null; ) {
                line++;
                if (s.isBlank() || s.startsWith("#")) {
                    continue;
                }
                String[] f = s.split("\t", -1);
                if (header) {
                    if (!String.join("\t", f).equals("module\tclass\tmethod\tjdk\tverdict\tby_or_why")) {
                        throw new IllegalStateException("agt: " + TABLE + ":" + line + ": expected the header line module, class, method, jdk, verdict, by_or_why");
                    }
                    header = false;
                    continue;
                }
                if (f.length != 6) {
                    throw new IllegalStateException("agt: " + TABLE + ":" + line + ": expected 6 tab-separated columns, found " + f.length);
                }
                out.add(new Row(line, f[0], f[1], f[2], f[3], f[4], f[5]));
            }
        }
        return out;
    }

    /** Every ACC_NATIVE method of the listed modules, read from the running JDK's image. */
    static Set<Native> nativesOfRunningJdk() throws IOException {
        FileSystem jrt = FileSystems.getFileSystem(URI.create("jrt:/"));
        Set<Native> out = new LinkedHashSet<>();
        for (String module : MODULES) {
            Path root = jrt.getPath("/modules", module);
            if (!Files.isDirectory(root)) {
                continue; // not in this JDK (e.g. jdk.incubator.foreign after 19)
            }
            List<Path> classes;
            try (Stream<Path> walk = Files.walk(root)) {
                classes = walk.filter(p -> p.toString().endsWith(".class") && !p.getFileName().toString().equals("module-info.class"))
                        .toList();
            }
            for (Path p : classes) {
                ClassReader reader;
                try {
                    reader = new ClassReader(Files.readAllBytes(p));
                } catch (IllegalArgumentException e) {
                    throw new IllegalStateException("agt: ASM cannot read " + p + " of JDK " + feature
                            + " (class file too new?): update org.ow2.asm in the parent pom", e);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                reader.accept(new ClassVisitor(Opcodes.ASM9) {
                    String owner;

                    @Override
                    public void visit(int version, int access, String name, String signature, String superName, String[] interfaces) {
                        owner = name;
                    }

                    @Override
                    public MethodVisitor visitMethod(int access, String name, String descriptor, String signature, String[] exceptions) {
                        if ((access & Opcodes.ACC_NATIVE) != 0) {
                            out.add(new Native(module, owner, name + descriptor));
                        }
                        return null;
                    }
                }, ClassReader.SKIP_CODE | ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
            }
        }
        return out;
    }
}
