package dev.agt.engine.server;

import dev.agt.audit.AuditSink;
import dev.agt.engine.policy.Agent;
import dev.agt.engine.session.DecisionOwners;
import dev.agt.engine.session.SessionIdentity;
import dev.agt.protocol.ByteSink;
import dev.agt.protocol.Frame;
import dev.agt.protocol.FrameAccumulator;
import dev.agt.protocol.FrameCodec;
import dev.agt.protocol.FrameType;
import dev.agt.protocol.Limits;
import dev.agt.protocol.ProtocolException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One peer's connection, served by one thread that does everything for it: read what has
 * arrived, decide every whole frame in it, write their audit entries as one group commit, then
 * write all their replies with one call. There is no hand-off to another thread on the way,
 * because on two cores each hand-off (a thread wake-up) cost about as much as the decision.
 *
 * <p>Only this thread ever writes to this socket: when another connection's thread writes our
 * entries as part of its group commit, it merely queues our replies, and we send them when our
 * own commit returns. So a peer that does not read its replies stalls only its own thread. A
 * frame that breaks the protocol closes this connection only.
 */
final class Connection {
    /** Entries are committed at least every this many requests, so a huge read cannot queue without bound. */
    static final int MAX_BATCH = 256;

    final long number;
    final SocketChannel channel;
    final String peerUser;
    /** The peer's primary group as SO_PEERCRED names it ("" over TCP). */
    final String peerGroup;
    final boolean unix;
    private final Engine engine;
    private final FrameAccumulator frames = new FrameAccumulator(Limits.DEFAULT);
    private final Object outLock = new Object();
    /** Replies queued and not yet written; guarded by outLock. */
    private final ByteSink out = new ByteSink(4096);
    private final List<Map<String, Object>> staged = new ArrayList<>();
    private final List<AuditSink.Completion> stagedDone = new ArrayList<>();
    private volatile Agent agent;
    private volatile SessionIdentity identity;
    private volatile boolean adminOnly;
    /** A HELLO that named a DID, waiting for its AUTH; this connection's thread only. */
    private SessionAdmission.Pending pending;
    private volatile long declaredPid = -1;
    private volatile String mode = "enforce";
    /** The session-label lineage this session belongs to (its own, or its parent process's). */
    private volatile String lineage;
    /** The agent process this session speaks for, as its decisions are recorded (DecisionOwners); set with the session. */
    private volatile DecisionOwners.Owner owner;
    /** Outcomes of this session whose decision had to be read back from the log; this connection's thread only. */
    int lookups;
    private volatile boolean stopReading;
    private volatile boolean closed;
    private Thread thread;

    Connection(Engine engine, long number, SocketChannel channel, String peerUser, String peerGroup, boolean unix) {
        this.engine = engine;
        this.number = number;
        this.channel = channel;
        this.peerUser = peerUser;
        this.peerGroup = peerGroup;
        this.unix = unix;
    }

    void start() {
        thread = new Thread(this::run, "agt-conn-" + number);
        thread.setDaemon(true);
        thread.start();
    }

    Agent agent() {
        return agent;
    }

    long declaredPid() {
        return declaredPid;
    }

    /**
     * The session is established.
     *
     * @param a         the identity as the session began (status and session-start); decisions
     *                  resolve it against the registry in force
     * @param adminOnly an {@code admin: true} session: admin frames only, never DECIDE
     */
    void hello(SessionIdentity id, Agent a, long pid, String mode, boolean adminOnly) {
        this.identity = id;
        this.adminOnly = adminOnly;
        this.declaredPid = pid;
        this.mode = mode;
        this.agent = a;
    }

    DecisionOwners.Owner owner() {
        return owner;
    }

    void owner(DecisionOwners.Owner o) {
        this.owner = o;
    }

    SessionIdentity identity() {
        return identity;
    }

    boolean adminOnly() {
        return adminOnly;
    }

    SessionAdmission.Pending pending() {
        return pending;
    }

