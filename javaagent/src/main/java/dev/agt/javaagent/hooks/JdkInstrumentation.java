package dev.agt.javaagent.hooks;

import java.util.List;

/**
 * The table of JDK choke points the agent hooks, by family. Each is the lowest place that every
 * route to the effect passes through (NIO channels, java.io streams, high-level clients alike),
 * and each descriptor was checked on JDK 17 and JDK 25 (see ../shared/FINDINGS.md); the
 * start-up self-check refuses to run when one is missing on the running JDK.
 *
 * <p>Loads are written as slot:type pairs, e.g. "1A 2I" loads local 1 as a reference and local
 * 2 as an int (slot 0 is {@code this} for instance methods).
 */
public final class JdkInstrumentation {
    private JdkInstrumentation() {
    }

    static final String FILE_NOT_FOUND_STRING = "(Ljava/lang/String;)V";
    static final String PATH = "(Ljava/nio/file/Path;)V";
    static final String FILE = "(Ljava/io/File;)V";
    static final String FIELD = "(Ljava/lang/reflect/Field;)V";

    static final String HTTP_REQUEST = "1A>jdk/internal/net/http/Exchange.request:Ljdk/internal/net/http/HttpRequestImpl;";

    /** Hooked classes the platform class loader defines (java.net.http); all others are the boot loader's. */
    public static final java.util.Set<String> PLATFORM_CLASSES = java.util.Set.of("jdk/internal/net/http/PlainHttpConnection",
            "sun/security/pkcs11/wrapper/PKCS11", "sun/security/pkcs11/Secmod", "sun/security/smartcardio/PlatformPCSC");

    /**
     * Hooked classes of JDK modules the application class loader defines, by module: accepted
     * only from that module of the boot layer, which no application class can join.
     */
    public static final java.util.Map<String, String> APP_LOADER_CLASSES = java.util.Map.of("sun/tools/attach/VirtualMachineImpl", "jdk.attach");

