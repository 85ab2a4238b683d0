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

    /** Before a return of a method an at-return rule selected: what to return instead, or a thrown denial. */
    public static Object result(Object result, int rule, Object self) {
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
            return h.result(rule, self, result);
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

    /** FileSystemProvider.newByteChannel / newFileChannel / newAsynchronousFileChannel. */
    public static void nioOpen(Path path, Set<?> options) throws IOException {
        boolean write = false;
        if (options != null) {
            for (Object o : options) {
                String n = String.valueOf(o);
                if (n.equals("WRITE") || n.equals("APPEND") || n.equals("CREATE") || n.equals("CREATE_NEW")
                        || n.equals("TRUNCATE_EXISTING") || n.equals("DELETE_ON_CLOSE")) {
                    write = true;
                }
            }
        }
        nio(write ? "write" : "read", path, null);
    }

    public static void nioList(Path dir) throws IOException {
        nio("list", dir, null);
    }

    public static void nioCreateDirectory(Path dir) throws IOException {
        nio("create", dir, null);
    }

    public static void nioDelete(Path path) throws IOException {
        nio("delete", path, null);
    }

    public static void nioCopy(Path source, Path target) throws IOException {
        nio("read", source, null);
        nio("write", target, null);
    }

    public static void nioMove(Path source, Path target) throws IOException {
        nio("rename", source, target);
    }

    /** createSymbolicLink(link, target) and createLink(link, existing). */
    public static void nioLink(Path link, Path target) throws IOException {
        nio("link", link, target);
    }

    /** createSymbolicLink: a relative target is relative to the link's own directory, not to the working directory. */
    public static void nioSymlink(Path link, Path target) throws IOException {
        Path dir = link.toAbsolutePath().getParent();
        nio("link", link, target.isAbsolute() || dir == null ? target : dir.resolve(target));
    }

    public static void nioAttr(Path path) throws IOException {
        nio("attr", path, null);
    }

    private static void nio(String action, Path path, Path dest) throws IOException {
        String[] d = ask("file", action, dest == null ? new Object[] {"path", path} : new Object[] {"path", path, "dest", dest});
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

    public static void ioCreateFile(java.io.File f) {
        io("create", f, null);
    }

    public static void ioList(java.io.File f) {
        io("list", f, null);
    }

    public static void ioAttr(java.io.File f) {
        io("attr", f, null);
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

    /** NioSocketImpl.bind (java.net.ServerSocket and friends). */
    public static void netListen(InetAddress address, int port) throws IOException {
        String[] d = ask("net", "listen", new Object[] {"address", address, "port", port});
        if (d != null) {
            throw new AgtConnectException(message(d), d[0], d[1], d[2], seq(d));
        }
    }

    /** ServerSocketChannelImpl.netBind / unixBind. */
    public static void netListenAddress(SocketAddress address) throws IOException {
        Object[] fields;
        if (address instanceof java.net.InetSocketAddress isa) {
            fields = isa.getAddress() == null ? new Object[] {"hostname", isa.getHostString(), "port", isa.getPort()}
                    : new Object[] {"address", isa.getAddress(), "port", isa.getPort()};
        } else if (address instanceof java.net.UnixDomainSocketAddress u) {
            fields = new Object[] {"unix", u.getPath()};
        } else {
            fields = new Object[] {"socket", String.valueOf(address)};
        }
        String[] d = ask("net", "listen", fields);
        if (d != null) {
            throw new AgtConnectException(message(d), d[0], d[1], d[2], seq(d));
        }
    }

    // ---- process -------------------------------------------------------------------------

    /** java.lang.ProcessImpl.start: every launch, however it was asked for. */
    public static void processStart(String[] cmd, Map<?, ?> env, String dir) throws IOException {
        String[] d = ask("process", "exec", new Object[] {"cmd", cmd, "env", env, "dir", dir});
        if (d != null) {
            throw new AgtIOException(message(d), d[0], d[1], d[2], seq(d));
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

    /** Runtime.load0 (System.load). */
    public static void nativeLoad(String path) {
        String[] d = ask("native", "load", new Object[] {"path", path});
        if (d != null) {
            throw new AgtSecurityException(message(d), d[0], d[1], d[2], seq(d));
        }
    }

    /** Runtime.loadLibrary0 (System.loadLibrary). */
    public static void nativeLoadLibrary(String name) {
        String[] d = ask("native", "load", new Object[] {"library", name});
        if (d != null) {
            throw new AgtSecurityException(message(d), d[0], d[1], d[2], seq(d));
        }
    }
}