    void pending(SessionAdmission.Pending p) {
        this.pending = p;
    }

    /** The agent's declared enforcement mode: in monitor mode its denials are logged but not enforced. */
    String lineage() {
        return lineage;
    }

    void lineage(String l) {
        lineage = l;
    }

    String mode() {
        return mode;
    }

    private void run() {
        String why = "peer closed the connection";
        try {
            while (!stopReading) {
                int n = frames.readFrom(channel);
                if (n < 0) {
                    why = frames.partial() ? "peer closed the connection inside a frame" : "peer closed the connection";
                    break;
                }
                try {
                    for (Frame f; !stopReading && (f = frames.next()) != null; ) {
                        engine.dispatch(this, f);
                        if (staged.size() >= MAX_BATCH) {
                            commitStaged();
                        }
                    }
                } finally {
                    commitStaged();
                }
            }
        } catch (ProtocolException e) {
            why = e.getMessage();
            engine.protocolError(this, e);
            send(new Frame(FrameType.ERROR, 0, Map.of("code", e.code(), "message", e.getMessage())));
        } catch (IOException e) {
            why = closed ? "closed by the engine" : "read failed: " + e.getMessage();
        }
        close();
        engine.connectionEnded(this, why);
    }

    /** Queues a decision's audit entry; it is written with the others of the same read. */
    void stage(Map<String, Object> entry, AuditSink.Completion done) {
        staged.add(entry);
        stagedDone.add(done);
    }

    private void commitStaged() {
        if (staged.isEmpty()) {
            return;
        }
        List<Map<String, Object>> e = new ArrayList<>(staged);
        List<AuditSink.Completion> d = new ArrayList<>(stagedDone);
        staged.clear();
        stagedDone.clear();
        engine.commit(e, d); // returns once every entry is written and its reply queued
        flush();
    }

    /** Sends one frame now (this connection's thread only). */
    void send(Frame f) {
        queue(f);
        flush();
    }

    /** Adds a reply to the outgoing bytes; any thread (group-commit completions). */
    void queue(Frame f) {
        synchronized (outLock) {
            FrameCodec.encode(f, Limits.DEFAULT, out);
        }
    }

    /**
     * Writes one decision's entry and sends its reply from another thread than this connection's
     * (a call held for approval, decided later): written, then answered, like every decision.
     */
    void decideLater(Map<String, Object> entry, AuditSink.Completion done) {
        engine.commit(List.of(entry), List.of(done)); // returns once the entry is written and its reply queued
        flush();
    }

    private final Object writeLock = new Object();

    /** Writes every queued reply (this connection's thread, or a held call's decision). */
    private void flush() {
        synchronized (writeLock) {
            flushLocked();
        }
    }

    private void flushLocked() {
        ByteBuffer buf;
        synchronized (outLock) {
            if (out.size() == 0) {
                return;
            }
            // copied out so that completions on other threads never wait for this socket
            buf = ByteBuffer.wrap(out.toByteArray());
            out.reset();
        }
        try {
            while (buf.hasRemaining()) {
                channel.write(buf);
            }
        } catch (IOException e) {
            close(); // the peer is gone; its undelivered decisions are already logged
        }
    }

    /**
     * Refuses the peer: sends an error for {@code id}, reads no further frame, and closes once
     * the replies still owed are out.
     */
    void refuse(long id, String code, String message) {
        engine.log("connection " + number + ": " + code + ": " + message);
        commitStaged();
        send(new Frame(FrameType.ERROR, id, Map.of("code", code, "message", message)));
        stopReading = true;
    }

    /** Stops taking requests (engine shutdown); requests already read are still answered. */
    void stopReading() {
        stopReading = true;
        try {
            channel.shutdownInput();
        } catch (IOException ignored) {
            // already closed
        }
    }

    /** Waits until the thread has answered every request it took and closed. */
    void awaitEnd(long millis) throws InterruptedException {
        Thread t = thread;
        if (t != null) {
            t.join(millis);
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
