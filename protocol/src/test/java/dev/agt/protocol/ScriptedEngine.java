package dev.agt.protocol;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * An engine that follows a script, on a real Unix socket: it accepts every HELLO and hands every
 * other frame to {@link Answer}, which replies now, later (through {@link #send}) or never. For
 * client tests that need an engine that answers late, out of order, wrongly or not at all.
 */
final class ScriptedEngine implements AutoCloseable {
    /** What the engine does with a frame after the HELLO: the reply to send now, or null (none now). */
    interface Answer {
        Frame reply(SocketChannel channel, Frame frame) throws IOException;
    }

    final ServerSocketChannel server;
    final List<SocketChannel> accepted = Collections.synchronizedList(new ArrayList<>());
    private final Answer answer;

    ScriptedEngine(Path socket, Answer answer) throws IOException {
        this.answer = answer;
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Thread t = new Thread(() -> {
            try {
                while (true) {
                    SocketChannel ch = server.accept();
                    accepted.add(ch);
                    Thread c = new Thread(() -> serve(ch));
                    c.setDaemon(true);
                    c.start();
                }
            } catch (IOException closed) {
                // test over
            }
        });
        t.setDaemon(true);
        t.start();
    }

    private void serve(SocketChannel ch) {
        try {
            for (Frame f; (f = FrameCodec.read(ch, Limits.DEFAULT)) != null; ) {
                Frame reply = f.type() == FrameType.HELLO
                        ? new Frame(FrameType.HELLO_OK, f.id(), Map.of("engine", "scripted", "policy", "p", "session", 1L))
                        : answer.reply(ch, f);
                if (reply != null) {
                    send(ch, reply);
                }
            }
        } catch (IOException gone) {
            // the client or the test closed it
        }
    }

    /** Writes a reply whole (any thread: replies sent later share the connection with this one's). */
    void send(SocketChannel ch, Frame reply) {
        try {
            synchronized (ch) {
                ByteBuffer buf = FrameCodec.encode(reply, Limits.DEFAULT);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
            }
        } catch (IOException gone) {
            // closed by the test
        }
    }

    /** Cuts every connection, as an engine that died would. */
    void cut() throws IOException {
        synchronized (accepted) {
            for (SocketChannel ch : accepted) {
                ch.close();
            }
            accepted.clear();
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        cut();
    }
}
