package dev.agt.tests.catalogue;

import java.io.BufferedReader;
import java.io.File;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.FileReader;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The action catalogue, run inside one JVM with the agent: each action is one route to one
 * effect (read the secret, write the protected file, reach the loopback server, start a
 * process, load a library), and prints one line, {@code RESULT name OK|DENIED|ERROR|SKIP detail}.
 * The test judges every action from outside as well: what the server saw, what the files hold.
 *
 * <p>Args: ROOT PORT UDPPORT OTHERPORT BINDPORT. ROOT holds secret/secret.txt, secret/v/NAME.txt
 * for every action, work/ and links into secret/ (see JavaagentIT.world). Each action carries
 * its expectations under both policies ({@link Spec}); more are in {@link GatewayActions}.
 */
public final class ActionCatalogue {
    static Path root;
    static int port;
    static int udpPort;
    /** A witness server on 127.0.0.2 (forged host names) and a free port for binds. */
    static int otherPort;
    static int bindPort;
    /** A process the test started (not this JVM's child): signals to it are decided. */
    static long sleeperPid;

    public interface Action {
        Object run() throws Throwable;
    }

    /**
     * One action and what it must come to under the deny policy and under the allow-all policy
     * (JavaagentIT's DENY and ALLOW), on JDK {@code minJdk} and later.
     */
    public record Spec(String name, Expect deny, Expect allow, int minJdk, Action action) {
    }

    public static final Map<String, Spec> ACTIONS = new LinkedHashMap<>();

    static void act(String name, Action a) {
        act(name, Expect.DENIED, Expect.OK, 17, a);
    }

    static void act(String name, Expect deny, Expect allow, Action a) {
        act(name, deny, allow, 17, a);
    }

    static void act(String name, Expect deny, Expect allow, int minJdk, Action a) {
        if (ACTIONS.put(name, new Spec(name, deny, allow, minJdk, a)) != null) {
            throw new IllegalStateException("two actions named " + name);
        }
    }

    /** A change that the allow policy lets through (whether it then works is the file system's business). */
    static void change(String name, Action a) {
        act(name, Expect.DENIED, Expect.NOT_DENIED, 17, a);
    }

    /** The action running now: destructive actions work on a victim file of their own, so order never matters. */
    static String current;

    /** secret/v/NAME.txt: made for every action by the test, protected like the secret. */
    static Path victim() {
        return root.resolve("secret/v/" + current + ".txt");
    }

    static Path secret() {
        return root.resolve("secret/secret.txt");
    }

