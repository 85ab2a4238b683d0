package dev.agt.bench.roundtrip;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A pipelined echo client with the same shape as {@code EngineClient}: many threads share one
 * non-blocking connection, each message carries an id, writes are serialized by a lock, and the
 * first waiting caller reads the socket in a selector for everyone (leader/follower), unparking
 * the owner of each reply it reads and one waiter when it steps down. What it leaves out is
 * exactly what the benchmark compares against: the frame codec, evaluation and the audit log.
 *
 * <p>A message is {@value #MESSAGE_BYTES} bytes: u32 length, u64 id, and filler.
 */
final class EchoClient implements AutoCloseable {
    static final int MESSAGE_BYTES = 64;

    private final SocketChannel channel;
    private final Selector readable;
    private final AtomicLong ids = new AtomicLong();
    private final ConcurrentHashMap<Long, Reply> pending = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Reply> waiting = new ConcurrentLinkedQueue<>();
    private final ReentrantLock writeLock = new ReentrantLock();
    private final ReentrantLock reading = new ReentrantLock();
    private final ByteBuffer out = ByteBuffer.allocateDirect(MESSAGE_BYTES);
    private final ByteBuffer in = ByteBuffer.allocateDirect(64 * 1024);
    private volatile IOException broken;

    private static final class Reply extends CompletableFuture<Long> {
        volatile Thread waiter;

        @Override
        public boolean complete(Long value) {
            boolean done = super.complete(value);
            LockSupport.unpark(waiter);
            return done;
        }

        @Override
        public boolean completeExceptionally(Throwable ex) {
            boolean done = super.completeExceptionally(ex);
            LockSupport.unpark(waiter);
            return done;
        }
    }

    EchoClient(Path socket) throws IOException {
        channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        channel.connect(UnixDomainSocketAddress.of(socket));
        channel.configureBlocking(false);
        readable = Selector.open();
        channel.register(readable, SelectionKey.OP_READ);
    }

    /** Sends one message and waits for its echo; returns the echoed id. */
    long roundTrip(long timeoutMs) throws IOException, InterruptedException, TimeoutException {
        long id = ids.incrementAndGet();
        Reply f = new Reply();
        f.waiter = Thread.currentThread();
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
                channel.write(out); // 64 bytes into an echo server that keeps reading: never a full buffer here
            }
        } finally {
            writeLock.unlock();
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!f.isDone()) {
            if (broken != null) {
                throw broken;
            }
            if (reading.tryLock()) {
                try {
                    lead(f, deadline);
                } finally {
                    reading.unlock();
                    for (Reply w; (w = waiting.peek()) != null; waiting.remove(w)) {
                        if (!w.isDone()) {
                            LockSupport.unpark(w.waiter);
                            break;
                        }
                    }
                }
                break;
            }
            waiting.add(f);
            try {
                if (!f.isDone() && reading.isLocked()) {
                    LockSupport.parkNanos(this, deadline - System.nanoTime());
                }
            } finally {
                waiting.remove(f);
            }
            if (System.nanoTime() > deadline) {
                break;
            }
        }
        try {
            return f.get(0, TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw new IOException("echo failed", e.getCause());
        }
    }

    private void lead(Reply mine, long deadline) throws IOException {
        boolean wait = in.position() == 0;
        while (!mine.isDone()) {
            int n = wait ? 0 : channel.read(in);
            wait = false;
            if (n < 0) {
                broken = new IOException("echo server closed the connection");
                pending.values().forEach(p -> p.completeExceptionally(broken));
                return;
            }
            if (n == 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                readable.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left + 999_999)));
                readable.selectedKeys().clear();
                continue;
            }
            in.flip();
            while (in.remaining() >= MESSAGE_BYTES) {
                int start = in.position();
                long id = in.getLong(start + 4);
                in.position(start + MESSAGE_BYTES);
                Reply f = pending.remove(id);
                if (f != null) {
                    f.complete(id);
                }
            }
            in.compact();
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
        readable.close();
    }
}
