package dev.agt.engine.server;

import dev.agt.engine.policy.Agent;
import dev.agt.protocol.ByteSink;
import dev.agt.protocol.Frame;
import dev.agt.protocol.FrameCodec;
import dev.agt.protocol.FrameType;
import dev.agt.protocol.Limits;
import dev.agt.protocol.ProtocolException;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * One peer's connection: a reader thread that decodes frames and hands them to the engine, and
 * a writer thread that sends replies in batches. Replies go out in the order decisions complete,
 * which need not be request order. The reader stops taking requests while
 * {@link #MAX_IN_FLIGHT} are undecided, so a peer that never reads its replies cannot make the
 * engine buffer without bound. A frame that breaks the protocol closes this connection only.
 */
final class Connection {
    static final int MAX_IN_FLIGHT = 1024;
    private static final Frame CLOSE = new Frame(FrameType.ERROR, -1, Map.of());

    final long number;
    final SocketChannel channel;
    final String peerUser;
    final boolean unix;
    private final Engine engine;
    private final LinkedBlockingQueue<Frame> out = new LinkedBlockingQueue<>();
    private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
    private volatile Agent agent;
    private volatile long declaredPid = -1;
    private volatile boolean closed;
    private volatile boolean stopReading;
    private Thread reader;

    Connection(Engine engine, long number, SocketChannel channel, String peerUser, boolean unix) {
        this.engine = engine;
        this.number = number;
        this.channel = channel;
        this.peerUser = peerUser;
        this.unix = unix;
    }

    void start() {
        Thread r = new Thread(this::readLoop, "agt-conn-" + number + "-read");
        reader = r;
        Thread w = new Thread(this::writeLoop, "agt-conn-" + number + "-write");
        r.setDaemon(true);
        w.setDaemon(true);
        w.start();
        r.start();
    }

    Agent agent() {
        return agent;
    }

    long declaredPid() {
        return declaredPid;
    }

    void hello(Agent a, long pid) {
        this.agent = a;
        this.declaredPid = pid;
    }

    private void readLoop() {
        String why = "peer closed the connection";
        try {
            while (!stopReading) {
                Frame f = FrameCodec.read(channel, Limits.DEFAULT);
                if (f == null) {
                    break;
                }
                inFlight.acquire();
                engine.dispatch(this, f);
            }
        } catch (ProtocolException e) {
            why = e.getMessage();
            engine.protocolError(this, e);
            send(new Frame(FrameType.ERROR, 0, Map.of("code", e.code(), "message", e.getMessage())));
            stopReading = true;
        } catch (EOFException e) {
            why = "peer closed the connection inside a frame";
        } catch (IOException e) {
            why = closed ? "closed by the engine" : "read failed: " + e.getMessage();
        } catch (InterruptedException e) {
            why = "interrupted";
        }
        // Let every request already taken be answered before the writer closes the connection.
        try {
            inFlight.tryAcquire(MAX_IN_FLIGHT, 15, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        out.add(CLOSE);
        engine.connectionEnded(this, why);
    }

    /** Stops taking requests (engine shutdown); requests already taken are still answered. */
    void stopReading() {
        stopReading = true;
        try {
            channel.shutdownInput();
        } catch (IOException ignored) {
            // already closed
        }
    }

    /** Waits until the reader has stopped and every request it took has been answered. */
    void awaitReader(long millis) throws InterruptedException {
        Thread r = reader;
        if (r != null) {
            r.join(millis);
        }
    }

    /** Called by the engine for every reply; frees one in-flight slot for reply types. */
    void send(Frame f) {
        out.add(f);
    }

    void replied() {
        inFlight.release();
    }

    /**
     * Refuses the peer (called on the reader thread): sends an error for {@code id}, reads no
     * further frame, and closes once the replies still owed are out.
     */
    void refuse(long id, String code, String message) {
        engine.log("connection " + number + ": " + code + ": " + message);
        send(new Frame(FrameType.ERROR, id, Map.of("code", code, "message", message)));
        stopReading = true;
        inFlight.release();
    }

    /** True while requests of this connection are still undecided. */
    boolean busy() {
        return inFlight.availablePermits() < MAX_IN_FLIGHT;
    }

    private void writeLoop() {
        ByteSink sink = new ByteSink(4096);
        List<Frame> batch = new ArrayList<>();
        try {
            while (true) {
                Frame first = out.poll(1, TimeUnit.SECONDS);
                if (first == null) {
                    if (closed) {
                        return;
                    }
                    continue;
                }
                batch.add(first);
                out.drainTo(batch, 256);
                sink.reset();
                boolean close = false;
                for (Frame f : batch) {
                    if (f == CLOSE) {
                        close = true;
                        break;
                    }
                    FrameCodec.encode(f, Limits.DEFAULT, sink);
                }
                batch.clear();
                ByteBuffer buf = sink.toByteBuffer();
                while (buf.hasRemaining()) {
                    channel.write(buf);
                }
                if (close) {
                    return;
                }
            }
        } catch (IOException | InterruptedException e) {
            // the peer went away; nothing left to tell it
        } finally {
            close();
        }
    }

    void close() {
        closed = true;
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
