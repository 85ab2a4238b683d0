package dev.agt.protocol;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
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
 * A pipelined connection to the engine. Many threads share one connection: each request gets
 * an id, writes are serialized, and replies may arrive in any order.
 *
 * <p>There is no reader thread. A caller waiting for its reply reads the socket itself when no
 * other caller is reading (leader/follower): alone, it is woken once, by the kernel, when its
 * reply arrives, the same as a plain blocking round trip. A reader thread would add a second
 * wake-up to every call (the reader's, then the caller's), measured at about 20 us of a 27 us
 * floor on this project's machines. The channel is non-blocking and the leader waits in a
 * selector, so every wait is bounded by its caller's timeout; a leader that got its reply
 * hands the socket to the next waiting caller. A caller that is not reading parks until the
 * reader completes its {@link Reply} (and unparks exactly that caller) or hands it the socket.
 *
 * <p>When the connection breaks, every pending call fails at once; the caller turns that into a
 * denial (fail closed). A broken client stays broken: make a new one. A broken connection is
 * noticed by the next call that writes or reads, not while nobody uses it.
 */
public final class EngineClient implements AutoCloseable {
    private final SocketChannel channel;
    private final Selector readable;
    private final Limits limits;
    private final AtomicLong ids = new AtomicLong();
    private final ConcurrentHashMap<Long, Reply> pending = new ConcurrentHashMap<>();
    private final ReentrantLock writeLock = new ReentrantLock();
    private final ByteSink sink = new ByteSink(512);
    /** Held by the one caller that reads the socket (the leader). */
    private final ReentrantLock reading = new ReentrantLock();
    /**
     * Callers waiting for a reply while another reads. Each parks on its own: the reader unparks
     * exactly the owner of a reply it completes, and one waiter (to read in its place) when it
     * steps down, so n callers cost no wake-ups beyond their own.
     */
    private final ConcurrentLinkedQueue<Reply> waiting = new ConcurrentLinkedQueue<>();
    private final FrameAccumulator in;
    private Selector writable;
    private final Map<String, Object> session;
    private volatile IOException broken;

    private EngineClient(SocketChannel channel, Limits limits) throws IOException {
        this.channel = channel;
        this.limits = limits;
        this.in = new FrameAccumulator(limits);
        this.session = new LinkedHashMap<>();
        channel.configureBlocking(false);
        this.readable = Selector.open();
        channel.register(readable, SelectionKey.OP_READ);
    }

    /**
     * The reply to one frame. {@link #get(long, TimeUnit)} and {@link #get()} read the socket
     * while no other caller does, so a reply is only ever awaited through them (dependent
     * stages such as {@code thenApply} complete once some caller has read it).
     */
    /** The longest an agent waits for a call held for approval, whatever the engine says: one hour. */
    public static final long MAX_HOLD_MS = 3_600_000L;

    public final class Reply extends CompletableFuture<Frame> {
        /** The thread waiting for this reply, to unpark when it completes. */
        private volatile Thread waiter;
        /** Epoch millis until which the engine holds this call for an approval (a HELD frame), or 0. */
        private volatile long heldUntil;
        /** The approval a HELD frame named, or null. */
        private volatile String approval;

        /** The approval this call was held for, or null when it was not held. */
        public String approval() {
            return approval;
        }

        @Override
        public boolean complete(Frame value) {
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
        @Override
        public Frame get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
            long deadline = System.nanoTime() + unit.toNanos(timeout);
            while (true) {
                await(this, deadline);
                long held = heldUntil;
                if (isDone() || held == 0) {
                    break;
                }
                // held for a person: wait until the engine's deadline for it (and a little for the DECISION to travel)
                long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(held - System.currentTimeMillis() + 5000);
                if (until <= deadline) {
                    break;
                }
                deadline = until;
            }
            return super.get(0, TimeUnit.NANOSECONDS);
        }

        @Override
        public Frame get() throws InterruptedException, ExecutionException {
            try {
                return get(Long.MAX_VALUE / 4, TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                throw new ExecutionException(e);
            }
        }

        @Override
        public Frame join() {
            try {
                return get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.util.concurrent.CompletionException(e);
            } catch (ExecutionException e) {
                throw new java.util.concurrent.CompletionException(e.getCause());
            }
        }
    }

