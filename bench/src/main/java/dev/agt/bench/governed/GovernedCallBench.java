package dev.agt.bench.governed;

import com.sun.net.httpserver.HttpServer;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.URL;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Calls an agent governs, timed as the application sees them. Run it three ways in one session
 * (bench/governed/run.sh): without an agent, with the agt agent against a running engine, and
 * on JDK 17 under the SecurityManager; the differences are the cost of governance.
 * {@code notIntercepted} is a read from an already-open file: it must cost the same in all three.
 *
 * <p>Needs {@code -Dagt.bench.dir=DIR} with a file {@code data.txt} in it.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class GovernedCallBench {
    Path data;
    HttpServer server;
    URL url;
    RandomAccessFile open;
    final byte[] buf = new byte[4096];
    /** The floor: a 64-byte round trip over a Unix socket to an echo thread (blocking, one connection). */
    ServerSocketChannel echoServer;
    SocketChannel echo;
    Thread echoThread;
    final ByteBuffer echoBuf = ByteBuffer.allocateDirect(64);

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        System.setProperty("http.keepAlive", "false"); // every GET opens (and so governs) a connection
        data = Path.of(System.getProperty("agt.bench.dir", "/tmp")).resolve("data.txt");
        if (!Files.exists(data)) {
            throw new IllegalStateException("missing " + data + " (run bench/governed/run.sh)");
        }
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        server.createContext("/", ex -> {
            byte[] body = "ok".getBytes();
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
        url = new URL("http://127.0.0.1:" + server.getAddress().getPort() + "/x");
        open = new RandomAccessFile(data.toFile(), "r");
        Path sock = data.resolveSibling("echo.sock");
        Files.deleteIfExists(sock);
        echoServer = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        echoServer.bind(UnixDomainSocketAddress.of(sock));
        echoThread = new Thread(() -> {
            ByteBuffer b = ByteBuffer.allocateDirect(64);
            try (SocketChannel c = echoServer.accept()) {
                while (true) {
                    b.clear();
                    while (b.hasRemaining()) {
                        if (c.read(b) < 0) {
                            return;
                        }
                    }
                    b.flip();
                    while (b.hasRemaining()) {
                        c.write(b);
                    }
                }
            } catch (IOException e) {
                // closed at tear-down
            }
        }, "echo");
        echoThread.setDaemon(true);
        echoThread.start();
        echo = SocketChannel.open(UnixDomainSocketAddress.of(sock));
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        server.stop(0);
        open.close();
        echo.close();
        echoServer.close();
    }

    @Benchmark
    public int fileOpen() throws IOException {
        try (FileInputStream in = new FileInputStream(data.toFile())) {
            return in.read(buf);
        }
    }

    @Benchmark
    public int httpGet() throws IOException {
        HttpURLConnection c = (HttpURLConnection) url.openConnection();
        try (InputStream in = c.getInputStream()) {
            return in.read() + c.getResponseCode();
        }
    }

    @Benchmark
    public int processLaunch() throws Exception {
        return new ProcessBuilder("/bin/true").start().waitFor();
    }

    final java.util.Map<String, Object> toolArguments = java.util.Map.of("path", "/srv/work/notes.md", "limit", 10);

    /** A tool call an interception rule governs (with the agent and run.sh's rules file): one decision, arguments included. */
    @Benchmark
    public int toolCall() {
        return BenchTools.invoke("read_notes", toolArguments);
    }

    /**
     * The floor a governed call is measured against: the same kind of round trip the agent makes
     * to its engine, with nothing decided or logged. Not intercepted (the connection is open).
     */
    @Benchmark
    public int unixSocketRoundTrip() throws IOException {
        echoBuf.clear();
        while (echoBuf.hasRemaining()) {
            echo.write(echoBuf);
        }
        echoBuf.clear();
        while (echoBuf.hasRemaining()) {
            echo.read(echoBuf);
        }
        return echoBuf.get(0);
    }

    @Benchmark
    public int notIntercepted() throws IOException {
        open.seek(0);
        return open.read(buf);
    }
}
