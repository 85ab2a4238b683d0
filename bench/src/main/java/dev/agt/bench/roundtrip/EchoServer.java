package dev.agt.bench.roundtrip;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The floor: a Unix-socket server that sends every {@value EchoClient#MESSAGE_BYTES}-byte
 * message straight back, one write per message, from one thread per connection, the way the
 * engine answers one reply per request. It does nothing else: no decoding beyond the message
 * boundary, no evaluation, no audit log.
 */
final class EchoServer implements AutoCloseable {
    private final Path socket;
    private final ServerSocketChannel server;
    private final Thread acceptor;

    EchoServer(Path socket) throws IOException {
        this.socket = socket;
        Files.deleteIfExists(socket);
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        acceptor = new Thread(this::accept, "echo-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    private void accept() {
        while (server.isOpen()) {
            try {
                SocketChannel ch = server.accept();
                Thread t = new Thread(() -> serve(ch), "echo-connection");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private static void serve(SocketChannel ch) {
        ByteBuffer in = ByteBuffer.allocateDirect(64 * 1024);
        try (ch) {
            while (ch.read(in) >= 0) {
                in.flip();
                while (in.remaining() >= EchoClient.MESSAGE_BYTES) {
                    int end = in.position() + EchoClient.MESSAGE_BYTES;
                    ByteBuffer one = in.duplicate().limit(end);
                    while (one.hasRemaining()) {
                        ch.write(one);
                    }
                    in.position(end);
                }
                in.compact();
            }
        } catch (IOException e) {
            // the client went away: the benchmark is over
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        Files.deleteIfExists(socket);
    }
}