    /**
     * Connects and says hello, declaring a name (the engine records how it knows who this is:
     * peer credentials on a Unix socket, or nothing but the name over TCP).
     *
     * @param name  the agent's declared name
     * @param attrs extra hello fields (pid is added here)
     * @throws SessionRefused when the engine refuses the session (e.g. it requires an identity)
     */
    public static EngineClient connect(EngineAddress address, String name, Map<String, Object> attrs, long timeoutMs)
            throws IOException {
        return open(address, name, attrs, timeoutMs, null);
    }

    /**
     * Connects, says hello with the authenticator's DID and delegation chain, and answers the
     * engine's challenge (see {@link Handshake}). Fails when the engine does not challenge: an
     * identity the engine never checked would be recorded as if it had been.
     *
     * @throws SessionRefused when the engine refuses the identity or the handshake; {@link SessionRefused#code()}
     *                        says why ({@code unknown-agent}, {@code revoked}, {@code expired}, ...)
     */
    public static EngineClient connect(EngineAddress address, String name, Map<String, Object> attrs, long timeoutMs,
                                       Authenticator auth) throws IOException {
        Objects.requireNonNull(auth, "auth");
        return open(address, name, attrs, timeoutMs, auth);
    }

    private static EngineClient open(EngineAddress address, String name, Map<String, Object> attrs, long timeoutMs,
                                     Authenticator auth) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("protocol", (long) Frame.VERSION);
        body.put("name", name);
        body.put("pid", ProcessHandle.current().pid());
        if (attrs != null) {
            body.putAll(attrs);
        }
        if (auth != null) {
            body.put("did", auth.did());
            if (!auth.chain().isEmpty()) {
                body.put("chain", auth.chain());
            }
        }
        Hello hello = Hello.parse(body); // a HELLO the engine would refuse fails here, before connecting
        SocketChannel ch = address.connect();
        EngineClient c;
        try {
            c = new EngineClient(ch, Limits.DEFAULT);
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        try {
            Frame reply = c.call(FrameType.HELLO, hello.toBody()).get(remaining(deadline), TimeUnit.NANOSECONDS);
            if (auth != null && reply.type() == FrameType.CHALLENGE) {
                reply = c.call(FrameType.AUTH, answer(reply, auth)).get(remaining(deadline), TimeUnit.NANOSECONDS);
            } else if (auth != null && reply.type() == FrameType.HELLO_OK) {
                throw new IOException("the engine accepted " + auth.did() + " without challenging it (an engine without identity "
                        + "support?); refusing a session whose identity was never checked");
            }
            if (reply.type() == FrameType.ERROR) {
                throw new SessionRefused(String.valueOf(reply.body().get("code")), String.valueOf(reply.body().get("message")));
            }
            if (reply.type() != FrameType.HELLO_OK) {
                throw new IOException("engine answered the hello with " + reply.type());
            }
            c.session.putAll(reply.body());
            return c;
        } catch (ExecutionException e) {
            c.close();
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (TimeoutException e) {
            c.close();
            throw new IOException("engine did not complete the hello within " + timeoutMs + " ms");
        } catch (InterruptedException e) {
            c.close();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while connecting to the engine");
        } catch (IOException e) {
            c.close();
            throw e;
        }
    }

    private static long remaining(long deadline) {
        return Math.max(0, deadline - System.nanoTime());
    }

    /** The AUTH body for a CHALLENGE; refuses a challenge that is not the documented shape. */
    private static Map<String, Object> answer(Frame challenge, Authenticator auth) throws IOException {
        Object nonce = challenge.body().get("nonce");
        Object engine = challenge.body().get("engine");
        if (!(nonce instanceof String n) || Handshake.decode(n) == null || Handshake.decode(n).length != Handshake.NONCE_BYTES) {
            throw new IOException("engine sent a malformed challenge: nonce must be " + Handshake.NONCE_BYTES + " bytes in base64url");
        }
        if (!(engine instanceof String e) || e.isEmpty() || e.length() > 256) {
            throw new IOException("engine sent a malformed challenge: engine must be a non-empty string");
        }
        long time = System.currentTimeMillis();
        byte[] signature;
        try {
            signature = auth.sign(Handshake.message(n, e, auth.did(), time));
        } catch (RuntimeException x) {
            throw new IOException("signing the engine's challenge failed: " + x.getMessage(), x);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("did", auth.did());
        body.put("nonce", n);
        body.put("time", time);
        body.put("signature", Handshake.encode(signature));
        return body;
    }

    /** What the engine said in HELLO_OK: engine id, policy version, session number. */
    public Map<String, Object> session() {
        return Map.copyOf(session);
    }

    /** Sends a frame and returns its reply; wait for it with {@link Reply#get(long, TimeUnit)}. */
    public Reply call(FrameType type, Map<String, Object> body) {
        Reply f = new Reply();
        IOException b = broken;
        if (b != null) {
            f.completeExceptionally(b);
            return f;
        }
        long id = ids.incrementAndGet();
        pending.put(id, f);
        writeLock.lock();
        try {
            sink.reset();
            FrameCodec.encode(new Frame(type, id, body), limits, sink);
            write(sink.toByteBuffer());
        } catch (IOException e) {
            fail(e);
        } catch (RuntimeException e) {
            pending.remove(id);
            f.completeExceptionally(e);
        } finally {
            writeLock.unlock();
        }
        // A concurrent failure may have drained pending before our put: never leave f hanging.
        if (broken != null && pending.remove(id) != null) {
            f.completeExceptionally(broken);
        }
        return f;
    }

    /** Writes all of buf; waits (bounded) while the socket's buffer is full, i.e. the engine is not reading. */
    private void write(ByteBuffer buf) throws IOException {
        long deadline = 0;
        while (buf.hasRemaining()) {
            if (channel.write(buf) > 0) {
                continue;
            }
            if (deadline == 0) {
                deadline = System.nanoTime() + WRITE_STALL_NANOS;
                if (writable == null) {
                    writable = Selector.open();
                    channel.register(writable, SelectionKey.OP_WRITE);
                }
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new IOException("the engine has not read for " + TimeUnit.NANOSECONDS.toMillis(WRITE_STALL_NANOS) + " ms");
            }
            writable.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            writable.selectedKeys().clear();
        }
    }

    private static final long WRITE_STALL_NANOS = TimeUnit.SECONDS.toNanos(10);

    /**
     * Returns when r is complete or the deadline has passed. The first waiting caller reads the
     * socket for everyone (completing whatever replies arrive); the others wait to be completed,
     * or to take over the reading when the reader got its own reply and stepped down.
     */
    void await(Reply r, long deadline) throws InterruptedException {
        r.waiter = Thread.currentThread();
        while (!r.isDone()) {
            if (reading.tryLock()) {
                try {
                    lead(r, deadline);
                } finally {
                    reading.unlock();
                    handOver();
                }
                return;
            }
            // Queued before looking at the lock again: a reader that steps down after this look
            // finds us in the queue and unparks us, so no wake-up is lost.
            waiting.add(r);
            try {
                if (r.isDone() || !reading.isLocked()) {
                    continue;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                LockSupport.parkNanos(this, left);
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
            } finally {
                waiting.remove(r);
            }
            if (deadline - System.nanoTime() <= 0) {
                return;
            }
        }
    }

    /** The reader stepped down: the first caller still waiting reads next. */
    private void handOver() {
        for (Reply w; (w = waiting.peek()) != null; ) {
            if (!w.isDone()) {
                LockSupport.unpark(w.waiter);
                return;
            }
            waiting.remove(w);
        }
    }

    /** Reads frames until r is complete, the deadline passes or the connection breaks. */
    private void lead(Reply r, long deadline) throws InterruptedException {
        // A reply cannot be there microseconds after its request was written: wait for the
        // socket first instead of a read that finds nothing (one system call per call saved).
        boolean wait = !in.partial();
        try {
            while (!r.isDone()) {
                Frame frame = in.next();
                if (frame != null) {
                    dispatch(frame);
                    continue;
                }
                int n = wait ? 0 : in.readFrom(channel);
                wait = false;
                if (n < 0) {
                    throw new IOException("engine closed the connection");
                }
                if (n > 0) {
                    continue;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
                // select's timeout is in ms, at least 1: a shorter wait would spin
                readable.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left + 999_999)));
                readable.selectedKeys().clear();
            }
        } catch (IOException e) {
            fail(e);
        } catch (java.nio.channels.ClosedSelectorException e) {
            fail(new IOException("connection closed"));
        }
    }

    private void dispatch(Frame frame) throws IOException {
        if (frame.type() == FrameType.HELD) {
            Reply held = pending.get(frame.id());
            if (held != null && frame.body().get("until") instanceof Long until) {
                held.approval = frame.body().get("approval") instanceof String a ? a : null;
                held.heldUntil = Math.min(until, System.currentTimeMillis() + MAX_HOLD_MS); // a bound the engine cannot stretch
            }
            return;
        }
        Reply f = pending.remove(frame.id());
        if (f != null) {
            f.complete(frame); // unparks its caller
        } else if (frame.type() == FrameType.ERROR) {
            // an error for no particular request: the engine is about to close on us
            throw new IOException("engine error: " + frame.body().get("message"));
        }
    }

    private static Decision decision(Frame frame) {
        try {
            if (frame.type() == FrameType.ERROR) {
                return Decision.failure(Reasons.REFUSED, "engine refused the request: " + frame.body().get("message"));
            }
            if (frame.type() != FrameType.DECISION) {
                return Decision.failure(Reasons.BAD_REPLY, "engine answered " + frame.type() + ": " + frame.body().get("message"));
            }
            return Decision.fromBody(frame.body());
        } catch (ProtocolException e) {
            return Decision.failure(Reasons.BAD_REPLY, e.getMessage());
        }
    }

    /**
     * Reports what the agent finally did with a call (see {@link Outcome}) and waits for the
     * engine to log it. Returns the audit sequence number of the outcome's entry; throws
     * {@link OutcomeRefused} when the engine refused it or could not log it, the connection's
     * IOException, or TimeoutException. Agents report through an {@link OutcomeSpool}, which
     * keeps what could not be delivered; this is the plain frame.
     */
    public long outcome(Outcome o, long timeoutMs) throws IOException, TimeoutException, InterruptedException {
        return deliver(OutcomeDelivery.live(o), timeoutMs);
    }

    /** Sends one OUTCOME frame and waits for its acknowledgement (the spool marks late deliveries and gaps). */
    long deliver(OutcomeDelivery d, long timeoutMs) throws IOException, TimeoutException, InterruptedException {
        Frame frame;
        try {
            frame = call(FrameType.OUTCOME, d.toBody()).get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r; // the frame could not be encoded: it never will be
            }
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        }
        Object seq = frame.body().get("seq");
        if (frame.type() == FrameType.OUTCOME_ACK && seq instanceof Long s && s >= 0) {
            return s;
        }
        if (frame.type() == FrameType.ERROR) {
            throw new OutcomeRefused(String.valueOf(frame.body().get("code")), String.valueOf(frame.body().get("message")));
        }
        throw new OutcomeRefused(Reasons.BAD_REPLY, "engine answered an OUTCOME with " + frame.type()
                + (frame.type() == FrameType.OUTCOME_ACK ? " without a sequence number" : ""));
    }