    public static final List<Hook> HOOKS = List.of(
            // file: java.io
            new Hook("file", "java/io/FileInputStream", "open", "(Ljava/lang/String;)V", "1A", "fileRead", FILE_NOT_FOUND_STRING),
            new Hook("file", "java/io/FileOutputStream", "open", "(Ljava/lang/String;Z)V", "1A 2Z", "fileWrite", "(Ljava/lang/String;Z)V"),
            new Hook("file", "java/io/RandomAccessFile", "open", "(Ljava/lang/String;I)V", "1A 2I", "fileRandom", "(Ljava/lang/String;I)V"),
            // file: every other file operation, java.io.File's and NIO's alike, is gated at its
            // native gateway: see gates/GateInstrumentation
            // file: watching a directory (inotify) reports the names created in it: a listing
            new Hook("file", "sun/nio/fs/AbstractPoller", "register",
                    "(Ljava/nio/file/Path;[Ljava/nio/file/WatchEvent$Kind;[Ljava/nio/file/WatchEvent$Modifier;)Ljava/nio/file/WatchKey;", "1A",
                    "fsList", PATH),
            // net: Socket, SocketChannel, HttpClient, DatagramChannel.connect all funnel here
            new Hook("net", "sun/nio/ch/Net", "connect", "(Ljava/net/ProtocolFamily;Ljava/io/FileDescriptor;Ljava/net/InetAddress;I)I",
                    "2A 3I", "netConnect", "(Ljava/net/InetAddress;I)V"),
            new Hook("net", "sun/nio/ch/UnixDomainSockets", "connect", "(Ljava/io/FileDescriptor;Ljava/nio/file/Path;)I", "1A",
                    "netConnectUnix", PATH),
            // net: HttpURLConnection knows the url and method of the connect that follows
            new Hook("net", "sun/net/www/protocol/http/HttpURLConnection", "plainConnect0", "()V", "0A", "httpContext",
                    "(Ljava/lang/Object;)V"),
            // net: java.net.http.HttpClient (sync and async, HTTP/1.1 and 2, TLS): each new connection
            // starts here, on whichever thread, and reaches Net.connect before it returns
            new Hook("net", "jdk/internal/net/http/PlainHttpConnection", "connectAsync",
                    "(Ljdk/internal/net/http/Exchange;)Ljava/util/concurrent/CompletableFuture;",
                    HTTP_REQUEST + ">java/net/http/HttpRequest.uri()Ljava/net/URI; " + HTTP_REQUEST + ">java/net/http/HttpRequest.method()Ljava/lang/String;",
                    "httpClientContext", "(Ljava/net/URI;Ljava/lang/String;)V"),
            // net: name resolution (DNS is an exfiltration channel); the descriptor changed in JDK 18
            new Hook("net", "java/net/InetAddress", "getAddressesFromNameService",
                    "(Ljava/lang/String;Ljava/net/InetAddress;)[Ljava/net/InetAddress;|(Ljava/lang/String;)[Ljava/net/InetAddress;",
                    "0A", "netResolve", "(Ljava/lang/String;)V"),
            // net: what the resolver answered, so that a host name is reported only for an address
            // it really resolved to in this JVM (InetAddress.getByAddress(name, ip) names anything)
            Hook.atReturn("net", "java/net/InetAddress", "getAddressesFromNameService",
                    "(Ljava/lang/String;Ljava/net/InetAddress;)[Ljava/net/InetAddress;|(Ljava/lang/String;)[Ljava/net/InetAddress;",
                    "0A", "netResolved", "([Ljava/net/InetAddress;Ljava/lang/String;)V"),
            // net: UDP datagrams to an address of the sender's choosing (DatagramSocket and DatagramChannel)
            new Hook("net", "sun/nio/ch/DatagramChannelImpl", "sendFromNativeBuffer",
                    "(Ljava/io/FileDescriptor;Ljava/nio/ByteBuffer;Ljava/net/InetSocketAddress;)I", "3A", "netSend",
                    "(Ljava/net/InetSocketAddress;)V"),
            // net: every bind (server, client and datagram sockets, channels, asynchronous channels)
            new Hook("net", "sun/nio/ch/Net", "bind", "(Ljava/net/ProtocolFamily;Ljava/io/FileDescriptor;Ljava/net/InetAddress;I)V", "2A 3I",
                    "netListen", "(Ljava/net/InetAddress;I)V"),
            new Hook("net", "sun/nio/ch/UnixDomainSockets", "bind", "(Ljava/io/FileDescriptor;Ljava/nio/file/Path;)V", "1A",
                    "netListenUnix", PATH),
            // net: reverse lookups (getHostName, getCanonicalHostName) send a query naming the address;
            // denied, the JDK answers with the address itself, as for any failed lookup
            Hook.optional("net", "java/net/InetAddress$PlatformNameService", "getHostByAddr", "([B)Ljava/lang/String;", "1A", "netReverse", "([B)V"),
            Hook.optional("net", "java/net/InetAddress$PlatformResolver", "lookupByAddress", "([B)Ljava/lang/String;", "1A", "netReverse", "([B)V"),
            // net, JDK 17: the legacy socket implementations that jdk.net.usePlainSocketImpl and
            // jdk.net.usePlainDatagramSocketImpl switch on (removed in later JDKs)
            Hook.optional("net", "java/net/AbstractPlainSocketImpl", "connectToAddress", "(Ljava/net/InetAddress;II)V", "1A 2I", "netConnect",
                    "(Ljava/net/InetAddress;I)V"),
            Hook.optional("net", "java/net/AbstractPlainSocketImpl", "bind", "(Ljava/net/InetAddress;I)V", "1A 2I", "netListen",
                    "(Ljava/net/InetAddress;I)V"),
            Hook.optional("net", "java/net/AbstractPlainDatagramSocketImpl", "bind", "(ILjava/net/InetAddress;)V", "2A 1I", "netListen",
                    "(Ljava/net/InetAddress;I)V"),
            Hook.optional("net", "java/net/AbstractPlainDatagramSocketImpl", "connect", "(Ljava/net/InetAddress;I)V", "1A 2I", "netConnect",
                    "(Ljava/net/InetAddress;I)V"),
            Hook.optional("net", "java/net/AbstractPlainDatagramSocketImpl", "send", "(Ljava/net/DatagramPacket;)V", "1A", "netSendPacket",
                    "(Ljava/net/DatagramPacket;)V"),
            // process: launches through ProcessBuilder (start, startPipeline, Runtime.exec) are decided
            // where the builder can still change: child JVMs get the agent, sandboxed launches bubblewrap
            new Hook("process", "java/lang/ProcessBuilder", "start", "([Ljava/lang/ProcessBuilder$Redirect;)Ljava/lang/Process;", "0A",
                    "processBuilderStart", "(Ljava/lang/ProcessBuilder;)V"),
            // process: the last Java frame of every launch, with the bytes that will be executed
            // (program, arguments, environment, directory): compared there with what was decided
            new Hook("process", "java/lang/ProcessImpl", "<init>", "([B[BI[BI[B[IZZ)V", "1A 2A 3I 4A 6A", "processExec", "([B[BI[B[B)V"),
            // integrity: sun.misc.Unsafe (open to every application) must not hand out the address of
            // the agent's own state; the rest of it is out of reach (a sealed module, see BootstrapInjector)
            new Hook("native", "sun/misc/Unsafe", "staticFieldOffset", "(Ljava/lang/reflect/Field;)J", "1A", "unsafeField", FIELD),
            new Hook("native", "sun/misc/Unsafe", "staticFieldBase", "(Ljava/lang/reflect/Field;)Ljava/lang/Object;", "1A", "unsafeField", FIELD),
            new Hook("native", "sun/misc/Unsafe", "objectFieldOffset", "(Ljava/lang/reflect/Field;)J", "1A", "unsafeField", FIELD),
            // process: signals to other processes (ProcessHandle.of(pid).destroy(), Process.destroy)
            new Hook("process", "java/lang/ProcessHandleImpl", "destroyProcess", "(Z)Z", "0A", "processSignal", "(Ljava/lang/Object;)V"),
            // native: every JNI library load (System.load, System.loadLibrary's candidates, the JDK's own):
            // the one overload that opens the library, with the canonical path (or a built-in's name)
            new Hook("native", "jdk/internal/loader/NativeLibraries", "loadLibrary",
                    "(Ljava/lang/Class;Ljava/lang/String;Z)Ljdk/internal/loader/NativeLibrary;", "2A", "nativeLoadRaw", "(Ljava/lang/Object;)V"),
            // native, JDK 22+: libraries the FFM API loads (SymbolLookup.libraryLookup; load(Path) calls this)
            Hook.optional("native", "jdk/internal/loader/RawNativeLibraries", "load", "(Ljava/lang/String;)Ljdk/internal/loader/NativeLibrary;",
                    "1A", "nativeLoadRaw", "(Ljava/lang/Object;)V"),
            // native: libraries that security providers load by a path their configuration names:
            // a PKCS#11 module (SunPKCS11's library=), NSS (Secmod), the PC/SC library (javax.smartcardio)
            Hook.optional("native", "sun/security/pkcs11/wrapper/PKCS11", "<init>", "(Ljava/lang/String;Ljava/lang/String;)V", "1A",
                    "nativeLoadRaw", "(Ljava/lang/Object;)V"),
            Hook.optional("native", "sun/security/pkcs11/Secmod", "initialize",
                    "(Lsun/security/pkcs11/Secmod$DbMode;Ljava/lang/String;Ljava/lang/String;Z)V", "3A", "nssLoad", FILE_NOT_FOUND_STRING),
            Hook.atReturnOptional("native", "sun/security/smartcardio/PlatformPCSC", "getLibraryName", "()Ljava/lang/String;", "",
                    "pcscLibrary", FILE_NOT_FOUND_STRING),
            // native: the DiagnosticCommand MBean runs jcmd commands in this JVM (JVMTI.agent_load loads
            // any native library, VM.log writes any file); HotSpotDiagnostic dumps the heap to a chosen file
            // and sets VM flags (HeapDumpPath...); the Attach API loads agents into other JVMs
            Hook.optional("native", "com/sun/management/internal/DiagnosticCommandImpl$Wrapper", "execute", "([Ljava/lang/String;)Ljava/lang/String;",
                    "0A>com/sun/management/internal/DiagnosticCommandImpl$Wrapper.cmd:Ljava/lang/String; 1A", "diagnosticCommand",
                    "(Ljava/lang/String;[Ljava/lang/String;)V"),
            Hook.optional("file", "com/sun/management/internal/HotSpotDiagnostic", "dumpHeap", "(Ljava/lang/String;Z)V", "1A", "heapDump",
                    FILE_NOT_FOUND_STRING),
            Hook.optional("native", "com/sun/management/internal/HotSpotDiagnostic", "setVMOption", "(Ljava/lang/String;Ljava/lang/String;)V",
                    "1A 2A", "vmOption", "(Ljava/lang/String;Ljava/lang/String;)V"),
            Hook.optional("native", "sun/tools/attach/VirtualMachineImpl", "<init>", "(Lcom/sun/tools/attach/spi/AttachProvider;Ljava/lang/String;)V",
                    "2A", "attach", FILE_NOT_FOUND_STRING),
            // native, JDK 22+: every restricted method of the FFM API (downcall and upcall handles,
            // MemorySegment.reinterpret, library lookups...) checks native access here
            Hook.optional("native", "jdk/internal/reflect/Reflection", "ensureNativeAccess", "(Ljava/lang/Class;Ljava/lang/Class;Ljava/lang/String;Z)V",
                    "0A 1A 2A 3Z", "nativeRestricted", "(Ljava/lang/Class;Ljava/lang/Class;Ljava/lang/String;Z)V"));
}
