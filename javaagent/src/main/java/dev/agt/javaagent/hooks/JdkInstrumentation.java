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
    static final String PATH_SET = "(Ljava/nio/file/Path;Ljava/util/Set;)V";
    static final String PATH = "(Ljava/nio/file/Path;)V";
    static final String PATH_PATH = "(Ljava/nio/file/Path;Ljava/nio/file/Path;)V";
    static final String UFSP = "sun/nio/fs/UnixFileSystemProvider";
    static final String FILE = "(Ljava/io/File;)V";
    static final String VIEW_FILE = "0A>sun/nio/fs/UnixFileAttributeViews$Basic.file:Lsun/nio/fs/UnixPath;";

    static final String HTTP_REQUEST = "1A>jdk/internal/net/http/Exchange.request:Ljdk/internal/net/http/HttpRequestImpl;";

    /** Hooked classes the platform class loader defines (java.net.http); all others are the boot loader's. */
    public static final java.util.Set<String> PLATFORM_CLASSES = java.util.Set.of("jdk/internal/net/http/PlainHttpConnection");

    public static final List<Hook> HOOKS = List.of(
            // file: java.io
            new Hook("file", "java/io/FileInputStream", "open", "(Ljava/lang/String;)V", "1A", "fileRead", FILE_NOT_FOUND_STRING),
            new Hook("file", "java/io/FileOutputStream", "open", "(Ljava/lang/String;Z)V", "1A 2Z", "fileWrite", "(Ljava/lang/String;Z)V"),
            new Hook("file", "java/io/RandomAccessFile", "open", "(Ljava/lang/String;I)V", "1A 2I", "fileRandom", "(Ljava/lang/String;I)V"),
            // file: java.io.File operations (their java.io.FileSystem methods are native on JDK 17)
            new Hook("file", "java/io/File", "delete", "()Z", "0A", "ioDelete", FILE),
            new Hook("file", "java/io/File", "renameTo", "(Ljava/io/File;)Z", "0A 1A", "ioRename", "(Ljava/io/File;Ljava/io/File;)V"),
            new Hook("file", "java/io/File", "mkdir", "()Z", "0A", "ioCreateDirectory", FILE),
            new Hook("file", "java/io/File", "createNewFile", "()Z", "0A", "ioCreateFile", FILE),
            new Hook("file", "java/io/File", "normalizedList", "()[Ljava/lang/String;", "0A", "ioList", FILE), // list() and listFiles() both
            new Hook("file", "java/io/File", "setReadable", "(ZZ)Z", "0A", "ioAttr", FILE),
            new Hook("file", "java/io/File", "setWritable", "(ZZ)Z", "0A", "ioAttr", FILE),
            new Hook("file", "java/io/File", "setExecutable", "(ZZ)Z", "0A", "ioAttr", FILE),
            new Hook("file", "java/io/File", "setLastModified", "(J)Z", "0A", "ioAttr", FILE),
            new Hook("file", "java/io/File", "setReadOnly", "()Z", "0A", "ioAttr", FILE),
            // file: every NIO route goes through the default provider
            new Hook("file", UFSP, "newByteChannel",
                    "(Ljava/nio/file/Path;Ljava/util/Set;[Ljava/nio/file/attribute/FileAttribute;)Ljava/nio/channels/SeekableByteChannel;",
                    "1A 2A", "nioOpen", PATH_SET),
            new Hook("file", UFSP, "newFileChannel",
                    "(Ljava/nio/file/Path;Ljava/util/Set;[Ljava/nio/file/attribute/FileAttribute;)Ljava/nio/channels/FileChannel;",
                    "1A 2A", "nioOpen", PATH_SET),
            new Hook("file", UFSP, "newAsynchronousFileChannel",
                    "(Ljava/nio/file/Path;Ljava/util/Set;Ljava/util/concurrent/ExecutorService;[Ljava/nio/file/attribute/FileAttribute;)Ljava/nio/channels/AsynchronousFileChannel;",
                    "1A 2A", "nioOpen", PATH_SET),
            new Hook("file", UFSP, "newDirectoryStream",
                    "(Ljava/nio/file/Path;Ljava/nio/file/DirectoryStream$Filter;)Ljava/nio/file/DirectoryStream;", "1A", "nioList", PATH),
            new Hook("file", UFSP, "createDirectory", "(Ljava/nio/file/Path;[Ljava/nio/file/attribute/FileAttribute;)V", "1A",
                    "nioCreateDirectory", PATH),
            new Hook("file", UFSP, "implDelete", "(Ljava/nio/file/Path;Z)Z", "1A", "nioDelete", PATH),
            new Hook("file", UFSP, "copy", "(Ljava/nio/file/Path;Ljava/nio/file/Path;[Ljava/nio/file/CopyOption;)V", "1A 2A", "nioCopy", PATH_PATH),
            new Hook("file", UFSP, "move", "(Ljava/nio/file/Path;Ljava/nio/file/Path;[Ljava/nio/file/CopyOption;)V", "1A 2A", "nioMove", PATH_PATH),
            new Hook("file", UFSP, "createSymbolicLink",
                    "(Ljava/nio/file/Path;Ljava/nio/file/Path;[Ljava/nio/file/attribute/FileAttribute;)V", "1A 2A", "nioSymlink", PATH_PATH),
            new Hook("file", UFSP, "createLink", "(Ljava/nio/file/Path;Ljava/nio/file/Path;)V", "1A 2A", "nioLink", PATH_PATH),
            // file: attribute changes through NIO views (Files.setPosixFilePermissions, setOwner,
            // setLastModifiedTime, setAttribute): the view knows its file in a field
            new Hook("file", "sun/nio/fs/UnixFileAttributeViews$Basic", "setTimes",
                    "(Ljava/nio/file/attribute/FileTime;Ljava/nio/file/attribute/FileTime;Ljava/nio/file/attribute/FileTime;)V", VIEW_FILE,
                    "nioAttr", PATH),
            new Hook("file", "sun/nio/fs/UnixFileAttributeViews$Posix", "setPermissions", "(Ljava/util/Set;)V", VIEW_FILE, "nioAttr", PATH),
            new Hook("file", "sun/nio/fs/UnixFileAttributeViews$Posix", "setMode", "(I)V", VIEW_FILE, "nioAttr", PATH),
            new Hook("file", "sun/nio/fs/UnixFileAttributeViews$Posix", "setOwners", "(II)V", VIEW_FILE, "nioAttr", PATH),
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
            // net: UDP datagrams to an address of the sender's choosing (DatagramSocket and DatagramChannel)
            new Hook("net", "sun/nio/ch/DatagramChannelImpl", "sendFromNativeBuffer",
                    "(Ljava/io/FileDescriptor;Ljava/nio/ByteBuffer;Ljava/net/InetSocketAddress;)I", "3A", "netSend",
                    "(Ljava/net/InetSocketAddress;)V"),
            // net: listening sockets (ServerSocket, ServerSocketChannel, Unix domain servers)
            new Hook("net", "sun/nio/ch/NioSocketImpl", "bind", "(Ljava/net/InetAddress;I)V", "1A 2I", "netListen",
                    "(Ljava/net/InetAddress;I)V"),
            new Hook("net", "sun/nio/ch/ServerSocketChannelImpl", "netBind", "(Ljava/net/SocketAddress;I)Ljava/net/SocketAddress;", "1A",
                    "netListenAddress", "(Ljava/net/SocketAddress;)V"),
            new Hook("net", "sun/nio/ch/ServerSocketChannelImpl", "unixBind", "(Ljava/net/SocketAddress;I)Ljava/net/SocketAddress;", "1A",
                    "netListenAddress", "(Ljava/net/SocketAddress;)V"),
            // process: launches through ProcessBuilder (start, startPipeline, Runtime.exec) are decided
            // where the builder can still change: child JVMs get the agent, sandboxed launches bubblewrap
            new Hook("process", "java/lang/ProcessBuilder", "start", "([Ljava/lang/ProcessBuilder$Redirect;)Ljava/lang/Process;", "0A",
                    "processBuilderStart", "(Ljava/lang/ProcessBuilder;)V"),
            // process: ProcessBuilder.start and Runtime.exec, reflection included
            new Hook("process", "java/lang/ProcessImpl", "start",
                    "([Ljava/lang/String;Ljava/util/Map;Ljava/lang/String;[Ljava/lang/ProcessBuilder$Redirect;Z)Ljava/lang/Process;",
                    "0A 1A 2A", "processStart", "([Ljava/lang/String;Ljava/util/Map;Ljava/lang/String;)V"),
            // native
            new Hook("native", "java/lang/Runtime", "load0", "(Ljava/lang/Class;Ljava/lang/String;)V", "2A", "nativeLoad", FILE_NOT_FOUND_STRING),
            new Hook("native", "java/lang/Runtime", "loadLibrary0", "(Ljava/lang/Class;Ljava/lang/String;)V", "2A", "nativeLoadLibrary",
                    FILE_NOT_FOUND_STRING));
}
