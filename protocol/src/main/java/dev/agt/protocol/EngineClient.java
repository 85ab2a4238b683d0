package dev.agt.protocol;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A pipelined connection to the engine. Many threads share one connection: each request gets
 * an id, writes are serialized, and one reader thread completes the matching future, so replies
 * may arrive in any order. When the connection breaks, every pending call fails at once; the
 * caller turns that into a denial (fail closed). A broken client stays broken: make a new one.
 */
public final class EngineClient implements AutoCloseable {
    private final SocketChannel channel;
    private final Limits limits;
    private final AtomicLong ids = new AtomicLong();
    private final ConcurrentHashMap<Long, CompletableFuture<Frame>> pending = new ConcurrentHashMap<>();
    private final ReentrantLock writeLock = new ReentrantLock();
    private final ByteSink sink = new ByteSink(512);
    private final Thread reader;
    private final Map<String, Object> session;
    private volatile IOException broken;

    private EngineClient(SocketChannel channel, Limits limits) {
        this.channel = channel;
        this.limits = limits;
        this.reader = new Thread(this::readLoop, "agt-engine-reader");
        this.reader.setDaemon(true);
        this.session = new LinkedHashMap<>();
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
        EngineClient c = new EngineClient(ch, Limits.DEFAULT);
        c.reader.start();
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

    /** Sends a frame and returns the future of its reply. */
    public CompletableFuture<Frame> call(FrameType type, Map<String, Object> body) {
        CompletableFuture<Frame> f = new CompletableFuture<>();
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
            ByteBuffer buf = sink.toByteBuffer();
            while (buf.hasRemaining()) {
                channel.write(buf);
            }
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

    public CompletableFuture<Decision> decide(Request request) {
        return call(FrameType.DECIDE, request.toBody()).thenApply(frame -> {
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
        });
    }

    /**
     * Reports what the agent finally did with a call (see {@link Outcome}). Completes with the
     * audit sequence number of the outcome's entry once the engine has logged it; exceptionally
     * with {@link OutcomeRefused} when the engine refused it or could not log it, or with the
     * connection's IOException. Agents report through an {@link OutcomeSpool}, which keeps what
     * could not be delivered; this is the plain frame.
     */
    public CompletableFuture<Long> outcome(Outcome o) {
        return deliver(OutcomeDelivery.live(o));
    }

    /** Sends one OUTCOME frame (the spool marks late deliveries and gaps). */
    CompletableFuture<Long> deliver(OutcomeDelivery d) {
        return call(FrameType.OUTCOME, d.toBody()).thenCompose(frame -> {
            CompletableFuture<Long> r = new CompletableFuture<>();
            Object seq = frame.body().get("seq");
            if (frame.type() == FrameType.OUTCOME_ACK && seq instanceof Long s && s >= 0) {
                r.complete(s);
            } else if (frame.type() == FrameType.ERROR) {
                r.completeExceptionally(new OutcomeRefused(String.valueOf(frame.body().get("code")), String.valueOf(frame.body().get("message"))));
            } else {
                r.completeExceptionally(new OutcomeRefused(Reasons.BAD_REPLY, "engine answered an OUTCOME with " + frame.type()
                        + (frame.type() == FrameType.OUTCOME_ACK ? " without a sequence number" : "")));
            }
            return r;
        });
    }

    /**
     * Decides synchronously. Never throws and never allows on failure: an unreachable engine,
     * a timeout or a bad reply each become a denial with its reason code.
     */
    public Decision decide(Request request, long timeoutMs) {
        try {
            return decide(request).get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return Decision.failure(Reasons.TIMEOUT, "engine did not answer within " + timeoutMs + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Decision.failure(Reasons.ENGINE_UNREACHABLE, "interrupted while waiting for the engine");
        } catch (ExecutionException e) {
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

    private void readLoop() {
        try {
            while (true) {
                Frame frame = FrameCodec.read(channel, limits);
                if (frame == null) {
                    throw new IOException("engine closed the connection");
                }
                CompletableFuture<Frame> f = pending.remove(frame.id());
                if (f != null) {
                    f.complete(frame);
                } else if (frame.type() == FrameType.ERROR) {
                    // an error for no particular request: the engine is about to close on us
                    throw new IOException("engine error: " + frame.body().get("message"));
                }
            }
        } catch (IOException e) {
            fail(e);
        }
    }

    private void fail(IOException e) {
        if (broken == null) {
            broken = e;
        }
        for (Long id : pending.keySet()) {
            CompletableFuture<Frame> f = pending.remove(id);
            if (f != null) {
                f.completeExceptionally(broken);
            }
        }
        try {
            channel.close();
        } catch (IOException ignored) {
            // already failing; the first cause is what callers see
        }
    }

    @Override
    public void close() {
        fail(new IOException("client closed"));
    }
}