    /**
     * Decides synchronously. Never throws and never allows on failure: an unreachable engine,
     * a timeout or a bad reply each become a denial with its reason code.
     */
    public Decision decide(Request request, long timeoutMs) {
        try {
            return decision(call(FrameType.DECIDE, request.toBody()).get(timeoutMs, TimeUnit.MILLISECONDS));
        } catch (TimeoutException e) {
            return Decision.failure(Reasons.TIMEOUT, "engine did not answer within " + timeoutMs + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Decision.failure(Reasons.ENGINE_UNREACHABLE, "interrupted while waiting for the engine");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IllegalArgumentException tooBig) {
                // the request could not be put in a frame (too large, too many fields): the engine is
                // fine, so this is no reason for fail-open to let the call through
                return Decision.failure(Reasons.UNBUILDABLE_REQUEST, "the request cannot be sent: " + tooBig.getMessage());
            }
            return Decision.failure(Reasons.ENGINE_UNREACHABLE, "engine connection failed: " + e.getCause().getMessage());
        }
    }

    public boolean isBroken() {
        return broken != null;
    }

    /** Why the connection broke, or null while it works. */
    public String brokenReason() {
        IOException b = broken;
        return b == null ? null : String.valueOf(b.getMessage());
    }

    private void fail(IOException e) {
        if (broken == null) {
            broken = e;
        }
        for (Long id : pending.keySet()) {
            Reply f = pending.remove(id);
            if (f != null) {
                f.completeExceptionally(broken);
            }
        }
        try {
            channel.close();
            readable.close();
            if (writable != null) {
                writable.close();
            }
        } catch (IOException ignored) {
            // already failing; the first cause is what callers see
        }
        handOver();
    }

    @Override
    public void close() {
        fail(new IOException("client closed"));
    }
}
