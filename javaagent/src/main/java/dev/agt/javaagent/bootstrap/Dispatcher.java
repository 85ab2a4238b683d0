package dev.agt.javaagent.bootstrap;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.SocketAddress;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * The entry points that instrumented JDK methods call first thing. It lives in the bootstrap
 * class loader, because the JDK classes that call it do; it holds no policy, only the question
 * to the {@link Handler} and the exception each call site already expects.
 *
 * <p>Reentrancy: the agent's own work (talking to the engine, resolving paths) runs JDK code
 * that is hooked too. A per-thread depth counter lets those nested calls through. The controls
 * that change it are guarded by a key that only the agent holds (see {@link #claim}).
 *
 * <p>Before the agent has armed the dispatcher (during premain, on the premain thread only)
 * calls pass; once armed, a missing handler denies: fail closed.
 */
public final class Dispatcher {
    private static volatile Handler handler;
    private static volatile boolean armed;

    /** Per-thread depth of agent code on the stack. Not a lambda: no invokedynamic in bootstrap code. */
    private static final ThreadLocal<int[]> DEPTH = new ThreadLocal<int[]>() {
        @Override
        protected int[] initialValue() {
            return new int[1];
        }
    };

    /**
     * What a high-level HTTP client on this thread is about to connect for: {url, method, host,
     * port}. Set when HttpURLConnection starts connecting, taken by the connect it leads to
     * (same thread, same host and port), so the request carries url and method for policies and
     * reports. Not a lambda: see DEPTH.
     */
    private static final ThreadLocal<String[]> HTTP = new ThreadLocal<String[]>();

    private Dispatcher() {
    }

    /** The agent's key to the controls below; handed out once, to whoever asks first (premain). */
    private static Object key;

    /**
     * Returns the key to {@link #install}, {@link #enter} and {@link #exit}, once: premain asks
     * before any application code runs, so application code can never get it and switch the
     * checks off for its thread or replace the handler by calling these public methods.
     */
    public static synchronized Object claim() {
        if (key != null) {
            throw new SecurityException("the agt dispatcher is already claimed");
        }
        key = new Object();
        return key;
    }

    private static void check(Object k) {
        if (k == null || k != key) {
            throw new SecurityException("not the agt agent's key");
        }
    }

    /** Arms the dispatcher with its handler; only once. */
    public static synchronized void install(Object k, Handler h) {
        check(k);
        if (armed) {
            throw new SecurityException("the agt dispatcher is already armed");
        }
        handler = h;
        armed = true;
    }

    /**
     * Registers {@code last} in the JDK's last internal shutdown slot (after application hooks
     * and delete-on-exit). Here, in the bootstrap classes, because jdk.internal.access is
     * exported to this module only, never to the application's.
     */
    public static void lastShutdownHook(Object k, Runnable last) throws ReflectiveOperationException {
        check(k);
        Object jla = Class.forName("jdk.internal.access.SharedSecrets").getMethod("getJavaLangAccess").invoke(null);
        Class.forName("jdk.internal.access.JavaLangAccess").getMethod("registerShutdownHook", int.class, boolean.class, Runnable.class)
                .invoke(jla, Integer.valueOf(9), Boolean.FALSE, last);
    }

    /** The JVM's own arguments (-javaagent from the command line or JAVA_TOOL_OPTIONS); jdk.internal.misc is exported here only. */
    public static String[] runtimeArguments(Object k) throws ReflectiveOperationException {
        check(k);
        return (String[]) Class.forName("jdk.internal.misc.VM").getMethod("getRuntimeArguments").invoke(null);
    }

    /** Runs agent code on this thread without re-entering the checks. */
    public static void enter(Object k) {
        check(k);
        DEPTH.get()[0]++;
    }

    public static void exit(Object k) {
        check(k);
        DEPTH.get()[0]--;
    }

    private static String[] ask(String family, String action, Object[] fields) {
        if (!armed) {
            return null;
        }
        int[] depth = DEPTH.get();
        if (depth[0] > 0) {
            return null;
        }
        Handler h = handler;
        if (h == null) {
            return new String[] {"", "agent-not-ready", "the agt agent has no engine handler", "-1", family + "/" + action};
        }
        depth[0]++;
        try {
            return h.check(family, action, fields);
        } catch (Throwable t) {
            return new String[] {"", "agent-error", "the agt agent failed to decide: " + t, "-1", family + "/" + action};
        } finally {
            depth[0]--;
        }
    }

    private static String message(String[] d) {
        String rule = d[0].isEmpty() ? d[1] : "policy rule " + d[0];
        String seq = "-1".equals(d[3]) ? "not logged" : "audit #" + d[3];
        return "blocked by " + rule + " (" + seq + "): " + d[4] + (d[2].isEmpty() ? "" : " -- " + d[2]);
    }

    private static long seq(String[] d) {
        try {
            return Long.parseLong(d[3]);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    // ---- interception rules (MCP clients, tool frameworks, ops teams' own rules) ----------

    /**
     * At the entry of a method an interception rule selected: null to go on, or the denial,
     * which the inserted code throws (or, for a method returning Mono or a future, returns as a
     * failed one, the way that client fails).
     */
    public static Throwable intercept(int rule, Object self, Object[] args) {
        if (!armed || DEPTH.get()[0] > 0) {
            return null;
        }
        int[] depth = DEPTH.get();
        Handler h = handler;
        String[] d;
        depth[0]++;
        try {
            d = h == null ? new String[] {"", "agent-not-ready", "the agt agent has no engine handler", "-1", "rule " + rule}
                    : h.intercept(rule, self, args);
        } catch (Throwable t) {
            d = new String[] {"", "agent-error", "the agt agent failed to decide: " + t, "-1", "rule " + rule};
        } finally {
            depth[0]--;
        }
        return d == null ? null : new AgtSecurityException(message(d), d[0], d[1], d[2], seq(d));
    }

    /**
     * Before a return of a method an at-return rule selected: what to return instead, or a thrown
     * denial. {@code args}: the arguments as they were on entry, kept by the rewritten method for
     * a rule that reads them (null otherwise).
     */
    public static Object result(Object result, int rule, Object self, Object[] args) {
        if (!armed || DEPTH.get()[0] > 0) {
            return result;
        }
        int[] depth = DEPTH.get();
        Handler h = handler;
        if (h == null) {
            throw new AgtSecurityException("blocked by agent-not-ready (not logged): rule " + rule, "", "agent-not-ready",
                    "the agt agent has no engine handler", -1);
        }
        depth[0]++;
        try {
            return h.result(rule, self, args, result);
        } finally {
            depth[0]--;
        }
    }

    /** A denial as the agent runtime describes it: {rule, code, reason, auditSeq, target}. */
    public static AgtSecurityException denial(String[] d) {
        return new AgtSecurityException(message(d), d[0], d[1], d[2], seq(d));
    }

    // ---- file ----------------------------------------------------------------------------

    /** FileInputStream.open */
    public static void fileRead(String path) throws FileNotFoundException {
        String[] d = ask("file", "read", new Object[] {"path", path});
        if (d != null) {
            throw new AgtFileNotFoundException(message(d), d[0], d[1], d[2], seq(d));
        }
    }

    /** FileOutputStream.open */
    public static void fileWrite(String path, boolean append) throws FileNotFoundException {
        String[] d = ask("file", "write", new Object[] {"path", path, "append", append});
        if (d != null) {
            throw new AgtFileNotFoundException(message(d), d[0], d[1], d[2], seq(d));
        }
    }

    /** RandomAccessFile.open: mode bit 1 is read-only, anything else writes. */
    public static void fileRandom(String path, int mode) throws FileNotFoundException {
        String[] d = ask("file", mode == 1 ? "read" : "write", new Object[] {"path", path});
        if (d != null) {
            throw new AgtFileNotFoundException(message(d), d[0], d[1], d[2], seq(d));
        }
    }

    // ---- file: the NIO gateway (every call of sun.nio.fs.UnixNativeDispatcher, see gates/) ----

    /** Linux open(2) flags: anything that can change the file is a write. */
    private static String openAction(int flags) {
        int writes = 0x1 | 0x2 | 0x40 | 0x200 | 0x400; // O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_APPEND
        return (flags & writes) != 0 ? "write" : "read";
    }

    /** A name relative to a directory descriptor: the runtime reads the directory from /proc/self/fd. */
    private static Object[] at(int dfd, Object name) {
        return new Object[] {Integer.valueOf(dfd), name};
    }

    public static void fsOpen(Path path, int flags) throws IOException {
        nio(openAction(flags), new Object[] {"path", path});
    }

    public static void fsOpenAt(int dfd, byte[] name, int flags) throws IOException {
        nio(openAction(flags), new Object[] {"at", at(dfd, name)});
    }

    public static void fsCreate(Path path) throws IOException {
        nio("create", new Object[] {"path", path});
    }

    public static void fsDelete(Path path) throws IOException {
        nio("delete", new Object[] {"path", path});
    }

    public static void fsDeleteAt(int dfd, byte[] name) throws IOException {
        nio("delete", new Object[] {"at", at(dfd, name)});
    }

    public static void fsRename(Path from, Path to) throws IOException {
        nio("rename", new Object[] {"path", from, "dest", to});
    }

    public static void fsRenameAt(int fromDfd, byte[] from, int toDfd, byte[] to) throws IOException {
        nio("rename", new Object[] {"at", at(fromDfd, from), "destAt", at(toDfd, to)});
    }

    /** link(existing, link): the new name, pointing at what exists. */
    public static void fsLink(Path link, Path existing) throws IOException {
        nio("link", new Object[] {"path", link, "dest", existing});
    }

    /** symlink(target, link): a relative target is relative to the link's own directory. */
    public static void fsSymlink(Path link, byte[] target) throws IOException {
        nio("link", new Object[] {"path", link, "symlinkTarget", target});
    }

    public static void fsAttr(Path path) throws IOException {
        nio("attr", new Object[] {"path", path});
    }

    public static void fsAttrFd(int fd) throws IOException {
        nio("attr", new Object[] {"fd", Integer.valueOf(fd)});
    }

    public static void fsAttrAt(int dfd, Path path) throws IOException {
        nio("attr", new Object[] {"at", at(dfd, path)});
    }

    public static void fsList(Path dir) throws IOException {
        nio("list", new Object[] {"path", dir});
    }

    public static void fsListFd(int fd) throws IOException {
        nio("list", new Object[] {"fd", Integer.valueOf(fd)});
    }

    public static void fsStat(Path path) throws IOException {
        nio("stat", new Object[] {"path", path});
    }

    /**
     * The JDK's own probes that report "not there" instead of throwing (stat(UnixPath) and
     * exists on JDK 17, stat2 and access on JDK 25, behind Files.exists, isDirectory...): false
     * when denied, and the gate returns ENOENT or false. Throwing there would hand the
     * application a checked exception that Files.exists does not declare.
     */
    public static boolean fsStatProbe(Path path) {
        return ask("file", "stat", new Object[] {"path", path}) == null;
    }

    /** fstatat: with AT_SYMLINK_NOFOLLOW (0x100), the entry itself. */
    public static void fsStatAt(int dfd, byte[] name, int flags) throws IOException {
        nio("stat", new Object[] {(flags & 0x100) != 0 ? "linkAt" : "at", at(dfd, name)});
    }

    /** lstat, readlink: the link itself (a link in an allowed directory may point anywhere). */
    public static void fsStatLink(Path path) throws IOException {
        nio("stat", new Object[] {"link", path});
    }

    public static void fsAttrLink(Path path) throws IOException {
        nio("attr", new Object[] {"link", path});
    }

    private static void nio(String action, Object[] fields) throws IOException {
        String[] d = ask("file", action, fields);
        if (d != null) {
            throw new AgtAccessDeniedException(message(d), d[0], d[1], d[2], seq(d));
        }
    }

    // java.io.File operations declare no IOException: their denial is a SecurityException, as
    // it was under the SecurityManager.

    public static void ioDelete(java.io.File f) {
        io("delete", f, null);
    }

    public static void ioRename(java.io.File f, java.io.File dest) {
        io("rename", f, dest);
    }

    public static void ioCreateDirectory(java.io.File f) {
        io("create", f, null);
    }

    public static void ioList(java.io.File f) {
        io("list", f, null);
    }

    public static void ioAttr(java.io.File f) {
        io("attr", f, null);
    }

    /** createNewFile and createTempFile, which declare IOException. */
    public static void ioCreateFile(String path) throws IOException {
        String[] d = ask("file", "create", new Object[] {"path", path});
        if (d != null) {
            throw new AgtIOException(message(d), d[0], d[1], d[2], seq(d));
        }
    }

    /** getCanonicalPath resolves links: metadata, and it declares IOException. */
    public static void ioCanonicalize(String path) throws IOException {
        String[] d = ask("file", "stat", new Object[] {"path", path});
        if (d != null) {
            throw new AgtIOException(message(d), d[0], d[1], d[2], seq(d));
        }
    }

    /**
     * A metadata probe (exists, length, lastModified, canRead...): false when denied, and the
     * gate answers as for a file that is not there, as java.io does on any error.
     */
    public static boolean ioStat(java.io.File f) {
        return ask("file", "stat", new Object[] {"path", f.getPath()}) == null;
    }

    private static void io(String action, java.io.File f, java.io.File dest) {
        String[] d = ask("file", action, dest == null ? new Object[] {"path", f.getPath()}
                : new Object[] {"path", f.getPath(), "dest", dest == null ? null : dest.getPath()});
        if (d != null) {
            throw new AgtSecurityException(message(d), d[0], d[1], d[2], seq(d));
        }
    }

    // ---- network -------------------------------------------------------------------------

    /** sun.net.www.protocol.http.HttpURLConnection.plainConnect0: remember url and method for the connect. */
    public static void httpContext(Object connection) {
        if (connection instanceof java.net.HttpURLConnection c) {
            java.net.URL u = c.getURL();
            int port = u.getPort() >= 0 ? u.getPort() : u.getDefaultPort();
            HTTP.set(new String[] {u.toString(), c.getRequestMethod(), u.getHost(), Integer.toString(port)});
        }
    }

    /** jdk.internal.net.http.PlainHttpConnection.connectAsync: the request a new HttpClient connection is for. */
    public static void httpClientContext(java.net.URI uri, String method) {
        String host = uri.getHost();
        if (host != null) {
            int port = uri.getPort() >= 0 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
            HTTP.set(new String[] {uri.toString(), method, host, Integer.toString(port)});
        }
    }

    /** sun.nio.ch.Net.connect(ProtocolFamily, FileDescriptor, InetAddress, int): every TCP/UDP connect. */
    public static void netConnect(InetAddress address, int port) throws IOException {
        String[] http = HTTP.get();
        if (http != null) {
            HTTP.remove(); // for the very next connect only: a stale url must never dress up a later connection
        }
        Object[] fields;
        if (http != null && Integer.toString(port).equals(http[3]) && sameHost(address, http[2])) {
            fields = new Object[] {"address", address, "port", port, "url", http[0], "method", http[1]};
        } else {
            fields = new Object[] {"address", address, "port", port};
        }
        String[] d = ask("net", "connect", fields);
        if (d != null) {
            throw new AgtConnectException(message(d), d[0], d[1], d[2], seq(d));
        }
    }

    private static boolean sameHost(InetAddress address, String host) {
        String s = address.toString(); // "name/ip": no lookup
        int slash = s.indexOf('/');
        String name = slash > 0 ? s.substring(0, slash) : "";
        String ip = s.substring(slash + 1);
        String h = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        return h.equalsIgnoreCase(name) || h.equals(ip);
    }

    /** sun.nio.ch.UnixDomainSockets.connect(FileDescriptor, Path). */
    public static void netConnectUnix(Path path) throws IOException {
        String[] d = ask("net", "connect", new Object[] {"unix", path});
        if (d != null) {
            throw new AgtConnectException(message(d), d[0], d[1], d[2], seq(d));
        }
    }

    /** InetAddress.getAddressesFromNameService: every name lookup that reaches the resolver. */
    public static void netResolve(String host) throws java.net.UnknownHostException {
        String[] d = ask("net", "resolve", new Object[] {"hostname", host});
        if (d != null) {
            throw new AgtUnknownHostException(message(d), d[0], d[1], d[2], seq(d));
        }
    }

    /** DatagramChannelImpl.sendFromNativeBuffer: a datagram to a chosen address. */
    public static void netSend(java.net.InetSocketAddress target) throws IOException {
        String[] d = ask("net", "send", new Object[] {"address", target.getAddress(), "port", target.getPort(), "transport", "udp"});
        if (d != null) {
            throw new AgtConnectException(message(d), d[0], d[1], d[2], seq(d));
        }
    }

    /** Net.bind: every bind, server, client or datagram socket (and JDK 17's legacy implementations). */
    public static void netListen(InetAddress address, int port) throws IOException {
        String[] d = ask("net", "listen", new Object[] {"address", address, "port", port});
        if (d != null) {
            throw new AgtConnectException(message(d), d[0], d[1], d[2], seq(d));
        }
    }

    /** UnixDomainSockets.bind. */
    public static void netListenUnix(Path path) throws IOException {
        String[] d = ask("net", "listen", new Object[] {"unix", path});
        if (d != null) {
            throw new AgtConnectException(message(d), d[0], d[1], d[2], seq(d));
        }
    }

    /** JDK 17's legacy datagram implementation: a packet to a chosen address (a connected socket's was decided at connect). */
    public static void netSendPacket(java.net.DatagramPacket p) throws IOException {
        InetAddress a = p.getAddress();
        if (a != null) {
            String[] d = ask("net", "send", new Object[] {"address", a, "port", p.getPort(), "transport", "udp"});
            if (d != null) {
                throw new AgtConnectException(message(d), d[0], d[1], d[2], seq(d));
            }
        }
    }

    /** A reverse lookup (PTR query) of these address bytes; a denial fails the lookup, so the JDK answers with the address. */
    public static void netReverse(byte[] address) throws java.net.UnknownHostException {
        String[] d = ask("net", "resolve", new Object[] {"reverse", address});
        if (d != null) {
            throw new AgtUnknownHostException(message(d), d[0], d[1], d[2], seq(d));
        }
    }

    /** What the resolver answered for a name: recorded so a connect reports that name only for these addresses. */
    public static void netResolved(InetAddress[] addresses, String host) {
        Handler h = handler;
        if (h == null || addresses == null || host == null) {
            return;
        }
        int[] depth = DEPTH.get();
        depth[0]++;
        try {
            h.resolved(host, addresses);
        } catch (Throwable ignored) {
            // recording is best effort: a name not recorded is reported as its address only (fails closed)
        } finally {
            depth[0]--;
        }
    }

    // ---- process -------------------------------------------------------------------------

    /**
     * java.lang.ProcessImpl's constructor: the bytes forkAndExec will run (program, arguments,
     * environment block, directory), after every Java-level change another thread could make.
     */
    public static void processExec(byte[] prog, byte[] argBlock, int argc, byte[] envBlock, byte[] dir) throws IOException {
        String[] d = ask("process", "exec", new Object[] {"launch", new Object[] {prog, argBlock, Integer.valueOf(argc), envBlock, dir}});
        if (d != null) {
            throw new AgtIOException(message(d), d[0], d[1], d[2], seq(d));
        }
    }

    /**
     * ProcessHandleImpl.destroyProcess: SIGTERM or SIGKILL to a process. The JVM's own children
     * (launched through a decided launch) may be ended as before; any other process the user
     * owns (the engine, another agent, a shell) is decided as process/signal.
     */
    public static void processSignal(Object handle) {
        if (!(handle instanceof ProcessHandle h)) {
            return;
        }
        long self = ProcessHandle.current().pid();
        java.util.Optional<ProcessHandle> parent = h.parent(); // no lambda here: no invokedynamic in bootstrap code
        if (h.pid() == self || parent.isPresent() && parent.get().pid() == self) {
            return;
        }
        String[] d = ask("process", "signal", new Object[] {"signal", Long.valueOf(h.pid())});
        if (d != null) {
            throw new AgtSecurityException(message(d), d[0], d[1], d[2], seq(d));
        }
    }

    /**
     * ProcessBuilder.start(Redirect[]), which start() and startPipeline both use: the launch is
     * decided here, where the builder can still be changed: a child JVM is given the agent, and
     * a launch the policy allows only inside a sandbox is rewritten to run under bubblewrap.
     * ProcessImpl.start then checks that what it launches is what was decided (and asks again
     * when it is not: a list changed by another thread in between is never let through).
     */
    public static void processBuilderStart(ProcessBuilder builder) throws IOException {
        if (!armed) {
            return;
        }
        int[] depth = DEPTH.get();
        if (depth[0] > 0) {
            return;
        }
        Handler h = handler;
        String[] d;
        depth[0]++;
        try {
            d = h == null ? new String[] {"", "agent-not-ready", "the agt agent has no engine handler", "-1", "process/exec"} : h.launch(builder);
        } catch (Throwable t) {
            d = new String[] {"", "agent-error", "the agt agent failed to decide: " + t, "-1", "process/exec"};
        } finally {
            depth[0]--;
        }
        if (d != null) {
            throw new AgtIOException(message(d), d[0], d[1], d[2], seq(d));
        }
    }

    // ---- native --------------------------------------------------------------------------

    /** NativeLibraries.loadLibrary(Class, String, boolean) and RawNativeLibraries.load(String): a path, or a built-in's name. */
    public static void nativeLoadRaw(Object pathOrName) {
        nativeCheck("load", new Object[] {"library", String.valueOf(pathOrName)});
    }

    /**
     * Reflection.ensureNativeAccess: a restricted FFM method (downcall and upcall handles,
     * MemorySegment.reinterpret, library lookups) called from application code. JNI loads
     * (jni = true) are decided as loads; the JDK's own modules use native access freely.
     */
    public static void nativeRestricted(Class<?> caller, Class<?> owner, String method, boolean jni) {
        if (jni || owner == System.class || owner == Runtime.class // JNI loads: decided as loads, by the file
                || caller != null && caller.getModule().isNamed() && caller.getModule().getLayer() == ModuleLayer.boot()
                && (caller.getClassLoader() == null || caller.getClassLoader() == ClassLoader.getPlatformClassLoader())) {
            return;
        }
        nativeCheck("restricted", new Object[] {"method", (owner == null ? "?" : owner.getName()) + "." + method,
                "caller", caller == null ? "" : caller.getName()});
    }

    /** Secmod.initialize: NSS, loaded from this directory (or by name when none is given). */
    public static void nssLoad(String nssLibDir) {
        String lib = System.mapLibraryName("nss3");
        nativeCheck("load", new Object[] {"library", nssLibDir == null ? "nss3" : nssLibDir + "/" + lib});
    }

    /** PlatformPCSC.getLibraryName, at its return: the PC/SC library about to be loaded (a system property may name any). */
    public static void pcscLibrary(String path) {
        if (path != null) {
            nativeCheck("load", new Object[] {"library", path});
        }
    }

    /** DiagnosticCommandImpl$Wrapper.execute: a jcmd command run inside this JVM through the DiagnosticCommand MBean. */
    public static void diagnosticCommand(String cmd, String[] args) {
        StringBuilder b = new StringBuilder("jcmd ").append(cmd);
        if (args != null) {
            for (String a : args) {
                b.append(' ').append(a);
            }
        }
        nativeCheck("restricted", new Object[] {"method", b.toString()});
    }

    /** HotSpotDiagnosticMXBean.setVMOption: manageable VM flags (HeapDumpPath, HeapDumpOnOutOfMemoryError...). */
    public static void vmOption(String name, String value) {
        nativeCheck("restricted", new Object[] {"method", "HotSpotDiagnosticMXBean.setVMOption " + name + "=" + value});
    }

    /** HotSpotDiagnosticMXBean.dumpHeap: this JVM's memory, secrets included, written to a chosen file. */
    public static void heapDump(String path) throws IOException {
        String[] d = ask("file", "write", new Object[] {"path", path});
        if (d != null) {
            throw new AgtIOException(message(d), d[0], d[1], d[2], seq(d));
        }
    }

    /** The Attach API's VirtualMachine.attach: agents and commands sent into another JVM. */
    public static void attach(String pid) {
        nativeCheck("restricted", new Object[] {"method", "com.sun.tools.attach.VirtualMachine.attach " + pid});
    }

    /**
     * sun.misc.Unsafe's field-offset methods: refused for the agent's own classes, always (armed
     * or not, whoever asks: the agent itself never uses them). Not a policy decision: no policy
     * may let application code rewrite the checks.
     */
    public static void unsafeField(java.lang.reflect.Field f) {
        if (f != null && f.getDeclaringClass().getClassLoader() == null && f.getDeclaringClass().getName().startsWith("dev.agt.javaagent.bootstrap.")) {
            String reason = "the agt agent's own state is not for Unsafe";
            Handler h = handler;
            if (h != null && DEPTH.get()[0] == 0) {
                int[] depth = DEPTH.get();
                depth[0]++;
                try {
                    h.refused("native", "restricted", "agent-integrity", reason, "sun.misc.Unsafe " + f);
                } catch (Throwable ignored) {
                    // the refusal stands whether or not it could be reported
                } finally {
                    depth[0]--;
                }
            }
            throw new AgtSecurityException("blocked by agent-integrity (reported to the log): sun.misc.Unsafe on " + f, "", "agent-integrity",
                    reason, -1);
        }
    }

    private static void nativeCheck(String action, Object[] fields) {
        String[] d = ask("native", action, fields);
        if (d != null) {
            throw new AgtSecurityException(message(d), d[0], d[1], d[2], seq(d));
        }
    }
}
