package dev.agt.tests.catalogue;

import static dev.agt.tests.catalogue.ActionCatalogue.act;
import static dev.agt.tests.catalogue.ActionCatalogue.change;
import static dev.agt.tests.catalogue.ActionCatalogue.current;
import static dev.agt.tests.catalogue.ActionCatalogue.root;
import static dev.agt.tests.catalogue.ActionCatalogue.secret;
import static dev.agt.tests.catalogue.ActionCatalogue.victim;

import java.io.File;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.DosFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The routes below the public APIs: directory-descriptor calls, extended and DOS attributes,
 * temporary files, symlink-then-.. on every path operation, the class path, metadata probes,
 * forged host names, unspecified addresses, binds, reverse lookups, relative executables, JVM
 * options handed to children, and the FFM API. Each class has several variants; each was first
 * run against the agent before its gateway was governed and got through (see the commit that
 * added it).
 */
final class GatewayActions {
    private GatewayActions() {
    }

    static Path secretDir() {
        return root.resolve("secret");
    }

    /** A secure directory stream on the workspace, from which the secret is one "../" away. */
    static SecureDirectoryStream<Path> sds() throws Exception {
        DirectoryStream<Path> ds = Files.newDirectoryStream(root.resolve("work"));
        if (!(ds instanceof SecureDirectoryStream<Path> s)) {
            ds.close();
            throw new UnsupportedOperationException("no SecureDirectoryStream here");
        }
        return s;
    }

    static Path rel(String inSecret) {
        return Path.of("../secret/" + inSecret);
    }

    static String victimName() {
        return "v/" + current + ".txt";
    }

    static Object write(SeekableByteChannel ch) throws Exception {
        try (ch) {
            return ch.write(ByteBuffer.wrap("pwned".getBytes(StandardCharsets.UTF_8)));
        }
    }

