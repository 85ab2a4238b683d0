package dev.agt.bench.roundtrip;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A pipelined echo client with the same shape as {@code EngineClient}: many threads share one
 * connection, each message carries an id, writes are serialized by a lock, and one reader thread
 * completes the matching future. What it leaves out is exactly what the benchmark compares
 * against: the frame codec, evaluation and the audit log.
 *
 * <p>A message is {@value #MESSAGE_BYTES} bytes: u32 length, u64 id, and filler.
 */
final class EchoClient implements AutoCloseable {
    static final int MESSAGE_BYTES = 64;

    private final SocketChannel channel;
    private final AtomicLong ids = new AtomicLong();
    private final ConcurrentHashMap<Long, CompletableFuture<Long>> pending = new ConcurrentHashMap<>();
    private final ReentrantLock writeLock = new ReentrantLock();
    private final ByteBuffer out = ByteBuffer.allocateDirect(MESSAGE_BYTES);
    private final Thread reader;
    private volatile IOException broken;

    EchoClient(Path socket) throws IOException {
        channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        channel.connect(UnixDomainSocketAddress.of(socket));
        reader = new Thread(this::readLoop, "echo-reader");
        reader.setDaemon(true);
        reader.start();
    }

    /** Sends one message and waits for its echo; returns the echoed id. */
    long roundTrip(long timeoutMs) throws IOException, InterruptedException, TimeoutException {
        long id = ids.incrementAndGet();
        CompletableFuture<Long> f = new CompletableFuture<>();
        pending.put(id, f);
        writeLock.lock();
        try {
            out.clear();
            out.putInt(MESSAGE_BYTES - 4).putLong(id);
            while (out.hasRemaining()) {
                out.put((byte) 'x');
            }
            out.flip();
            while (out.hasRemaining()) {
                channel.write(out);
            }
        } finally {
            writeLock.unlock();
        }
        if (broken != null) {
            throw broken;
        }
        try {
            return f.get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IOException("echo failed", e.getCause());
        }
    }

    private void readLoop() {
        ByteBuffer in = ByteBuffer.allocateDirect(64 * 1024);
        try {
            while (channel.read(in) >= 0) {
                in.flip();
                while (in.remaining() >= MESSAGE_BYTES) {
                    int start = in.position();
                    long id = in.getLong(start + 4);
                    in.position(start + MESSAGE_BYTES);
                    CompletableFuture<Long> f = pending.remove(id);
                    if (f != null) {
                        f.complete(id);
                    }
                }
                in.compact();
            }
            throw new IOException("echo server closed the connection");
        } catch (IOException e) {
            broken = e;
            pending.values().forEach(f -> f.completeExceptionally(e));
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