    static String get(String path) throws Exception {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            s.getOutputStream().write(("GET " + path + " HTTP/1.0\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).lines().findFirst().orElse("");
        }
    }

    static Object onThread(Callable<Object> c) throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            return pool.submit(c).get(30, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
    }

    static Object onVirtualThread(Callable<Object> c) throws Exception {
        Method m;
        try {
            m = Thread.class.getMethod("ofVirtual");
        } catch (NoSuchMethodException e) {
            return "SKIP virtual threads need JDK 21+";
        }
        Object builder = m.invoke(null);
        Object[] out = new Object[1];
        Exception[] err = new Exception[1];
        Runnable r = () -> {
            try {
                out[0] = c.call();
            } catch (Exception e) {
                err[0] = e;
            }
        };
        // through the public interface: the builder's own class is not accessible
        Thread t = (Thread) Class.forName("java.lang.Thread$Builder").getMethod("start", Runnable.class).invoke(builder, r);
        t.join();
        if (err[0] != null) {
            throw err[0];
        }
        return out[0];
    }

    static {
        // ---- file: read the secret -------------------------------------------------------
        act("file.read.FileInputStream", () -> new FileInputStream(secret().toFile()).readAllBytes().length);
        act("file.read.FileReader", () -> new BufferedReader(new FileReader(secret().toFile())).readLine());
        act("file.read.Files.readAllBytes", () -> Files.readAllBytes(secret()).length);
        act("file.read.Files.newBufferedReader", () -> Files.newBufferedReader(secret()).readLine());
        act("file.read.Files.newInputStream", () -> Files.newInputStream(secret()).readAllBytes().length);
        act("file.read.FileChannel.open", () -> FileChannel.open(secret()).size());
        act("file.read.RandomAccessFile", () -> new RandomAccessFile(secret().toFile(), "r").length());
        act("file.read.symlink", () -> new FileInputStream(root.resolve("work/link-to-secret").toFile()).readAllBytes().length);
        // a link, then "..": the OS goes to the link target's parent (secret/), not back to work/
        act("file.read.symlink-then-dotdot", () -> Files.readAllBytes(Path.of(root + "/work/deep-link/../secret.txt")).length);
        change("file.write.symlink-then-dotdot", () -> Files.writeString(Path.of(root + "/work/deep-link/../v/" + current + ".txt"), "pwned"));
        act("file.read.dotdot", () -> Files.readAllBytes(Path.of(root + "/work/../secret/secret.txt")).length);
        act("file.read.relative", () -> new FileInputStream("secret/secret.txt").readAllBytes().length);
        act("file.read.proc-self-root", () -> Files.readAllBytes(Path.of("/proc/self/root" + secret())).length);
        act("file.read.thread-pool", () -> onThread(() -> Files.readAllBytes(secret()).length));
        act("file.read.CompletableFuture", () -> CompletableFuture.supplyAsync(() -> {
            try {
                return Files.readAllBytes(secret()).length;
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        }).get(30, TimeUnit.SECONDS));
        act("file.read.virtual-thread", () -> onVirtualThread(() -> Files.readAllBytes(secret()).length));
        act("file.read.reflection", () -> {
            Method m = Files.class.getMethod("readAllBytes", Path.class);
            return ((byte[]) m.invoke(null, secret())).length;
        });
        act("file.read.MethodHandle", () -> {
            MethodHandle h = MethodHandles.lookup().findStatic(Files.class, "readAllBytes", MethodType.methodType(byte[].class, Path.class));
            return ((byte[]) h.invoke(secret())).length;
        });
        act("file.read.Scanner", () -> new java.util.Scanner(secret().toFile()).nextLine());
        act("file.read.ZipFile", Expect.DENIED, Expect.ERROR, () -> new java.util.zip.ZipFile(secret().toFile()).size()); // denied before it is parsed
        act("file.read.Files.lines", () -> {
            try (var l = Files.lines(secret())) {
                return l.count();
            }
        });
        act("file.read.AsynchronousFileChannel", () -> java.nio.channels.AsynchronousFileChannel.open(secret()).size());
        act("file.read.URLClassLoader", Expect.value("absent"), Expect.value("found"), () -> {
            // a class loader over the secret's directory: denied, the resource is not there
            try (java.net.URLClassLoader l = new java.net.URLClassLoader(new URL[] {root.resolve("secret").toUri().toURL()}, null)) {
                URL u = l.getResource("secret.txt");
                if (u == null) {
                    return "absent";
                }
                try (InputStream in = u.openStream()) {
                    return in.readAllBytes().length > 0 ? "found" : "empty";
                }
            }
        });
        act("file.read.runtime-defined-class", ActionCatalogue::readFromARuntimeDefinedClass);
        act("file.list.File.listFiles", () -> root.resolve("secret").toFile().listFiles().length);
        act("file.list.Files.walk", () -> {
            try (var w = Files.walk(root.resolve("secret"))) {
                return w.count();
            }
        });
        act("file.list.secret-dir", () -> {
            try (var s = Files.list(root.resolve("secret"))) {
                return s.count();
            }
        });
        // ---- attempts to switch the agent off from inside, then read the secret ----------
        act("bypass.Dispatcher.enter", () -> {
            Class<?> d = Class.forName("dev.agt.javaagent.bootstrap.Dispatcher");
            for (Method m : d.getMethods()) {
                if (m.getName().equals("enter") || m.getName().equals("exemptCurrentThread")) {
                    try {
                        m.invoke(null, m.getParameterCount() == 0 ? new Object[0] : new Object[] {new Object()});
                    } catch (java.lang.reflect.InvocationTargetException refused) {
                        // expected: not the agent's key
                    }
                }
            }
            return Files.readAllBytes(secret()).length;
        });
        act("bypass.Dispatcher.claim-and-install", () -> {
            Class<?> d = Class.forName("dev.agt.javaagent.bootstrap.Dispatcher");
            Class<?> h = Class.forName("dev.agt.javaagent.bootstrap.Handler");
            Object allowAll = java.lang.reflect.Proxy.newProxyInstance(h.getClassLoader() == null ? ClassLoader.getSystemClassLoader()
                    : h.getClassLoader(), new Class<?>[] {h}, (proxy, m, a) -> null);
            try {
                Object key = d.getMethod("claim").invoke(null);
                d.getMethod("install", Object.class, h).invoke(null, key, allowAll);
            } catch (java.lang.reflect.InvocationTargetException | NoSuchMethodException refused) {
                // expected: claimed by the agent at start-up
            }
            for (Method m : d.getMethods()) {
                if (m.getName().equals("install")) {
                    try {
                        m.invoke(null, m.getParameterCount() == 1 ? new Object[] {allowAll} : new Object[] {new Object(), allowAll});
                    } catch (java.lang.reflect.InvocationTargetException refused) {
                        // expected
                    }
                }
            }
            return Files.readAllBytes(secret()).length;
        });
        act("bypass.jdk-internals-exported-by-the-agent", () -> {
            // the agent opens JDK internals for itself; the application must not gain them with it
            for (String[] m : new String[][] {{"jdk.internal.access.SharedSecrets", "getJavaLangAccess"}, {"jdk.internal.misc.VM", "getRuntimeArguments"}}) {
                try {
                    Class.forName(m[0]).getMethod(m[1]).invoke(null);
                    return m[0] + " is reachable from the application";
                } catch (IllegalAccessException expected) {
                    // not exported to the application
                }
            }
            return Files.readAllBytes(secret()).length;
        });
        // ---- file: change the secret -----------------------------------------------------
        change("file.write.FileOutputStream", () -> {
            try (FileOutputStream o = new FileOutputStream(victim().toFile())) {
                o.write("pwned".getBytes(StandardCharsets.UTF_8));
            }
            return "written";
        });
        change("file.write.Files.writeString", () -> Files.writeString(victim(), "pwned"));
        change("file.write.FileWriter", () -> {
            try (java.io.FileWriter w = new java.io.FileWriter(victim().toFile(), true)) {
                w.write("pwned");
            }
            return "written";
        });
        change("file.write.PrintWriter", () -> {
            try (java.io.PrintWriter w = new java.io.PrintWriter(victim().toFile())) {
                w.print("pwned");
            }
            return "written";
        });
        change("file.write.Files.newOutputStream", () -> {
            try (var o = Files.newOutputStream(victim(), StandardOpenOption.APPEND)) {
                o.write(1);
            }
            return "written";
        });
        change("file.write.append", () -> Files.writeString(victim(), "pwned", StandardOpenOption.APPEND));
        change("file.delete", () -> {
            Files.delete(victim());
            return "deleted";
        });
        change("file.delete.File", () -> new File(victim().toString()).delete() ? "deleted" : "not deleted");
        change("file.rename.out", () -> Files.move(victim(), root.resolve("work/moved.txt"), StandardCopyOption.REPLACE_EXISTING));
        change("file.copy.out", () -> Files.copy(secret(), root.resolve("work/copied.txt"), StandardCopyOption.REPLACE_EXISTING));
        change("file.link.hard", () -> Files.createLink(root.resolve("work/hardlink"), secret()));
        change("file.attr.setPosixFilePermissions", () -> Files.setPosixFilePermissions(victim(),
                java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx")));
        change("file.attr.setLastModifiedTime", () -> Files.setLastModifiedTime(victim(),
                java.nio.file.attribute.FileTime.fromMillis(0)));
        change("file.attr.File.setExecutable", () -> victim().toFile().setExecutable(true) ? "changed" : "unchanged");
        change("file.create.in-secret", () -> Files.createDirectory(root.resolve("secret/newdir")));
        // ---- file: allowed everywhere (control) ------------------------------------------
        act("file.write.workspace", Expect.OK, Expect.OK, () -> Files.writeString(root.resolve("work/ok.txt"), "fine"));
        // ---- net: reach the loopback server ----------------------------------------------
        act("net.Socket", () -> get("/net.Socket"));
        act("net.SocketChannel", () -> {
            try (SocketChannel ch = SocketChannel.open(new InetSocketAddress("127.0.0.1", port))) {
                ch.write(ByteBuffer.wrap("GET /net.SocketChannel HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
                ByteBuffer b = ByteBuffer.allocate(64);
                ch.read(b);
                return "read " + b.position();
            }
        });
        act("net.HttpURLConnection", () -> {
            HttpURLConnection c = (HttpURLConnection) new URL("http://127.0.0.1:" + port + "/net.HttpURLConnection").openConnection();
            try (InputStream in = c.getInputStream()) {
                return c.getResponseCode() + " " + in.readAllBytes().length;
            }
        });
        act("net.HttpClient", () -> HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/net.HttpClient")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode());
        act("net.HttpClient.async", () -> HttpClient.newHttpClient().sendAsync(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/net.HttpClient.async")).build(),
                HttpResponse.BodyHandlers.ofString()).get(30, TimeUnit.SECONDS).statusCode());
        act("net.OkHttp", () -> {
            try (okhttp3.Response r = new okhttp3.OkHttpClient().newCall(
                    new okhttp3.Request.Builder().url("http://127.0.0.1:" + port + "/net.OkHttp").build()).execute()) {
                return r.code();
            }
        });
        act("net.ApacheHttpClient5", () -> {
            try (org.apache.hc.client5.http.impl.classic.CloseableHttpClient c = org.apache.hc.client5.http.impl.classic.HttpClients.createDefault()) {
                return c.execute(new org.apache.hc.client5.http.classic.methods.HttpGet("http://127.0.0.1:" + port + "/net.ApacheHttpClient5"),
                        r -> r.getCode());
            }
        });
        act("net.thread-pool", () -> onThread(() -> get("/net.thread-pool")));
        act("net.virtual-thread", () -> onVirtualThread(() -> get("/net.virtual-thread")));
        act("net.reflection", () -> {
            Socket s = new Socket();
            Method m = Socket.class.getMethod("connect", java.net.SocketAddress.class);
            m.invoke(s, new InetSocketAddress("127.0.0.1", port));
            s.getOutputStream().write("GET /net.reflection HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            s.getInputStream().readAllBytes();
            s.close();
            return "connected";
        });
        act("net.resolve", Expect.DENIED, Expect.ERROR, () -> java.net.InetAddress.getByName("agt-catalogue.invalid"));
        act("net.udp.DatagramSocket", () -> {
            try (java.net.DatagramSocket s = new java.net.DatagramSocket()) {
                byte[] b = "net.udp.DatagramSocket".getBytes(StandardCharsets.US_ASCII);
                s.send(new java.net.DatagramPacket(b, b.length, new InetSocketAddress("127.0.0.1", udpPort)));
                return "sent";
            }
        });
        act("net.udp.DatagramChannel", () -> {
            try (java.nio.channels.DatagramChannel ch = java.nio.channels.DatagramChannel.open()) {
                return ch.send(ByteBuffer.wrap("net.udp.DatagramChannel".getBytes(StandardCharsets.US_ASCII)),
                        new InetSocketAddress("127.0.0.1", udpPort));
            }
        });
        act("net.listen.ServerSocket", () -> {
            try (java.net.ServerSocket s = new java.net.ServerSocket(bindPort, 1, java.net.InetAddress.getLoopbackAddress())) {
                return "listening on " + s.getLocalPort();
            }
        });
        act("net.listen.ServerSocketChannel", () -> {
            try (java.nio.channels.ServerSocketChannel s = java.nio.channels.ServerSocketChannel.open()) {
                s.bind(new InetSocketAddress("127.0.0.1", bindPort));
                return "listening on " + s.getLocalAddress();
            }
        });
        // ---- process: leave a marker -----------------------------------------------------
        act("process.ProcessBuilder", () -> new ProcessBuilder("touch", root.resolve("work/marker-pb").toString()).start().waitFor());
        act("process.Runtime.exec", () -> Runtime.getRuntime().exec(new String[] {"touch", root.resolve("work/marker-exec").toString()}).waitFor());
        act("process.immutable-command", () -> new ProcessBuilder(List.of("touch", root.resolve("work/marker-list").toString())).start().waitFor());
        act("process.absolute", () -> new ProcessBuilder("/usr/bin/touch", root.resolve("work/marker-abs").toString()).start().waitFor());
        act("process.startPipeline", () -> ProcessBuilder.startPipeline(List.of(new ProcessBuilder("echo", "x"),
                new ProcessBuilder("touch", root.resolve("work/marker-pipe").toString()))).get(1).waitFor());
        act("process.reflection", () -> {
            Method m = ProcessBuilder.class.getMethod("start");
            return ((Process) m.invoke(new ProcessBuilder("touch", root.resolve("work/marker-refl").toString()))).waitFor();
        });
        // ---- native ----------------------------------------------------------------------
        act("native.System.load", Expect.DENIED, Expect.ERROR, () -> {
            System.load(root.resolve("work/libnothing.so").toString());
            return "loaded";
        });
        GatewayActions.register();
    }

    /**
     * A class that exists only at run time (generated bytecode, defined as a hidden class),
     * whose only method reads the secret: the hooks are in the JDK, so no class is out of reach.
     */
    static Object readFromARuntimeDefinedClass() throws Throwable {
        org.objectweb.asm.ClassWriter cw = new org.objectweb.asm.ClassWriter(org.objectweb.asm.ClassWriter.COMPUTE_FRAMES);
        String name = ActionCatalogue.class.getPackageName().replace('.', '/') + "/Generated";
        cw.visit(org.objectweb.asm.Opcodes.V17, org.objectweb.asm.Opcodes.ACC_PUBLIC | org.objectweb.asm.Opcodes.ACC_FINAL, name, null,
                "java/lang/Object", null);
        org.objectweb.asm.MethodVisitor mv = cw.visitMethod(org.objectweb.asm.Opcodes.ACC_PUBLIC | org.objectweb.asm.Opcodes.ACC_STATIC,
                "read", "(Ljava/lang/String;)[B", null, new String[] {"java/io/IOException"});
        mv.visitCode();
        mv.visitVarInsn(org.objectweb.asm.Opcodes.ALOAD, 0);
        mv.visitInsn(org.objectweb.asm.Opcodes.ICONST_0);
        mv.visitTypeInsn(org.objectweb.asm.Opcodes.ANEWARRAY, "java/lang/String");
        mv.visitMethodInsn(org.objectweb.asm.Opcodes.INVOKESTATIC, "java/nio/file/Path", "of",
                "(Ljava/lang/String;[Ljava/lang/String;)Ljava/nio/file/Path;", true);
        mv.visitMethodInsn(org.objectweb.asm.Opcodes.INVOKESTATIC, "java/nio/file/Files", "readAllBytes", "(Ljava/nio/file/Path;)[B", false);
        mv.visitInsn(org.objectweb.asm.Opcodes.ARETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        cw.visitEnd();
        MethodHandles.Lookup hidden = MethodHandles.lookup().defineHiddenClass(cw.toByteArray(), true);
        MethodHandle read = hidden.findStatic(hidden.lookupClass(), "read", MethodType.methodType(byte[].class, String.class));
        return ((byte[]) read.invoke(secret().toString())).length;
    }

    public static void main(String[] args) throws Exception {
        root = Path.of(args[0]).toAbsolutePath();
        port = Integer.parseInt(args[1]);
        udpPort = args.length > 2 ? Integer.parseInt(args[2]) : 9;
        otherPort = args.length > 3 ? Integer.parseInt(args[3]) : 9;
        bindPort = args.length > 4 ? Integer.parseInt(args[4]) : 9;
        sleeperPid = args.length > 5 ? Long.parseLong(args[5]) : -1;
        // the legacy socket implementations of JDK 17, switched on by the application before its
        // first socket, as an attacker would: java.net.Socket and DatagramSocket then use them
        System.setProperty("jdk.net.usePlainSocketImpl", "true");
        System.setProperty("jdk.net.usePlainDatagramSocketImpl", "true");
        int jdk = Runtime.version().feature();
        for (Map.Entry<String, Spec> a : ACTIONS.entrySet()) {
            String line;
            current = a.getKey();
            if (jdk < a.getValue().minJdk()) {
                System.out.println("RESULT " + a.getKey() + " SKIP needs JDK " + a.getValue().minJdk());
                continue;
            }
            try {
                Object r = a.getValue().action().run();
                line = r instanceof String s && s.startsWith("SKIP ") ? "SKIP " + s.substring(5) : "OK " + r;
            } catch (Throwable t) {
                Throwable d = Denials.find(t);
                line = d != null ? "DENIED " + d.getClass().getName() + " " + oneLine(d.getMessage())
                        : Denials.byMessage(t) ? "DENIED " + t.getClass().getName() + " (rethrown by the library) " + oneLine(t.getMessage())
                        : "ERROR " + t.getClass().getName() + " " + oneLine(String.valueOf(t.getMessage()));
            }
            System.out.println("RESULT " + a.getKey() + " " + line);
        }
        System.out.println("CATALOGUE DONE");
    }

    static String oneLine(String s) {
        return s == null ? "" : s.replace('\n', ' ');
    }
}