    static String get(InetSocketAddress to) throws Exception {
        try (Socket s = new Socket()) {
            s.connect(to, 5000);
            s.getOutputStream().write(("GET /" + current + " HTTP/1.0\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).lines().findFirst().orElse("");
        }
    }

    static String channelGet(SocketChannel ch) throws Exception {
        try (ch) {
            ch.write(ByteBuffer.wrap(("GET /" + current + " HTTP/1.0\r\n\r\n").getBytes(StandardCharsets.US_ASCII)));
            ByteBuffer b = ByteBuffer.allocate(64);
            ch.read(b);
            return "read " + b.position();
        }
    }

    static ByteBuffer name() {
        return ByteBuffer.wrap(current.getBytes(StandardCharsets.US_ASCII));
    }

    static InetAddress forged() throws Exception {
        return InetAddress.getByAddress("api.allowed.example", new byte[] {127, 0, 0, 2});
    }

    static InetAddress any() throws Exception {
        return InetAddress.getByAddress(new byte[4]);
    }

    static InetSocketAddress bindTo() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), ActionCatalogue.bindPort);
    }

    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** A child JVM running ChildProbe with one variable set; its PROBE line, or how it failed. */
    static String child(String variable, String value, String... options) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(java()));
        cmd.addAll(List.of(options));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), ChildProbe.class.getName()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        if (variable != null) {
            pb.environment().put(variable, value);
        }
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return "timed out";
        }
        return out.lines().filter(l -> l.startsWith("PROBE ")).map(l -> l.substring(6)).findFirst()
                .orElse("exit " + p.exitValue() + ": " + out.lines().findFirst().orElse("").replace(' ', '_'));
    }

    /** java.lang.foreign through reflection: the tests compile for Java 17, the FFM API is final in 22. */
    static Object ffm(String cls, String method, Class<?>[] types, Object target, Object... args) throws Throwable {
        Method m = Class.forName(cls).getMethod(method, types);
        try {
            return m.invoke(target, args);
        } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
        }
    }

    static Object linker() throws Throwable {
        return ffm("java.lang.foreign.Linker", "nativeLinker", new Class<?>[0], null);
    }

    static Object globalArena() throws Throwable {
        return ffm("java.lang.foreign.Arena", "global", new Class<?>[0], null);
    }

    static Object descriptor(boolean returnsInt) throws Throwable {
        Class<?> layout = Class.forName("java.lang.foreign.MemoryLayout");
        Class<?> fd = Class.forName("java.lang.foreign.FunctionDescriptor");
        Object layouts = java.lang.reflect.Array.newInstance(layout, 0);
        if (!returnsInt) {
            return fd.getMethod("ofVoid", layouts.getClass()).invoke(null, layouts);
        }
        Object javaInt = Class.forName("java.lang.foreign.ValueLayout").getField("JAVA_INT").get(null);
        return fd.getMethod("of", layout, layouts.getClass()).invoke(null, javaInt, layouts);
    }

    /** A symbol of the C library, looked up without any native access (find is not restricted). */
    static Object symbol(String name) throws Throwable {
        Object lookup = ffm("java.lang.foreign.Linker", "defaultLookup", new Class<?>[0], linker());
        Object found = ffm("java.lang.foreign.SymbolLookup", "find", new Class<?>[] {String.class}, lookup, name);
        return ((java.util.Optional<?>) found).orElseThrow();
    }

    static Object downcall(String name, boolean returnsInt) throws Throwable {
        Class<?> seg = Class.forName("java.lang.foreign.MemorySegment");
        Class<?> fd = Class.forName("java.lang.foreign.FunctionDescriptor");
        Class<?> opt = Class.forName("java.lang.foreign.Linker$Option");
        Object options = java.lang.reflect.Array.newInstance(opt, 0);
        return ffm("java.lang.foreign.Linker", "downcallHandle", new Class<?>[] {seg, fd, options.getClass()}, linker(), symbol(name),
                descriptor(returnsInt), options);
    }

    public static void noop() {
    }

    /** The agent's dispatcher, as application code finds it (the boot loader defines it). */
    static Class<?> dispatcher() throws Exception {
        return Class.forName("dev.agt.javaagent.bootstrap.Dispatcher");
    }

    /** Tries to disarm the checks for this thread or the whole JVM, then reads the secret: a refused try is fine, a read is not. */
    static Object disarmThenRead(Action disarm) throws Exception {
        try {
            disarm.run();
        } catch (Throwable refused) {
            // InaccessibleObjectException, IllegalAccessException, SecurityException: the agent's state is out of reach
        }
        return Files.readAllBytes(secret()).length;
    }

    interface Action {
        Object run() throws Throwable;
    }

    static sun.misc.Unsafe unsafe() throws Exception {
        java.lang.reflect.Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
        f.setAccessible(true);
        return (sun.misc.Unsafe) f.get(null);
    }

    static void register() {
        // ---- SecureDirectoryStream: openat, unlinkat, renameat, fchmod... on a directory descriptor
        act("file.sds.read.relative", () -> {
            try (var s = sds(); var ch = s.newByteChannel(rel("secret.txt"), Set.of(StandardOpenOption.READ))) {
                return ch.size();
            }
        });
        act("file.sds.read.absolute", () -> {
            try (var s = sds(); var ch = s.newByteChannel(secret(), Set.of(StandardOpenOption.READ))) {
                return ch.size();
            }
        });
        act("file.sds.read.symlink-then-dotdot", () -> {
            try (var s = sds(); var ch = s.newByteChannel(Path.of("deep-link/../secret.txt"), Set.of(StandardOpenOption.READ))) {
                return ch.size();
            }
        });
        change("file.sds.write", () -> {
            try (var s = sds()) {
                return write(s.newByteChannel(rel(victimName()), Set.of(StandardOpenOption.WRITE, StandardOpenOption.APPEND)));
            }
        });
        change("file.sds.create", () -> {
            try (var s = sds()) {
                return write(s.newByteChannel(rel("planted-" + current), Set.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW)));
            }
        });
        change("file.sds.deleteFile", () -> {
            try (var s = sds()) {
                s.deleteFile(rel(victimName()));
                return "deleted";
            }
        });
        change("file.sds.deleteDirectory", () -> {
            try (var s = sds()) {
                s.deleteDirectory(rel("vd/" + current));
                return "deleted";
            }
        });
        change("file.sds.move.out", () -> {
            try (var s = sds()) {
                s.move(rel(victimName()), s, Path.of("moved-" + current));
                return "moved";
            }
        });
        change("file.sds.move.in", () -> {
            Files.writeString(root.resolve("work/plant-" + current), "planted");
            try (var s = sds()) {
                s.move(Path.of("plant-" + current), s, rel("planted-" + current));
                return "moved";
            }
        });
        change("file.sds.setPermissions", () -> {
            try (var s = sds()) {
                s.getFileAttributeView(rel(victimName()), PosixFileAttributeView.class).setPermissions(PosixFilePermissions.fromString("rwxrwxrwx"));
                return "changed";
            }
        });
        change("file.sds.setTimes", () -> {
            try (var s = sds()) {
                s.getFileAttributeView(rel(victimName()), BasicFileAttributeView.class).setTimes(FileTime.fromMillis(0), null, null);
                return "changed";
            }
        });
        change("file.sds.setOwner", () -> {
            try (var s = sds()) {
                var owner = root.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("root");
                s.getFileAttributeView(rel(victimName()), PosixFileAttributeView.class).setOwner(owner);
                return "changed";
            }
        });
        act("file.sds.readAttributes", () -> {
            try (var s = sds()) {
                return s.getFileAttributeView(rel("secret.txt"), BasicFileAttributeView.class).readAttributes().size();
            }
        });
        act("file.sds.newDirectoryStream", () -> {
            try (var s = sds(); var inner = s.newDirectoryStream(Path.of("../secret"))) {
                int n = 0;
                for (Path p : inner) {
                    n++;
                }
                return n;
            }
        });
        // ---- extended and DOS attributes (fsetxattr, fremovexattr on a descriptor)
        change("file.xattr.user.write", () -> Files.getFileAttributeView(victim(), UserDefinedFileAttributeView.class)
                .write("agt", ByteBuffer.wrap("pwned".getBytes(StandardCharsets.UTF_8))));
        change("file.xattr.user.delete", () -> {
            Files.getFileAttributeView(victim(), UserDefinedFileAttributeView.class).delete("agt");
            return "deleted";
        });
        change("file.xattr.setAttribute", () -> Files.setAttribute(victim(), "user:agt", "pwned".getBytes(StandardCharsets.UTF_8)));
        change("file.dos.setAttribute.hidden", () -> Files.setAttribute(victim(), "dos:hidden", true));
        change("file.dos.view.setReadOnly", () -> {
            Files.getFileAttributeView(victim(), DosFileAttributeView.class).setReadOnly(true);
            return "changed";
        });
        act("file.xattr.user.list", Expect.DENIED, Expect.NOT_DENIED, () ->
                Files.getFileAttributeView(secret(), UserDefinedFileAttributeView.class).list());
        act("file.xattr.user.read", Expect.DENIED, Expect.NOT_DENIED, () ->
                Files.getFileAttributeView(secret(), UserDefinedFileAttributeView.class).read("agt", ByteBuffer.allocate(64)));
        // ---- temporary and new files below the public API (createFileExclusively, mkdir)
        change("file.temp.File.createTempFile", () -> File.createTempFile("agt", ".tmp", secretDir().toFile()));
        change("file.temp.Files.createTempFile", () -> Files.createTempFile(secretDir(), "agt", ".tmp"));
        change("file.temp.Files.createTempDirectory", () -> Files.createTempDirectory(secretDir(), "agt"));
        change("file.create.File.createNewFile", () -> new File(secretDir().toFile(), "new-" + current).createNewFile());
        change("file.create.File.mkdir", () -> new File(secretDir().toFile(), "d-" + current).mkdir());
        change("file.create.File.mkdirs", () -> new File(secretDir().toFile(), "d-" + current + "/a/b").mkdirs());
        change("file.create.Files.createDirectories", () -> Files.createDirectories(secretDir().resolve("d-" + current + "/a")));
        change("file.create.Files.createFile", () -> Files.createFile(secretDir().resolve("f-" + current)));
        change("file.create.FileChannel.CREATE_NEW", () -> write(FileChannel.open(secretDir().resolve("f-" + current),
                StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW)));
        // ---- symlink, then "..": work/deep-link/.. is secret/ to the kernel, whatever the text says
        change("file.delete.symlink-then-dotdot", () -> {
            Files.delete(Path.of(root + "/work/deep-link/../" + victimName()));
            return "deleted";
        });
        change("file.delete.File.symlink-then-dotdot", () -> new File(root + "/work/deep-link/../" + victimName()).delete());
        change("file.rename.symlink-then-dotdot.out", () -> Files.move(Path.of(root + "/work/deep-link/../" + victimName()),
                root.resolve("work/moved-" + current)));
        change("file.rename.symlink-then-dotdot.in", () -> {
            Path p = Files.writeString(root.resolve("work/plant-" + current), "planted");
            return Files.move(p, Path.of(root + "/work/deep-link/../planted-" + current));
        });
        change("file.rename.File.renameTo.symlink-then-dotdot", () -> new File(root + "/work/deep-link/../" + victimName())
                .renameTo(root.resolve("work/moved-" + current).toFile()));
        change("file.link.hard.symlink-then-dotdot", () -> Files.createLink(root.resolve("work/hl-" + current),
                Path.of(root + "/work/deep-link/../secret.txt")));
        change("file.link.symbolic.symlink-then-dotdot", () -> Files.createSymbolicLink(Path.of(root + "/work/deep-link/../sl-" + current),
                root.resolve("work")));
        // ---- the class path: secret/ is a class path directory of this JVM; only class files there are exempt
        act("file.read.classpath.getSystemResourceAsStream", Expect.value("absent"), Expect.value("found"), () -> {
            try (InputStream in = ClassLoader.getSystemResourceAsStream("secret.txt")) {
                return in == null ? "absent" : "found";
            }
        });
        act("file.read.classpath.getResource.openStream", Expect.value("absent"), Expect.value("found"), () -> {
            java.net.URL u = ActionCatalogue.class.getClassLoader().getResource("secret.txt");
            if (u == null) {
                return "absent";
            }
            try (InputStream in = u.openStream()) {
                return in.readAllBytes().length > 0 ? "found" : "empty";
            }
        });
        act("file.read.classpath.getResources", Expect.value(0), Expect.value(1), () ->
                java.util.Collections.list(Thread.currentThread().getContextClassLoader().getResources("secret.txt")).size());
        act("file.read.classpath.Files.readAllBytes", () -> Files.readAllBytes(secretDir().resolve("secret.txt")).length);
        // ---- metadata: a denied path answers nothing (java.io: "not there"; NIO: an exception)
        act("file.stat.Files.exists", Expect.value(false), Expect.value(true), () -> Files.exists(secret()));
        act("file.stat.Files.size", () -> Files.size(secret()));
        act("file.stat.Files.getLastModifiedTime", () -> Files.getLastModifiedTime(secret()));
        act("file.stat.Files.readAttributes", () -> Files.readAttributes(secret(), "*").size());
        act("file.stat.Files.isRegularFile", Expect.value(false), Expect.value(true), () -> Files.isRegularFile(secret()));
        act("file.stat.Files.isDirectory", Expect.value(false), Expect.value(true), () -> Files.isDirectory(secretDir().resolve("inner")));
        act("file.stat.Files.isReadable", Expect.value(false), Expect.value(true), () -> Files.isReadable(secret()));
        act("file.stat.Files.getOwner", () -> Files.getOwner(secret()).getName());
        act("file.stat.Files.getPosixFilePermissions", () -> Files.getPosixFilePermissions(secret()));
        act("file.stat.Path.toRealPath", () -> secret().toRealPath());
        act("file.stat.Files.getFileStore", () -> Files.getFileStore(secret()).name());
        act("file.stat.File.exists", Expect.value(false), Expect.value(true), () -> secret().toFile().exists());
        act("file.stat.File.isFile", Expect.value(false), Expect.value(true), () -> secret().toFile().isFile());
        act("file.stat.File.canRead", Expect.value(false), Expect.value(true), () -> secret().toFile().canRead());
        act("file.stat.File.length", Expect.value(0), Expect.OK, () -> secret().toFile().length());
        act("file.stat.File.lastModified", Expect.value(0), Expect.OK, () -> secret().toFile().lastModified());
        act("file.stat.File.getTotalSpace", Expect.value(0), Expect.OK, () -> secretDir().resolve("inner").toFile().getTotalSpace());
        act("file.stat.File.getCanonicalPath.link", () -> root.resolve("work/link-to-secret").toFile().getCanonicalPath());
        act("file.stat.WatchService.register", () -> {
            try (var ws = root.getFileSystem().newWatchService()) {
                return secretDir().resolve("inner").register(ws, java.nio.file.StandardWatchEventKinds.ENTRY_CREATE).isValid();
            }
        });
        act("file.stat.readSymbolicLink.workspace-link", Expect.OK, Expect.OK, () -> Files.readSymbolicLink(root.resolve("work/link-to-secret")));
        // ---- more routes to read, list and change the secret
        act("file.read.Files.newByteChannel", () -> {
            try (var ch = Files.newByteChannel(secret())) {
                return ch.size();
            }
        });
        act("file.read.FileChannel.map", () -> {
            try (var ch = FileChannel.open(secret())) {
                return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size()).remaining();
            }
        });
        act("file.read.Files.readString", () -> Files.readString(secret()).length());
        act("file.read.Files.readAllLines", () -> Files.readAllLines(secret()).size());
        act("file.read.file-url.openStream", () -> {
            try (InputStream in = secret().toUri().toURL().openStream()) {
                return in.readAllBytes().length;
            }
        });
        act("file.read.NOFOLLOW-through-link", Expect.DENIED, Expect.ERROR, () ->
                Files.newInputStream(root.resolve("work/link-to-secret"), LinkOption.NOFOLLOW_LINKS).readAllBytes().length);
        act("file.read.JarFile", Expect.DENIED, Expect.ERROR, () -> new java.util.jar.JarFile(secret().toFile()).size());
        act("file.read.Scanner.Path", () -> new java.util.Scanner(secret()).nextLine());
        // a zip file system first probes the file: denied (JDK 25), or "not there" (JDK 17's Files.exists)
        act("file.read.zipfs", Expect.NOT_OK, Expect.ERROR, () -> java.nio.file.FileSystems.newFileSystem(secret()).getRootDirectories());
        act("file.read.redirectInput", () -> new ProcessBuilder(root.resolve("work/tools/ok.sh").toString()).redirectInput(secret().toFile())
                .start().waitFor());
        change("file.write.redirectOutput", () -> new ProcessBuilder(root.resolve("work/tools/ok.sh").toString())
                .redirectOutput(victim().toFile()).start().waitFor());
        act("file.list.File.list", () -> secretDir().toFile().list().length);
        act("file.list.Files.newDirectoryStream.glob", () -> {
            try (var ds = Files.newDirectoryStream(secretDir(), "*.txt")) {
                return ds.iterator().hasNext();
            }
        });
        act("file.list.Files.find", () -> {
            try (var s = Files.find(secretDir(), 3, (p, a) -> true)) {
                return s.count();
            }
        });
        act("file.list.File.listFiles.filter", () -> secretDir().toFile().listFiles(f -> true).length);
        change("file.write.RandomAccessFile.rw", () -> {
            try (var f = new java.io.RandomAccessFile(victim().toFile(), "rw")) {
                f.write(1);
                return "written";
            }
        });
        change("file.write.FileChannel.WRITE", () -> write(FileChannel.open(victim(), StandardOpenOption.WRITE)));
        change("file.write.AsynchronousFileChannel", () -> {
            try (var ch = java.nio.channels.AsynchronousFileChannel.open(victim(), StandardOpenOption.WRITE)) {
                return ch.write(ByteBuffer.wrap(new byte[] {1}), 0).get(30, TimeUnit.SECONDS);
            }
        });
        change("file.write.Files.newBufferedWriter", () -> {
            try (var w = Files.newBufferedWriter(victim())) {
                w.write("pwned");
                return "written";
            }
        });
        change("file.write.Files.write.lines", () -> Files.write(victim(), List.of("pwned")));
        change("file.write.TRUNCATE_EXISTING", () -> write(Files.newByteChannel(victim(), StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)));
        change("file.delete.DELETE_ON_CLOSE", () -> {
            try (var ch = Files.newByteChannel(victim(), StandardOpenOption.READ, StandardOpenOption.DELETE_ON_CLOSE)) {
                return ch.size();
            }
        });
        change("file.delete.Files.deleteIfExists", () -> Files.deleteIfExists(victim()));
        change("file.delete.directory", () -> {
            Files.delete(secretDir().resolve("vd/" + current));
            return "deleted";
        });
        change("file.delete.File.directory", () -> secretDir().resolve("vd/" + current).toFile().delete());
        act("file.delete.File.deleteOnExit", Expect.OK, Expect.OK, () -> {
            victim().toFile().deleteOnExit(); // decided at exit, after the last action: the effect check sees the victim
            return "registered";
        });
        change("file.rename.File.renameTo.out", () -> victim().toFile().renameTo(root.resolve("work/moved-" + current).toFile()));
        change("file.rename.in", () -> Files.move(Files.writeString(root.resolve("work/plant-" + current), "planted"),
                secretDir().resolve("planted-" + current)));
        change("file.rename.ATOMIC_MOVE", () -> Files.move(victim(), root.resolve("work/moved-" + current), StandardCopyOption.ATOMIC_MOVE));
        change("file.copy.in", () -> Files.copy(Files.writeString(root.resolve("work/copy-" + current), "planted"),
                secretDir().resolve("copied-" + current)));
        change("file.copy.onto-victim", () -> Files.copy(Files.writeString(root.resolve("work/copy-" + current), "planted"), victim(),
                StandardCopyOption.REPLACE_EXISTING));
        change("file.copy.InputStream", () -> Files.copy(new java.io.ByteArrayInputStream(new byte[] {1}), victim(),
                StandardCopyOption.REPLACE_EXISTING));
        change("file.link.symbolic.in-secret", () -> Files.createSymbolicLink(secretDir().resolve("sl-" + current), root.resolve("work")));
        change("file.link.symbolic.to-secret", () -> Files.createSymbolicLink(root.resolve("work/sl-" + current), secret()));
        change("file.attr.setOwner", () -> Files.setOwner(victim(),
                root.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("root")));
        change("file.attr.setAttribute.permissions", () -> Files.setAttribute(victim(), "posix:permissions",
                PosixFilePermissions.fromString("rwxrwxrwx")));
        change("file.attr.setAttribute.lastAccessTime", () -> Files.setAttribute(victim(), "lastAccessTime", FileTime.fromMillis(0)));
        change("file.attr.view.setTimes", () -> {
            Files.getFileAttributeView(victim(), BasicFileAttributeView.class).setTimes(FileTime.fromMillis(0), null, null);
            return "changed";
        });
        change("file.attr.NOFOLLOW.setPermissions", () -> {
            Files.getFileAttributeView(victim(), PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .setPermissions(PosixFilePermissions.fromString("rwxrwxrwx"));
            return "changed";
        });
        change("file.attr.File.setReadable", () -> victim().toFile().setReadable(false));
        change("file.attr.File.setWritable", () -> victim().toFile().setWritable(false));
        change("file.attr.File.setLastModified", () -> victim().toFile().setLastModified(0));
        change("file.attr.File.setReadOnly", () -> victim().toFile().setReadOnly());
        // ---- forged host names: a name the resolver never gave for that address is not the address's name
        act("net.forged-host.Socket", () -> get(new InetSocketAddress(forged(), ActionCatalogue.otherPort)));
        act("net.forged-host.SocketChannel", () -> channelGet(SocketChannel.open(new InetSocketAddress(forged(), ActionCatalogue.otherPort))));
        act("net.forged-host.Socket.constructor", () -> {
            try (Socket s = new Socket(forged(), ActionCatalogue.otherPort)) {
                s.getOutputStream().write(("GET /" + current + " HTTP/1.0\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                return s.getInputStream().readAllBytes().length;
            }
        });
        act("net.forged-host.HttpURLConnection.proxy-free", () -> {
            var c = (java.net.HttpURLConnection) new java.net.URL("http", "127.0.0.2", ActionCatalogue.otherPort, "/" + current)
                    .openConnection(java.net.Proxy.NO_PROXY);
            try (InputStream in = c.getInputStream()) {
                return c.getResponseCode();
            }
        });
        // ---- the unspecified address reaches the loopback
        act("net.unspecified.udp.DatagramSocket", () -> {
            try (java.net.DatagramSocket s = new java.net.DatagramSocket()) {
                byte[] b = current.getBytes(StandardCharsets.US_ASCII);
                s.send(new java.net.DatagramPacket(b, b.length, new InetSocketAddress(any(), ActionCatalogue.udpPort)));
                return "sent";
            }
        });
        act("net.unspecified.udp.DatagramChannel", () -> {
            try (DatagramChannel ch = DatagramChannel.open()) {
                return ch.send(name(), new InetSocketAddress(any(), ActionCatalogue.udpPort));
            }
        });
        act("net.unspecified.udp.DatagramChannel.connect", () -> {
            try (DatagramChannel ch = DatagramChannel.open()) {
                ch.connect(new InetSocketAddress(any(), ActionCatalogue.udpPort));
                return ch.write(name());
            }
        });
        act("net.unspecified.udp.DatagramSocket.connect", () -> {
            try (java.net.DatagramSocket s = new java.net.DatagramSocket()) {
                s.connect(new InetSocketAddress(any(), ActionCatalogue.udpPort));
                byte[] b = current.getBytes(StandardCharsets.US_ASCII);
                s.send(new java.net.DatagramPacket(b, b.length));
                return "sent";
            }
        });
        act("net.unspecified.tcp.Socket", () -> get(new InetSocketAddress(any(), ActionCatalogue.port)));
        act("net.unspecified.tcp.SocketChannel", () -> channelGet(SocketChannel.open(new InetSocketAddress(any(), ActionCatalogue.port))));
        act("net.unspecified.tcp.HttpClient", () -> java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://0.0.0.0:" + ActionCatalogue.port + "/" + current)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode());
        act("net.unspecified.tcp.ipv6", Expect.DENIED, Expect.NOT_DENIED, () ->
                get(new InetSocketAddress(InetAddress.getByName("::"), ActionCatalogue.port)));
        act("net.udp.MulticastSocket.send", () -> {
            try (java.net.MulticastSocket s = new java.net.MulticastSocket()) {
                byte[] b = current.getBytes(StandardCharsets.US_ASCII);
                s.send(new java.net.DatagramPacket(b, b.length, new InetSocketAddress("127.0.0.1", ActionCatalogue.udpPort)));
                return "sent";
            }
        });
        act("net.udp.DatagramSocket.connected-send", () -> {
            try (java.net.DatagramSocket s = new java.net.DatagramSocket()) {
                s.connect(new InetSocketAddress("127.0.0.1", ActionCatalogue.udpPort));
                byte[] b = current.getBytes(StandardCharsets.US_ASCII);
                s.send(new java.net.DatagramPacket(b, b.length));
                return "sent";
            }
        });
        act("net.connect.AsynchronousSocketChannel", () -> {
            try (var ch = java.nio.channels.AsynchronousSocketChannel.open()) {
                ch.connect(new InetSocketAddress("127.0.0.1", ActionCatalogue.port)).get(30, TimeUnit.SECONDS);
                ch.write(ByteBuffer.wrap(("GET /" + current + " HTTP/1.0\r\n\r\n").getBytes(StandardCharsets.US_ASCII))).get(30, TimeUnit.SECONDS);
                return ch.read(ByteBuffer.allocate(64)).get(30, TimeUnit.SECONDS);
            }
        });
        // ---- binds: every server, datagram and client socket that takes a chosen local port
        act("net.bind.ServerSocket", () -> {
            try (var s = new java.net.ServerSocket()) {
                s.bind(bindTo());
                return "bound";
            }
        });
        act("net.bind.ServerSocketChannel", () -> {
            try (var s = java.nio.channels.ServerSocketChannel.open()) {
                return s.bind(bindTo()).getLocalAddress() != null;
            }
        });
        act("net.bind.AsynchronousServerSocketChannel", () -> {
            try (var s = java.nio.channels.AsynchronousServerSocketChannel.open()) {
                return s.bind(bindTo()).getLocalAddress() != null;
            }
        });
        act("net.bind.DatagramChannel", () -> {
            try (var s = DatagramChannel.open()) {
                return s.bind(bindTo()).getLocalAddress() != null;
            }
        });
        act("net.bind.DatagramSocket", () -> {
            try (var s = new java.net.DatagramSocket(bindTo())) {
                return "bound";
            }
        });
        act("net.bind.MulticastSocket", () -> {
            try (var s = new java.net.MulticastSocket(ActionCatalogue.bindPort)) {
                return "bound";
            }
        });
        act("net.bind.SocketChannel.client", () -> {
            try (var s = SocketChannel.open()) {
                return s.bind(bindTo()).getLocalAddress() != null;
            }
        });
        act("net.bind.Socket.client", () -> {
            try (var s = new Socket()) {
                s.bind(bindTo());
                return "bound";
            }
        });
        act("net.bind.AsynchronousSocketChannel.client", () -> {
            try (var s = java.nio.channels.AsynchronousSocketChannel.open()) {
                return s.bind(bindTo()).getLocalAddress() != null;
            }
        });
        act("net.bind.unix-domain", () -> {
            try (var s = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
                return s.bind(java.net.UnixDomainSocketAddress.of(secretDir().resolve("s-" + current.hashCode()))) != null;
            }
        });
        // ---- reverse lookups name the address to the resolver: denied, the JDK answers with the address
        act("net.reverse.getHostName", Expect.value("127.0.0.1"), Expect.NOT_DENIED, () ->
                InetAddress.getByAddress(new byte[] {127, 0, 0, 1}).getHostName());
        act("net.reverse.getCanonicalHostName", Expect.value("127.0.0.1"), Expect.NOT_DENIED, () ->
                InetAddress.getByAddress(new byte[] {127, 0, 0, 1}).getCanonicalHostName());
        // ---- executables as the kernel finds them: relative to the child's directory
        act("process.relative-with-directory", () -> new ProcessBuilder("work/tools/ok.sh", current)
                .directory(root.resolve("evil").toFile()).start().waitFor());
        act("process.dot-slash-with-directory", () -> new ProcessBuilder("./work/tools/ok.sh", current)
                .directory(root.resolve("evil").toFile()).start().waitFor());
        act("process.Runtime.exec-with-directory", () -> Runtime.getRuntime().exec(new String[] {"work/tools/ok.sh", current}, null,
                root.resolve("evil").toFile()).waitFor());
        act("process.allowed-tool", Expect.OK, Expect.OK, () -> new ProcessBuilder(root.resolve("work/tools/ok.sh").toString(), current)
                .start().waitFor());
        // ---- JVM options handed to a child: removed from its environment, refused on its command line
        act("process.java.env.JAVA_TOOL_OPTIONS.agentpath", Expect.value("governed"), Expect.value("governed"), () ->
                child("JAVA_TOOL_OPTIONS", "-agentpath:/nonexistent/libagt-evil.so", new String[0]));
        act("process.java.env.JDK_JAVA_OPTIONS.add-opens", Expect.value("governed"), Expect.value("governed"), () ->
                child("JDK_JAVA_OPTIONS", "--add-opens=java.base/java.io=ALL-UNNAMED", new String[0]));
        act("process.java.env._JAVA_OPTIONS.bootclasspath", Expect.value("governed"), Expect.value("governed"), () ->
                child("_JAVA_OPTIONS", "-Xbootclasspath/a:" + root.resolve("work"), new String[0]));
        act("process.java.env.JAVA_TOOL_OPTIONS.plain-sockets", Expect.value("governed"), Expect.value("governed"), () ->
                child("JAVA_TOOL_OPTIONS", "-Djdk.net.usePlainSocketImpl=true", new String[0]));
        act("process.java.env.JAVA_TOOL_OPTIONS.safe-kept", Expect.value("governed"), Expect.value("governed"), () ->
                child("JAVA_TOOL_OPTIONS", "-Xmx64m -Dapp.mode=test", new String[0]));
        act("process.java.argv.agentpath", Expect.DENIED, Expect.DENIED, () -> child(null, null, "-agentpath:/nonexistent/libagt-evil.so"));
        act("process.java.argv.add-opens", Expect.DENIED, Expect.DENIED, () -> child(null, null, "--add-opens", "java.base/java.io=ALL-UNNAMED"));
        act("process.java.argv.Xbootclasspath", Expect.DENIED, Expect.DENIED, () -> child(null, null, "-Xbootclasspath/a:" + root.resolve("work")));
        act("process.java.argv.argfile", Expect.DENIED, Expect.DENIED, () -> child(null, null, "@" + root.resolve("work/args")));
        act("process.java.argv.OnError", Expect.DENIED, Expect.DENIED, () -> child(null, null, "-XX:OnError=touch " + root.resolve("work/marker-onerror")));
        act("process.java.argv.javaagent", Expect.DENIED, Expect.DENIED, () -> child(null, null, "-javaagent:" + root.resolve("work/other-agent.jar")));
        // ---- more variants of the classes above
        act("file.sds.read.link-in-workspace", () -> {
            try (var s = sds(); var ch = s.newByteChannel(Path.of("link-to-secret"), Set.of(StandardOpenOption.READ))) {
                return ch.size(); // openat follows the link: decided on where it leads
            }
        });
        change("file.sds.move.between-streams", () -> {
            try (var s = sds(); var tools = (SecureDirectoryStream<Path>) Files.newDirectoryStream(root.resolve("work/tools"))) {
                s.move(rel(victimName()), tools, Path.of("moved-" + current));
                return "moved";
            }
        });
        act("file.stat.File.isDirectory", Expect.value(false), Expect.value(true), () -> secretDir().resolve("inner").toFile().isDirectory());
        act("file.stat.File.canWrite", Expect.value(false), Expect.value(true), () -> secret().toFile().canWrite());
        act("file.stat.Files.getAttribute.size", () -> Files.getAttribute(secret(), "size"));
        act("file.stat.Files.isSameFile", () -> Files.isSameFile(secret(), root.resolve("work/link-to-secret")));
        act("net.forged-host.AsynchronousSocketChannel", () -> {
            try (var ch = java.nio.channels.AsynchronousSocketChannel.open()) {
                ch.connect(new InetSocketAddress(forged(), ActionCatalogue.otherPort)).get(30, TimeUnit.SECONDS);
                ch.write(ByteBuffer.wrap(("GET /" + current + " HTTP/1.0\r\n\r\n").getBytes(StandardCharsets.US_ASCII))).get(30, TimeUnit.SECONDS);
                return ch.read(ByteBuffer.allocate(64)).get(30, TimeUnit.SECONDS);
            }
        });
        act("net.forged-host.DatagramChannel.connect", () -> {
            try (DatagramChannel ch = DatagramChannel.open()) {
                ch.connect(new InetSocketAddress(forged(), ActionCatalogue.udpPort));
                return ch.write(name());
            }
        });
        act("net.unspecified.tcp.AsynchronousSocketChannel", Expect.DENIED, Expect.NOT_DENIED, () -> { // (an IPv6 socket: refused)
            try (var ch = java.nio.channels.AsynchronousSocketChannel.open()) {
                ch.connect(new InetSocketAddress(any(), ActionCatalogue.port)).get(30, TimeUnit.SECONDS);
                ch.write(ByteBuffer.wrap(("GET /" + current + " HTTP/1.0\r\n\r\n").getBytes(StandardCharsets.US_ASCII))).get(30, TimeUnit.SECONDS);
                return ch.read(ByteBuffer.allocate(64)).get(30, TimeUnit.SECONDS);
            }
        });
        act("net.unspecified.tcp.HttpURLConnection", () -> {
            var c = (java.net.HttpURLConnection) new java.net.URL("http://0.0.0.0:" + ActionCatalogue.port + "/" + current)
                    .openConnection(java.net.Proxy.NO_PROXY);
            try (InputStream in = c.getInputStream()) {
                return c.getResponseCode();
            }
        });
        act("net.unspecified.tcp.OkHttp", () -> {
            try (okhttp3.Response r = new okhttp3.OkHttpClient().newCall(new okhttp3.Request.Builder()
                    .url("http://0.0.0.0:" + ActionCatalogue.port + "/" + current).build()).execute()) {
                return r.code();
            }
        });
        act("net.reverse.InetSocketAddress.getHostName", Expect.value("127.0.0.1"), Expect.NOT_DENIED, () ->
                new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 80).getHostName());
        act("net.bind.ServerSocket.wildcard", () -> {
            try (var s = new java.net.ServerSocket(ActionCatalogue.bindPort)) {
                return "bound";
            }
        });
        act("net.bind.DatagramSocket.wildcard", () -> {
            try (var s = new java.net.DatagramSocket(ActionCatalogue.bindPort)) {
                return "bound";
            }
        });
        // the JDK searches the parent's PATH, whatever PATH the child is given: neither finds ok.sh
        act("process.bare-name-on-child-PATH", Expect.DENIED, Expect.ERROR, () -> {
            ProcessBuilder pb = new ProcessBuilder("ok.sh", current);
            pb.environment().put("PATH", root.resolve("work/tools").toString());
            return pb.start().waitFor();
        });
        // another thread strips the agent from the child's environment while the launch is decided:
        // every child that starts is governed (the final gateway compares what runs with what was decided)
        act("process.race.JAVA_TOOL_OPTIONS", Expect.value("0 ungoverned"), Expect.value("0 ungoverned"), () -> {
            int ungoverned = 0;
            for (int i = 0; i < 4; i++) {
                ProcessBuilder pb = new ProcessBuilder(java(), "-cp", System.getProperty("java.class.path"), ChildProbe.class.getName())
                        .redirectErrorStream(true);
                Map<String, String> env = pb.environment();
                java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
                Thread t = new Thread(() -> {
                    while (!stop.get()) {
                        try {
                            env.remove("JAVA_TOOL_OPTIONS");
                        } catch (RuntimeException concurrent) {
                            // the map is not thread-safe: a failed removal is just another try
                        }
                    }
                });
                t.start();
                try {
                    Process p = pb.start();
                    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                    p.waitFor(60, TimeUnit.SECONDS);
                    if (!out.contains("PROBE governed")) {
                        ungoverned++;
                    }
                } catch (Exception refusedOrBroken) {
                    // refused at the final gateway (launch-changed), or the map broke under the race: nothing ran
                } finally {
                    stop.set(true);
                    t.join();
                }
            }
            return ungoverned + " ungoverned";
        });
        act("native.ffm.downcall.unbound", Expect.DENIED, Expect.OK, 22, () -> {
            Class<?> fd = Class.forName("java.lang.foreign.FunctionDescriptor");
            Class<?> opt = Class.forName("java.lang.foreign.Linker$Option");
            Object options = java.lang.reflect.Array.newInstance(opt, 0);
            return ffm("java.lang.foreign.Linker", "downcallHandle", new Class<?>[] {fd, options.getClass()}, linker(), descriptor(true), options) != null;
        });
        // ---- code and files reached through the JVM's management interfaces
        act("native.DiagnosticCommand.JVMTI.agent_load", Expect.DENIED, Expect.NOT_DENIED, () -> {
            var server = java.lang.management.ManagementFactory.getPlatformMBeanServer();
            return server.invoke(new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand"), "jvmtiAgentLoad",
                    new Object[] {new String[] {root.resolve("work/libnothing.so").toString()}}, new String[] {String[].class.getName()});
        });
        act("native.DiagnosticCommand.VM.log", Expect.DENIED, Expect.NOT_DENIED, () -> {
            var server = java.lang.management.ManagementFactory.getPlatformMBeanServer();
            return server.invoke(new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand"), "vmLog",
                    new Object[] {new String[] {"output=" + secretDir().resolve("vm-" + current + ".log"), "what=disable"}},
                    new String[] {String[].class.getName()});
        });
        change("file.HotSpotDiagnostic.dumpHeap", () -> {
            var bean = java.lang.management.ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            bean.dumpHeap(secretDir().resolve("heap-" + current + ".hprof").toString(), true);
            return "dumped";
        });
        act("native.HotSpotDiagnostic.setVMOption", Expect.DENIED, Expect.NOT_DENIED, () -> {
            var bean = java.lang.management.ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            bean.setVMOption("HeapDumpPath", secretDir().resolve("oom.hprof").toString());
            return "set";
        });
        // a security provider that loads a native library from a path its configuration names
        act("native.pkcs11.library", Expect.DENIED, Expect.ERROR, () -> java.security.Security.getProvider("SunPKCS11")
                .configure("--name=agt\nlibrary=" + root.resolve("work/libnothing.so")));
        // a signal to a process this JVM did not start (the test's sleeper): decided as process/signal
        act("process.signal.ProcessHandle.destroy", Expect.DENIED, Expect.OK, () -> ProcessHandle.of(ActionCatalogue.sleeperPid)
                .orElseThrow().destroyForcibly());
        act("native.attach.self", Expect.DENIED, Expect.ERROR, () -> Class.forName("com.sun.tools.attach.VirtualMachine")
                .getMethod("attach", String.class).invoke(null, String.valueOf(ProcessHandle.current().pid())));
        // ---- native code: JNI loads by the file loaded, and the FFM API's restricted methods (JDK 22+)
        act("native.Runtime.load", Expect.DENIED, Expect.ERROR, () -> {
            Runtime.getRuntime().load(root.resolve("work/libnothing.so").toString());
            return "loaded";
        });
        // its existence is probed first: denied, the library is not there
        act("native.System.load.secret", Expect.NOT_OK, Expect.ERROR, () -> {
            System.load(secretDir().resolve("libnothing.so").toString());
            return "loaded";
        });
        act("native.ffm.libraryLookup.path", Expect.DENIED, Expect.ERROR, 22, () -> ffm("java.lang.foreign.SymbolLookup", "libraryLookup",
                new Class<?>[] {Path.class, Class.forName("java.lang.foreign.Arena")}, null, root.resolve("work/libnothing.so"), globalArena()));
        act("native.ffm.libraryLookup.name", Expect.DENIED, Expect.ERROR, 22, () -> ffm("java.lang.foreign.SymbolLookup", "libraryLookup",
                new Class<?>[] {String.class, Class.forName("java.lang.foreign.Arena")}, null, root.resolve("work/libnothing.so").toString(),
                globalArena()));
        act("native.ffm.downcall.getpid", Expect.DENIED, Expect.OK, 22, () ->
                ((java.lang.invoke.MethodHandle) downcall("getpid", true)).invokeWithArguments());
        act("native.ffm.downcall.system", Expect.DENIED, Expect.OK, 22, () -> downcall("system", true) != null); // made, never called
        act("native.ffm.reinterpret", Expect.DENIED, Expect.OK, 22, () -> {
            Class<?> seg = Class.forName("java.lang.foreign.MemorySegment");
            Object s = seg.getMethod("ofAddress", long.class).invoke(null, 8L);
            return ffm("java.lang.foreign.MemorySegment", "reinterpret", new Class<?>[] {long.class}, s, 8L) != null;
        });
        act("native.ffm.upcallStub", Expect.DENIED, Expect.OK, 22, () -> {
            Class<?> fd = Class.forName("java.lang.foreign.FunctionDescriptor");
            Class<?> opt = Class.forName("java.lang.foreign.Linker$Option");
            Object options = java.lang.reflect.Array.newInstance(opt, 0);
            var target = java.lang.invoke.MethodHandles.lookup().findStatic(GatewayActions.class, "noop",
                    java.lang.invoke.MethodType.methodType(void.class));
            return ffm("java.lang.foreign.Linker", "upcallStub", new Class<?>[] {java.lang.invoke.MethodHandle.class, fd,
                    Class.forName("java.lang.foreign.Arena"), options.getClass()}, linker(), target, descriptor(false), globalArena(), options) != null;
        });
        act("native.ffm.AddressLayout.withTargetLayout", Expect.DENIED, Expect.OK, 22, () -> {
            Object address = Class.forName("java.lang.foreign.ValueLayout").getField("ADDRESS").get(null);
            Object javaInt = Class.forName("java.lang.foreign.ValueLayout").getField("JAVA_INT").get(null);
            return ffm("java.lang.foreign.AddressLayout", "withTargetLayout", new Class<?>[] {Class.forName("java.lang.foreign.MemoryLayout")},
                    address, javaInt) != null;
        });
        // ---- switching the checks off from inside: reflection, method handles, Unsafe. Last, and
        // per-thread tries on a thread of their own: one that worked must not decide later actions
        act("bypass.setAccessible.DEPTH", () -> ActionCatalogue.onThread(() -> disarmThenRead(() -> {
            java.lang.reflect.Field f = dispatcher().getDeclaredField("DEPTH");
            f.setAccessible(true);
            return ((int[]) ((ThreadLocal<?>) f.get(null)).get())[0] += 1000;
        })));
        act("bypass.setAccessible.armed", () -> disarmThenRead(() -> {
            java.lang.reflect.Field f = dispatcher().getDeclaredField("armed");
            f.setAccessible(true);
            f.setBoolean(null, false);
            return "disarmed";
        }));
        act("bypass.setAccessible.handler", () -> disarmThenRead(() -> {
            Class<?> h = Class.forName("dev.agt.javaagent.bootstrap.Handler");
            Object allowAll = java.lang.reflect.Proxy.newProxyInstance(GatewayActions.class.getClassLoader(), new Class<?>[] {h}, (p, m, a) -> null);
            java.lang.reflect.Field f = dispatcher().getDeclaredField("handler");
            f.setAccessible(true);
            f.set(null, allowAll);
            return "replaced";
        }));
        act("bypass.privateLookupIn.armed", () -> disarmThenRead(() -> {
            var lookup = java.lang.invoke.MethodHandles.privateLookupIn(dispatcher(), java.lang.invoke.MethodHandles.lookup());
            lookup.findStaticVarHandle(dispatcher(), "armed", boolean.class).set(false);
            return "disarmed";
        }));
        act("bypass.privateLookupIn.DEPTH", () -> ActionCatalogue.onThread(() -> disarmThenRead(() -> {
            var lookup = java.lang.invoke.MethodHandles.privateLookupIn(dispatcher(), java.lang.invoke.MethodHandles.lookup());
            ThreadLocal<?> t = (ThreadLocal<?>) lookup.findStaticGetter(dispatcher(), "DEPTH", ThreadLocal.class).invoke();
            return ((int[]) t.get())[0] += 1000;
        })));
        act("bypass.Unsafe.armed", () -> disarmThenRead(() -> {
            sun.misc.Unsafe u = unsafe();
            java.lang.reflect.Field f = dispatcher().getDeclaredField("armed");
            u.putBooleanVolatile(u.staticFieldBase(f), u.staticFieldOffset(f), false);
            return "disarmed";
        }));
        act("bypass.Unsafe.DEPTH", () -> ActionCatalogue.onThread(() -> disarmThenRead(() -> {
            sun.misc.Unsafe u = unsafe();
            java.lang.reflect.Field f = dispatcher().getDeclaredField("DEPTH");
            ThreadLocal<?> t = (ThreadLocal<?>) u.getObject(u.staticFieldBase(f), u.staticFieldOffset(f));
            return ((int[]) t.get())[0] += 1000;
        })));
        act("bypass.Unsafe.key-then-enter", () -> ActionCatalogue.onThread(() -> disarmThenRead(() -> {
            sun.misc.Unsafe u = unsafe();
            java.lang.reflect.Field f = dispatcher().getDeclaredField("key");
            Object key = u.getObject(u.staticFieldBase(f), u.staticFieldOffset(f));
            dispatcher().getMethod("enter", Object.class).invoke(null, key);
            return "entered";
        })));
    }

}
