package dev.agt.engine.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agt.audit.AuditSink;
import dev.agt.audit.entry.OutcomeEntry;
import dev.agt.audit.entry.OutcomeEvent;
import dev.agt.audit.log.AuditLog;
import dev.agt.audit.note.NoteKeys;
import dev.agt.engine.mcp.McpFacts;
import dev.agt.engine.mcp.ToolPins;
import dev.agt.engine.policy.Agent;
import dev.agt.engine.policy.Delegated;
import dev.agt.engine.policy.Evaluator;
import dev.agt.engine.policy.Fact;
import dev.agt.engine.policy.Policy;
import dev.agt.engine.policy.PolicyException;
import dev.agt.engine.policy.PolicyLoader;
import dev.agt.config.Problem;
import dev.agt.engine.policy.RateLimiter;
import dev.agt.engine.policy.Scopes;
import dev.agt.engine.session.AuthMode;
import dev.agt.engine.session.DecisionOwners;
import dev.agt.engine.session.KillSwitch;
import dev.agt.engine.session.RecentNonces;
import dev.agt.engine.session.SessionIdentity;
import dev.agt.identity.Delegation;
import dev.agt.identity.DelegationToken;
import dev.agt.identity.DidKey;
import dev.agt.identity.IdentityException;
import dev.agt.identity.Registry;
import dev.agt.protocol.AdminRequest;
import dev.agt.protocol.Family;
import dev.agt.protocol.Handshake;
import dev.agt.protocol.Hello;
import dev.agt.protocol.Decision;
import dev.agt.protocol.Frame;
import dev.agt.protocol.FrameType;
import dev.agt.protocol.Outcome;
import dev.agt.protocol.OutcomeDelivery;
import dev.agt.protocol.ProtocolException;
import dev.agt.protocol.Reasons;
import dev.agt.protocol.Request;
import dev.agt.protocol.Vocabulary;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The policy engine process: listens on a Unix socket (and optionally loopback TCP), holds the
 * policy in force, decides each request, and replies only after the decision is in the audit
 * log. Evaluation runs on the connection's reader thread against an immutable policy taken
 * from an atomic reference, so there is no global lock on the decision path; a reload swaps the
 * reference. Every failure on the way denies (fail closed).
 */
public final class Engine implements AutoCloseable {
    static final int MAX_CONNECTIONS = 1024;
    /**
     * How many times one session may have the decision an outcome follows read back from the log
     * (decisions made before this engine started, or too long ago for {@link DecisionOwners}): a
     * read may cost a pass over a segment, and a session could otherwise ask for one per frame.
     */
    static final int MAX_LOG_LOOKUPS = 64;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final EngineConfig config;
    private final PrintStream log;
    private final String engineId;
    private final String engineUser = System.getProperty("user.name");
    private final AtomicReference<Policy> policy = new AtomicReference<>();
    private final Evaluator evaluator = new Evaluator(new RateLimiter(RateLimiter.DEFAULT_MAX_BUCKETS, System::nanoTime));
    private final Counters counters = new Counters();
    private final Map<Long, Connection> connections = new ConcurrentHashMap<>();
    private final AtomicLong connectionIds = new AtomicLong();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final List<ServerSocketChannel> listeners = new ArrayList<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicReference<Registry> registry = new AtomicReference<>(Registry.empty());
    private final RecentNonces nonces = new RecentNonces();
    private final long startedNanos = System.nanoTime();
    private final Instant startedAt = Instant.now();
    private AuditSink audit;
    private McpFacts mcp;
    /** Whose each recent decision is: an outcome may follow only its own agent's decisions. */
    private DecisionOwners owners;
    private KillSwitch kills;
    /** The last kill switch problem reported, so a broken file is reported once, not per request. */
    private volatile String reportedKillProblem;
    /** The last state problem written to the engine's output, so a broken store is reported once, not per request. */
    private volatile String reportedStateProblem;
    private PolicyWatcher watcher;
    private MetricsServer metrics;
    private volatile boolean shuttingDown;
    private volatile boolean closed;
    /** Set once this engine has bound the socket: only then is the socket file its to remove. */
    private volatile boolean boundSocket;

    /** Opens the audit sink; a seam for tests that need a log that fails. */
    interface SinkFactory {
        AuditSink open(EngineConfig config) throws IOException;
    }

    private final SinkFactory sinkFactory;

    public Engine(EngineConfig config, PrintStream log) {
        this(config, log, Engine::openLog);
    }

    /**
     * Opens the signed log with the configured key. Without --key, a key is created beside the
     * audit directory on the first start and reused after.
     */
    static AuditSink openLog(EngineConfig c) throws IOException {
        Path keyFile = c.keyFile();
        if (c.key() == null && !Files.exists(keyFile)) {
            String name = "agt-engine-" + java.net.InetAddress.getLocalHost().getHostName().replaceAll("[^A-Za-z0-9.-]", "-");
            NoteKeys.write(NoteKeys.generate(name), keyFile, EngineConfig.defaultPublicKey(c.auditDir()));
            System.err.println("agt engine: created the log signing key " + keyFile + "; reviewers pin "
                    + EngineConfig.defaultPublicKey(c.auditDir()));
        }
        NoteKeys.Signer signer = NoteKeys.readSigner(keyFile);
        return AuditLog.open(AuditLog.Options.defaults(c.auditDir(), signer, c.fsync(), c.witness()));
    }

    Engine(EngineConfig config, PrintStream log, SinkFactory sinkFactory) {
        this.sinkFactory = sinkFactory;
        this.config = config;
        this.log = log;
        byte[] id = new byte[8];
        new SecureRandom().nextBytes(id);
        this.engineId = "agt-engine-" + HexFormat.of().formatHex(id);
    }

    /**
     * Loads the policy, opens the audit log and starts listening.
     *
     * @throws PolicyException   when the policy is invalid: the engine refuses to start
     * @throws IdentityException when the agent registry is invalid: the engine refuses to start
     */
    public void start() throws PolicyException, IOException, IdentityException {
        Policy p = PolicyLoader.load(config.policy(), config.vars());
        // Before anything is created or written: one engine per audit directory (two would
        // interleave sequence numbers and break the chain), and no start on a socket in use.
        if (config.socket() != null) {
            SocketBinder.refuseIfServed(config.socket());
        }
        lockAuditDir();
        policy.set(p);
        Registry reg = Registry.read(config.registryFile());
        registry.set(reg);
        audit = sinkFactory.open(config);
        if (audit instanceof AuditLog al) {
            AuditLog.Recovery r = al.recovery();
            if (r.tornBytesRemoved() > 0 || r.entries() > r.checkpointSize()) {
                // the previous run did not stop cleanly: say what was found and repaired
                audit.appendAndWait(event("log-recovered", Map.of("entries", r.entries(), "torn_bytes_removed", r.tornBytesRemoved(),
                        "checkpoint_size", r.checkpointSize(), "checkpoint_matched", r.checkpointMatched())));
                if (r.tornBytesRemoved() > 0) {
                    log("recovered the audit log: removed a torn record of " + r.tornBytesRemoved() + " bytes");
                }
            }
        }
        kills = new KillSwitch(config.stateDirectory());
        Map<String, Object> startEvent = new LinkedHashMap<>();
        startEvent.put("engine", engineId);
        startEvent.put("policy", p.version());
        startEvent.put("policy_file", config.policy().toString());
        startEvent.put("rules", (long) p.rules().size());
        startEvent.put("policy_mode", p.mode().key());
        startEvent.put("state_dir", config.stateDirectory().toString());
        startEvent.put("auth", config.auth().key());
        startEvent.put("registry", config.registryFile().toString());
        startEvent.put("registry_agents", (long) reg.entries().size());
        try {
            startEvent.put("kill", kills.state().toMap());
        } catch (KillSwitch.Unavailable e) {
            startEvent.put("kill_problem", e.getMessage());
        }
        audit.appendAndWait(event("engine-start", startEvent));
        owners = new DecisionOwners(DecisionOwners.DEFAULT_CAPACITY, audit.nextSeq());
        if (kills.problem() != null) {
            killProblem(kills.problem());
        }
        if (config.auth() == AuthMode.REQUIRED && reg.entries().stream().noneMatch(e -> !e.revoked())) {
            log("auth: required, and the agent registry " + config.registryFile() + " holds no active agent: no agent can connect"
                    + " until one is registered ('agt identity create NAME --registry " + config.registryFile() + "')");
        }
        mcp = new McpFacts(new ToolPins(config.stateDirectory()));
        if (mcp.pins().problem() != null) {
            // the engine still serves every other family; mcp requests deny until the store is usable
            stateProblem(mcp.pins().problem());
        }
        if (config.socket() != null) {
            ServerSocketChannel s = SocketBinder.bind(config.socket(), config.group());
            boundSocket = true;
            listeners.add(s);
            startAcceptor(s, true);
        }
        if (config.tcp() != null) {
            listeners.add(bindTcp(config.tcp()));
            startAcceptor(listeners.get(listeners.size() - 1), false);
        }
        if (config.metricsPort() > 0) {
            metrics = new MetricsServer(this, config.metricsPort());
        }
        if (config.watch()) {
            watcher = new PolicyWatcher(this);
            watcher.watch(p.files());
            watcher.watchRegistry(config.registryFile());
        }
    }

    /** The one-line start-up summary (contains {@code ready}). */
    public String readyLine() {
        Policy p = policy.get();
        StringBuilder b = new StringBuilder("agt engine ready:");
        if (config.socket() != null) {
            b.append(" socket=").append(config.socket());
        }
        if (config.tcp() != null) {
            b.append(" tcp=").append(config.tcp());
        }
        b.append(" policy=").append(p.version(), 0, 12).append(" rules=").append(p.rules().size())
                .append(" audit=").append(config.auditDir()).append(" fsync=").append(config.fsync().name().toLowerCase())
                .append(" auth=").append(config.auth().key()).append(" agents=").append(registry.get().entries().size())
                .append(" mode=").append(p.mode().key());
        if (metrics != null) {
            b.append(" metrics=http://127.0.0.1:").append(metrics.port()).append("/metrics");
        }
        return b.toString();
    }

    private ServerSocketChannel bindTcp(String spec) throws IOException {
        int colon = spec.lastIndexOf(':');
        if (colon <= 0) {
            throw new IOException("--tcp takes HOST:PORT, got '" + spec + "'");
        }
        InetAddress host = InetAddress.getByName(spec.substring(0, colon));
        if (!host.isLoopbackAddress()) {
            throw new IOException("--tcp must be a loopback address (the engine speaks no TLS); got " + host.getHostAddress());
        }
        ServerSocketChannel s = ServerSocketChannel.open();
        s.bind(new InetSocketAddress(host, Integer.parseInt(spec.substring(colon + 1))), 512);
        return s;
    }

    private void startAcceptor(ServerSocketChannel server, boolean unix) {
        Thread t = new Thread(() -> {
            while (!shuttingDown) {
                try {
                    SocketChannel ch = server.accept();
                    if (connections.size() >= MAX_CONNECTIONS) {
                        log("refusing a connection: " + MAX_CONNECTIONS + " already open");
                        ch.close();
                        continue;
                    }
                    String user = "";
                    if (unix) {
                        user = ch.getOption(jdk.net.ExtendedSocketOptions.SO_PEERCRED).user().getName();
                    } else {
                        ch.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
                    }
                    long n = connectionIds.incrementAndGet();
                    Connection c = new Connection(this, n, ch, user, unix);
                    connections.put(n, c);
                    counters.connectionsTotal.increment();
                    c.start();
                } catch (IOException e) {
                    if (!shuttingDown) {
                        log("accept failed: " + e.getMessage());
                    }
                    if (!server.isOpen()) {
                        return;
                    }
                }
            }
        }, unix ? "agt-accept-unix" : "agt-accept-tcp");
        t.setDaemon(true);
        t.start();
    }

    /** Handles one frame from a connection's reader thread. */
    void dispatch(Connection c, Frame f) {
        switch (f.type()) {
            case HELLO -> hello(c, f);
            case AUTH -> auth(c, f);
            case DECIDE -> decide(c, f);
            case OUTCOME -> outcome(c, f);
            case STATUS, RELOAD, KILL, REVIVE -> admin(c, f);
            default -> c.refuse(f.id(), Reasons.UNEXPECTED_FRAME, "a peer does not send " + f.type());
        }
    }

    /** A HELLO that named a DID, waiting for the AUTH that answers its challenge. */
    record Pending(String name, long pid, String mode, String did, List<String> chain, String nonce) {
    }

    private void hello(Connection c, Frame f) {
        if (c.agent() != null || c.pending() != null) {
            c.refuse(f.id(), Reasons.HELLO_TWICE, "HELLO was already received on this connection");
            return;
        }
        Hello h;
        try {
            h = Hello.parse(f.body());
        } catch (ProtocolException e) {
            Object name = f.body().get("name"); // for the log entry, when it is a name at all
            refuseSession(c, f.id(), e.code(), e.detail(), name instanceof String n && Hello.NAME.matcher(n).matches() ? n : null,
                    f.body().get("pid") instanceof Long pid ? pid : Hello.NO_PID, null, List.of());
            return;
        }
        String n = h.name();
        long declaredPid = h.pid();
        String mode = h.mode().key();
        if (h.did().isPresent()) {
            String d = h.did().get();
            try {
                DidKey.check(d);
            } catch (IdentityException e) {
                refuseSession(c, f.id(), e.code(), e.getMessage(), n, declaredPid, null, h.chain());
                return;
            }
            Pending p = new Pending(n, declaredPid, mode, d, h.chain(), nonces.issue());
            c.pending(p);
            c.send(new Frame(FrameType.CHALLENGE, f.id(), Map.of("nonce", p.nonce(), "engine", engineId)));
            return;
        }
        boolean admin = h.admin();
        if (!admin && config.auth() == AuthMode.REQUIRED) {
            refuseSession(c, f.id(), Handshake.AUTH_REQUIRED, "this engine requires a proven agent identity (auth: required);"
                    + " start the agent with identity=KEYFILE (see 'agt identity create')", n, declaredPid, null, List.of());
            return;
        }
        SessionIdentity id = SessionIdentity.declared(c.unix ? "local-peercred" : "tcp-declared", n);
        established(c, f, id, declaredPid, mode, admin);
    }

    /** The AUTH that answers this connection's CHALLENGE: the signature, then the identity and its chain. */
    private void auth(Connection c, Frame f) {
        Pending p = c.pending();
        if (p == null) {
            String why = c.agent() != null ? "this session is already established" : "AUTH without a CHALLENGE (send HELLO with did first)";
            refuseSession(c, f.id(), c.agent() != null ? Handshake.REPLAYED : Handshake.BAD_AUTH, why, null, -1, null, List.of());
            return;
        }
        c.pending(null); // one answer per nonce, whatever it is
        Object did = f.body().get("did");
        Object nonce = f.body().get("nonce");
        Object time = f.body().get("time");
        Object signature = f.body().get("signature");
        if (!(did instanceof String) || !(nonce instanceof String n) || !(time instanceof Long t) || !(signature instanceof String sig)) {
            refuseSession(c, f.id(), Handshake.BAD_AUTH, "AUTH needs did, nonce, time (epoch ms) and signature", p.name(), p.pid(), p.did(), p.chain());
            return;
        }
        if (!did.equals(p.did())) {
            refuseSession(c, f.id(), Handshake.DID_MISMATCH, "AUTH names " + clip(did) + " but HELLO named " + p.did(), p.name(), p.pid(),
                    p.did(), p.chain());
            return;
        }
        if (!n.equals(p.nonce())) {
            boolean replay = nonces.issued(n);
            refuseSession(c, f.id(), replay ? Handshake.REPLAYED : Handshake.WRONG_NONCE, replay
                    ? "the AUTH answers a nonce issued to another connection (a replayed handshake)"
                    : "the AUTH answers a nonce this engine did not issue", p.name(), p.pid(), p.did(), p.chain());
            return;
        }
        long now = System.currentTimeMillis();
        if (Math.abs(now - t) > Handshake.WINDOW_MS) {
            refuseSession(c, f.id(), Handshake.CLOCK_SKEW, "AUTH time " + Instant.ofEpochMilli(t) + " is more than "
                    + Handshake.WINDOW_MS / 1000 + " s from the engine's clock (" + Instant.ofEpochMilli(now) + ")", p.name(), p.pid(),
                    p.did(), p.chain());
            return;
        }
        byte[] raw = Handshake.decode(sig);
        boolean good;
        try {
            good = raw != null && DidKey.verify(p.did(), Handshake.message(p.nonce(), engineId, p.did(), t), raw);
        } catch (IdentityException e) {
            good = false; // checked at HELLO; cannot happen
        }
        if (!good) {
            refuseSession(c, f.id(), Handshake.BAD_SIGNATURE, "the AUTH signature is not " + p.did() + "'s over this connection's challenge",
                    p.name(), p.pid(), p.did(), p.chain());
            return;
        }
        SessionIdentity id;
        try {
            Delegation.Verified v = Delegation.verify(p.did(), p.chain(), registry.get(), Instant.ofEpochMilli(now), Scopes.COVER);
            id = SessionIdentity.proven(p.name(), v);
        } catch (IdentityException e) {
            refuseSession(c, f.id(), e.code(), e.getMessage(), p.name(), p.pid(), p.did(), p.chain());
            return;
        } catch (IllegalArgumentException e) {
            refuseSession(c, f.id(), IdentityException.MALFORMED_TOKEN, "a delegation scope holds a bad pattern: " + e.getMessage(),
                    p.name(), p.pid(), p.did(), p.chain());
            return;
        }
        established(c, f, id, p.pid(), p.mode(), false);
    }

    private void established(Connection c, Frame f, SessionIdentity id, long pid, String mode, boolean admin) {
        SessionIdentity.Resolved r = id.resolve(registry.get(), c.peerUser);
        c.hello(id, r.agent(), pid, mode, admin);
        Map<String, Object> ev = new LinkedHashMap<>(agentFields(c));
        c.owner(new DecisionOwners.Owner(c.number, DecisionOwners.principal(ev), r.agent().name()));
        if (admin) {
            ev.put("admin", true);
        }
        record(event("session-start", ev));
        Map<String, Object> ok = new LinkedHashMap<>();
        ok.put("engine", engineId);
        ok.put("policy", policy.get().version());
        ok.put("session", c.number);
        ok.put("auth", id.how());
        id.verified().ifPresent(v -> {
            ok.put("did", v.presented());
            ok.put("root", v.root());
        });
        c.send(new Frame(FrameType.HELLO_OK, f.id(), ok));
    }

    /**
     * Refuses a session and records why: every refused handshake is in the log with its code, the
     * declared name, the peer's user, the DID and what could be read of the chain.
     */
    private void refuseSession(Connection c, long frameId, String code, String reason, String name, long pid, String did, List<String> chain) {
        Map<String, Object> ev = new LinkedHashMap<>();
        ev.put("code", code);
        ev.put("reason", reason);
        if (name != null) {
            ev.put("name", name);
        }
        ev.put("uid", c.peerUser);
        ev.put("pid", pid);
        ev.put("transport", c.unix ? "unix" : "tcp");
        ev.put("connection", c.number);
        if (did != null) {
            ev.put("did", did);
        }
        if (!chain.isEmpty()) {
            List<Object> links = new ArrayList<>();
            for (String t : chain) {
                try {
                    links.add(DelegationToken.parse(t).summary());
                } catch (IdentityException e) {
                    links.add(Map.of("malformed", e.getMessage()));
                }
            }
            ev.put("chain", links);
        }
        record(event("session-refused", ev));
        c.refuse(frameId, code, reason);
    }

    /**
     * The session an agent's frame (DECIDE, OUTCOME) belongs to, or null after refusing the frame:
     * no complete handshake, or an admin session, which {@code adminRefusal} explains.
     */
    private static SessionIdentity agentSession(Connection c, Frame f, String adminRefusal) {
        SessionIdentity identity = c.identity();
        if (c.agent() == null || identity == null) {
            c.refuse(f.id(), c.pending() != null ? Handshake.BAD_AUTH : Reasons.HELLO_REQUIRED, c.pending() != null
                    ? "the handshake is not complete: answer the CHALLENGE with AUTH first" : "the first frame on a connection must be HELLO");
            return null;
        }
        if (c.adminOnly()) {
            c.refuse(f.id(), Reasons.ADMIN_SESSION, adminRefusal);
            return null;
        }
        return identity;
    }

    private void decide(Connection c, Frame f) {
        SessionIdentity identity = agentSession(c, f, "an admin session (admin: true) does not ask for decisions");
        if (identity == null) {
            return;
        }
        Request req;
        try {
            req = Request.fromBody(f.body());
            Optional<String> bad = Vocabulary.typeProblem(req.target());
            if (bad.isPresent()) {
                throw new ProtocolException(Reasons.BAD_REQUEST, bad.get());
            }
        } catch (ProtocolException e) {
            protocolError(c, e);
            c.refuse(f.id(), e.code(), e.getMessage());
            return;
        }
        inFlight.incrementAndGet();
        Policy p = policy.get();
        SessionIdentity.Resolved who = identity.resolve(registry.get(), c.peerUser);
        Agent agent = who.agent();
        Evaluator.Outcome o;
        Map<String, Object> mcpFields = null;
        int outOfScope = -1;
        if (shuttingDown) {
            o = failure(Reasons.SHUTTING_DOWN, "the engine is shutting down", p);
        } else if ((o = gate(identity, who, p)) != null) {
            // stopped before the policy: killed, revoked, expired, or the kill switch unreadable
        } else if ((o = Vocabulary.incomplete(req).map(why -> failure(Reasons.INCOMPLETE_REQUEST, why, p)).orElse(null)) != null) {
            // lacks a field its rules are written against (and MCP state must not see it either)
        } else {
            try {
                Delegated.Result outside = Delegated.outside(p, req, identity.scopes(), identity.who());
                if (outside != null) {
                    o = outside.outcome();
                    outOfScope = outside.link();
                } else {
                    Set<Fact> facts = Set.of();
                    if (req.family().equals(Family.MCP.key())) {
                        McpFacts.Result r = mcp.establish(req);
                        facts = r.facts();
                        mcpFields = r.audit();
                        if (reportedStateProblem != null) {
                            reportedStateProblem = null;
                            log("the tool pin store " + mcp.pins().file() + " is usable again");
                        }
                    }
                    o = evaluator.evaluate(p, req, agent, facts);
                }
            } catch (ToolPins.Unavailable e) {
                stateProblem(e.getMessage());
                o = failure(Reasons.STATE_UNAVAILABLE, e.getMessage(), p);
            } catch (RuntimeException e) {
                counters.evaluationErrors.increment();
                o = failure(Reasons.EVALUATION_ERROR, "evaluation failed: " + e.getMessage(), p);
            }
        }
        Decision d = o.decision();
        Decision decided = d;
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("type", "decision");
        entry.put("time", Instant.now().toString());
        entry.put("agent", agentFields(c, who));
        entry.put("request", req.toBody());
        Map<String, Object> dec = new LinkedHashMap<>();
        dec.put("effect", d.allowed() ? "allow" : "deny");
        dec.put("rule", d.rule());
        dec.put("code", d.code());
        dec.put("reason", d.reason());
        if (d.sandbox() != null) {
            dec.put("sandbox", d.sandbox()); // the launch runs inside this profile
        }
        Map<String, Object> monitor = monitorFields(o, c, req);
        if (monitor != null) {
            dec.put("monitor", monitor);
        }
        if (outOfScope >= 0) {
            DelegationToken link = identity.verified().orElseThrow().links().get(outOfScope);
            dec.put("link", Map.of("index", (long) outOfScope + 1, "parent", link.parent(), "child", link.child(), "scope", link.scope().toJson()));
        }
        entry.put("decision", dec);
        if (mcpFields != null) {
            entry.put("mcp", mcpFields);
        }
        entry.put("policy", d.policyVersion());
        entry.put("policy_mode", p.mode().key());
        c.stage(entry, (seq, err) -> {
            Decision out;
            if (err == null) {
                out = decided.withAuditSeq(seq);
                owners.decided(seq, c.owner()); // before the agent can name it in an outcome
            } else {
                counters.auditFailures.increment();
                out = new Decision(Decision.Effect.DENY, "", Reasons.AUDIT_UNAVAILABLE,
                        "the decision could not be written to the audit log (" + err.getMessage() + ")", decided.policyVersion(), -1);
            }
            (out.allowed() ? counters.allowed : counters.denied).increment();
            c.queue(new Frame(FrameType.DECISION, f.id(), out.toBody()));
            inFlight.decrementAndGet();
        });
    }

    /**
     * OUTCOME: what the agent finally did with a call on its own (see {@link Outcome}). Logged as
     * an entry of its own, with the session's agent, linked to the decision it follows, and only
     * then acknowledged with its sequence number; an unwritable log answers {@code
     * audit-unavailable} (the agent keeps the outcome and delivers it again). Refused, and the
     * refusal logged: a malformed frame ({@code bad-outcome}, {@code bad-request}), and a {@code
     * follows} that is not a decision of this agent's ({@code not-own-decision}), since an agent
     * must not annotate another agent's entries.
     *
     * <p>Unlike a malformed DECIDE, a refused OUTCOME does not end the session: an outcome asks
     * for nothing, so refusing it grants nothing, and the agent's decisions go on over the same
     * connection. A lost-outcomes event is written first when the agent's spool says it dropped
     * some, whether or not this outcome is accepted.
     */
    private void outcome(Connection c, Frame f) {
        SessionIdentity identity = agentSession(c, f, "an admin session (admin: true) reports no outcomes");
        if (identity == null) {
            return;
        }
        Map<String, Object> agent = agentFields(c, identity.resolve(registry.get(), c.peerUser));
        String now = Instant.now().toString();
        inFlight.incrementAndGet();
        OutcomeDelivery d;
        try {
            d = OutcomeDelivery.fromBody(f.body());
            Optional<String> bad = d.outcome().request().flatMap(r -> Vocabulary.typeProblem(r.target()));
            if (bad.isPresent()) {
                throw new ProtocolException(Reasons.BAD_REQUEST, bad.get()); // incomplete is fine: the agent reports what it read
            }
        } catch (ProtocolException e) {
            counters.outcomesRefused.increment();
            log("connection " + c.number + ": OUTCOME refused, the session goes on: " + e.getMessage());
            c.stage(OutcomeEvent.refused(now, agent, e.code(), e.getMessage(), Optional.empty()).toMap(), (seq, err) -> {
                c.queue(error(f.id(), e.code(), e.getMessage())); // final whether or not the refusal was logged
                inFlight.decrementAndGet();
            });
            return;
        }
        Outcome o = d.outcome();
        boolean[] lostUnlogged = {false};
        d.gap().filter(g -> g.dropped() > 0).ifPresent(g -> {
            log("agent " + agent.get("name") + " (session " + c.number + ") lost " + g.dropped() + " outcome(s) while the engine was unreachable");
            c.stage(OutcomeEvent.lost(now, agent, g.dropped(), g.held(), Instant.ofEpochMilli(g.since()).toString(), g.droppedKinds()).toMap(),
                    (seq, err) -> lostUnlogged[0] = err != null);
        });
        Link link = o.follows() == Outcome.NONE ? new Link(OutcomeEntry.NONE, null) : follows(c, o.follows());
        if (link.problem() != null) {
            counters.outcomesRefused.increment();
            log("connection " + c.number + ": OUTCOME refused: " + link.problem());
            c.stage(OutcomeEvent.refused(now, agent, Outcome.NOT_OWN_DECISION, link.problem(), Optional.of(d.toBody())).toMap(), (seq, err) -> {
                c.queue(err != null || lostUnlogged[0] ? unlogged(f.id(), err != null ? err : new IOException("the lost-outcomes entry failed"))
                        : error(f.id(), Outcome.NOT_OWN_DECISION, link.problem()));
                inFlight.decrementAndGet();
            });
            return;
        }
        OutcomeEntry entry = new OutcomeEntry(-1, now, agent, o.kind().key(), o.kind().effect() == Decision.Effect.ALLOW ? "allow" : "deny",
                o.code(), o.reason(), Instant.ofEpochMilli(o.time()).toString(), o.follows(), link.session(), o.request().map(Request::toBody),
                d.spooled(), d.gap().map(g -> new OutcomeEntry.Gap(g.held(), g.dropped(), Instant.ofEpochMilli(g.since()).toString(),
                g.droppedKinds())));
        c.stage(entry.toMap(), (seq, err) -> {
            if (err == null && !lostUnlogged[0]) {
                counters.outcomes.increment();
                c.queue(new Frame(FrameType.OUTCOME_ACK, f.id(), Map.of("seq", seq)));
            } else {
                counters.auditFailures.increment();
                c.queue(unlogged(f.id(), err != null ? err : new IOException("the lost-outcomes entry before it failed")));
            }
            inFlight.decrementAndGet();
        });
    }

    /**
     * Where an outcome's {@code follows} leads: the session of the decision when it is not this
     * one ({@link OutcomeEntry#NONE} when it is), or the problem that refuses it.
     */
    private record Link(long session, String problem) {
    }

    private Link follows(Connection c, long seq) {
        long next = audit.nextSeq();
        if (seq >= next) {
            return new Link(OutcomeEntry.NONE, "#" + seq + " is not in the log (the next entry is #" + next + ")");
        }
        DecisionOwners.Lookup found = owners.find(seq);
        boolean fromLog = false;
        if (found instanceof DecisionOwners.Unknown) {
            if (c.lookups >= MAX_LOG_LOOKUPS) {
                return new Link(OutcomeEntry.NONE, "#" + seq + " is not among the decisions this engine holds in memory, and this session"
                        + " has used its " + MAX_LOG_LOOKUPS + " reads of older entries");
            }
            c.lookups++;
            found = ownerInLog(seq);
            fromLog = true;
        }
        if (found instanceof DecisionOwners.Owner owner) {
            if (!owner.principal().equals(c.owner().principal())) {
                return new Link(OutcomeEntry.NONE, "#" + seq + " is a decision of another agent (" + clip(owner.name()) + ", session "
                        + owner.session() + "); an agent may only report outcomes of its own decisions");
            }
            return new Link(fromLog || owner.session() != c.number ? owner.session() : OutcomeEntry.NONE, null);
        }
        if (found instanceof DecisionOwners.NotADecision) {
            return new Link(OutcomeEntry.NONE, "#" + seq + " is not a decision");
        }
        return new Link(OutcomeEntry.NONE, "#" + seq + " could not be read back from the audit log to check whose decision it is");
    }

    /** Whose decision entry {@code seq} is, read from the log; {@code Unknown} when it cannot be read. */
    private DecisionOwners.Lookup ownerInLog(long seq) {
        try {
            Optional<byte[]> line = audit.entry(seq);
            if (line.isEmpty()) {
                return new DecisionOwners.Unknown();
            }
            JsonNode e = JSON.readTree(line.get());
            if (!"decision".equals(e.path("type").asText()) || !e.path("agent").isObject()) {
                return new DecisionOwners.NotADecision();
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> a = JSON.convertValue(e.path("agent"), Map.class);
            return new DecisionOwners.Owner(e.at("/agent/session").asLong(-1), DecisionOwners.principal(a), String.valueOf(a.get("name")));
        } catch (IOException | RuntimeException x) {
            log("reading #" + seq + " back from the audit log failed: " + x.getMessage());
            return new DecisionOwners.Unknown();
        }
    }

    private static Frame error(long id, String code, String message) {
        return new Frame(FrameType.ERROR, id, Map.of("code", code, "message", message));
    }

    private static Frame unlogged(long id, Throwable err) {
        return error(id, Reasons.AUDIT_UNAVAILABLE, "the outcome could not be written to the audit log (" + err.getMessage() + ")");
    }

    /**
     * What stops a session before its request reaches the policy, or null: the kill switch (or a
     * kill switch file that cannot be read: fail closed), a revoked or removed identity in its
     * chain, an expired chain. The clock read for the expiry is the only one outside the rate
     * limiter; it does not touch the policy's semantics, which stay deterministic.
     */
    private Evaluator.Outcome gate(SessionIdentity identity, SessionIdentity.Resolved who, Policy p) {
        KillSwitch.State ks;
        try {
            ks = kills.state();
            if (reportedKillProblem != null) {
                reportedKillProblem = null;
                log("the kill switch " + kills.file() + " is usable again");
            }
        } catch (KillSwitch.Unavailable e) {
            killProblem(e.getMessage());
            return failure(Reasons.STATE_UNAVAILABLE, e.getMessage(), p);
        }
        String stopped = ks.which(who.handles());
        if (stopped != null) {
            return failure(Reasons.KILLED, stopped.equals("*") ? "every agent was stopped with 'agt kill --all'"
                    : "agent " + stopped + " was stopped with 'agt kill'" + (stopped.equals(identity.declaredName())
                    || identity.verified().map(v -> v.presented().equals(stopped)).orElse(false) ? "" : " (this agent acts for it)"), p);
        }
        if (who.code() != null) {
            return failure(who.code(), who.reason(), p);
        }
        if (System.currentTimeMillis() / 1000 >= identity.expires()) {
            return failure(Reasons.EXPIRED, "the delegation chain expired at " + Instant.ofEpochSecond(identity.expires()), p);
        }
        return null;
    }

    private void killProblem(String problem) {
        if (!problem.equals(reportedKillProblem)) {
            reportedKillProblem = problem;
            log(problem);
            record(event("state-unavailable", Map.of("problem", problem)));
        }
    }

    private static Evaluator.Outcome failure(String code, String reason, Policy p) {
        return new Evaluator.Outcome(new Decision(Decision.Effect.DENY, "", code, reason, p.version(), -1), null, null);
    }

    /**
     * {@code decision.monitor}: present exactly when a denial was not enforced, whichever mode
     * caused it, so a report finds every would-be denial in one place. {@code by}: {@code rule} or
     * {@code policy} when the policy's monitor mode made the engine answer allow (the denial it
     * stands for follows), {@code agent} when the engine answered deny to an agent that declared
     * monitor mode in its HELLO and lets every call through (the denial is the decision itself),
     * {@code interception-rule} when the request says its interception rule is in monitor mode.
     */
    private static Map<String, Object> monitorFields(Evaluator.Outcome o, Connection c, Request req) {
        Decision would;
        String by;
        if (o.monitored() != null) {
            would = o.monitored();
            by = o.monitoredBy();
        } else if (!o.decision().allowed() && "monitor".equals(c.mode())) {
            would = o.decision();
            by = "agent";
        } else if (!o.decision().allowed() && req.monitor()) {
            would = o.decision();
            by = "interception-rule"; // the agent's rule for this call is in monitor mode: it lets the call through
        } else {
            return null;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("by", by);
        m.put("rule", would.rule());
        m.put("code", would.code());
        m.put("reason", would.reason());
        return m;
    }

    private void stateProblem(String problem) {
        if (!problem.equals(reportedStateProblem)) {
            reportedStateProblem = problem;
            log(problem);
            record(event("state-unavailable", Map.of("problem", problem)));
        }
    }

    /** Writes a connection's staged decisions to the log as one group; replies follow from the completions. */
    void commit(List<Map<String, Object>> entries, List<AuditSink.Completion> done) {
        audit.append(entries, done);
    }

    private void admin(Connection c, Frame f) {
        if (!c.unix || !engineUser.equals(c.peerUser)) {
            c.send(new Frame(FrameType.ERROR, f.id(), Map.of("code", Reasons.NOT_PERMITTED,
                    "message", "admin requests are taken only over the Unix socket from user " + engineUser)));
            return;
        }
        AdminRequest request;
        try {
            request = AdminRequest.parse(f.type(), f.body());
        } catch (ProtocolException e) {
            c.send(new Frame(FrameType.ERROR, f.id(), Map.of("code", e.code(), "message", e.detail()))); // the session goes on
            return;
        }
        if (request instanceof AdminRequest.Reload r) {
            c.send(new Frame(FrameType.RELOAD_REPLY, f.id(), r.registry() ? reloadRegistry("admin") : reload("admin")));
        } else if (request instanceof AdminRequest.Switch k) {
            kill(c, f, k);
        } else {
            c.send(new Frame(FrameType.STATUS_REPLY, f.id(), status()));
        }
    }

    /** KILL / REVIVE: {@code {agent: NAME|DID}} or {@code {all: true}}; written, then in force, then logged, then answered. */
    private void kill(Connection c, Frame f, AdminRequest.Switch request) {
        boolean kill = request.kill();
        FrameType replyType = kill ? FrameType.KILL_REPLY : FrameType.REVIVE_REPLY;
        boolean all = request.all();
        String target = request.agent().orElse(null);
        KillSwitch.State before;
        KillSwitch.State after;
        try {
            before = kills.state();
            after = kills.change(s -> {
                java.util.Set<String> agents = new java.util.TreeSet<>(s.agents());
                if (kill) {
                    if (all) {
                        return new KillSwitch.State(true, agents);
                    }
                    agents.add(target);
                    return new KillSwitch.State(s.all(), agents);
                }
                if (all) {
                    return KillSwitch.State.NONE;
                }
                agents.remove(target);
                return new KillSwitch.State(s.all(), agents);
            });
        } catch (KillSwitch.Unavailable e) {
            c.send(new Frame(FrameType.ERROR, f.id(), Map.of("code", Reasons.STATE_UNAVAILABLE, "message", e.getMessage())));
            return;
        }
        long stopped = 0;
        for (Connection x : connections.values()) {
            SessionIdentity id = x.identity();
            if (id != null && !x.adminOnly() && after.stops(id.resolve(registry.get(), x.peerUser).handles())) {
                stopped++;
            }
        }
        boolean changed = !after.equals(before);
        boolean known = all || registry.get().find(target).isPresent() || connections.values().stream()
                .anyMatch(x -> x.identity() != null && x.identity().resolve(registry.get(), x.peerUser).handles().contains(target));
        Map<String, Object> ev = new LinkedHashMap<>();
        if (all) {
            ev.put("all", true);
        } else {
            ev.put("agent", target);
        }
        ev.put("by", c.peerUser);
        ev.put("changed", changed);
        ev.put("state", after.toMap());
        ev.put("sessions_stopped", stopped);
        if (changed) {
            record(event(kill ? "kill" : "revive", ev));
            log((kill ? "kill " : "revive ") + (all ? "--all" : target) + " by " + c.peerUser + ": " + stopped + " connected session(s) now stopped");
        }
        Map<String, Object> reply = new LinkedHashMap<>();
        reply.put("result", changed ? (kill ? "killed" : "revived") : "unchanged");
        reply.put("all", after.all());
        reply.put("agents", after.toMap().get("agents"));
        reply.put("sessions_stopped", stopped);
        reply.put("known", known);
        c.send(new Frame(replyType, f.id(), reply));
    }

    private Map<String, Object> agentFields(Connection c) {
        SessionIdentity id = c.identity();
        return agentFields(c, id == null ? null : id.resolve(registry.get(), c.peerUser));
    }

    private Map<String, Object> agentFields(Connection c, SessionIdentity.Resolved who) {
        Agent a = who == null ? c.agent() : who.agent();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", a.id());
        m.put("name", a.name());
        m.put("uid", a.uid());
        m.put("pid", c.declaredPid());
        m.put("auth", a.how());
        m.put("session", c.number);
        m.put("mode", c.mode()); // monitor: this agent's denials were logged, not enforced
        if (who != null) {
            m.putAll(c.identity().auditFields(who));
        }
        return m;
    }

    private static Map<String, Object> event(String kind, Map<String, Object> fields) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("type", "event");
        e.put("time", Instant.now().toString());
        e.put("event", kind);
        e.putAll(fields);
        return e;
    }

    /**
     * Reloads the policy from disk. A valid policy replaces the current one atomically; an
     * invalid one is rejected with its problems and the last good policy stays in force. Both
     * outcomes are recorded in the audit log.
     */
    public synchronized Map<String, Object> reload(String trigger) {
        Map<String, Object> result = new LinkedHashMap<>();
        Policy current = policy.get();
        try {
            Policy next = PolicyLoader.load(config.policy(), config.vars());
            if (next.version().equals(current.version())) {
                result.put("result", "unchanged");
                result.put("policy", current.version());
                return result;
            }
            policy.set(next);
            counters.reloadsOk.increment();
            record(event("policy-loaded", Map.of("trigger", trigger, "policy", next.version(), "previous", current.version(),
                    "rules", (long) next.rules().size(), "policy_mode", next.mode().key())));
            log("policy reloaded (" + trigger + "): " + next.version().substring(0, 12) + ", " + next.rules().size() + " rules, mode "
                    + next.mode().key());
            if (watcher != null) {
                watcher.watch(next.files());
            }
            result.put("result", "loaded");
            result.put("policy", next.version());
        } catch (PolicyException e) {
            counters.reloadsRejected.increment();
            List<String> problems = e.problems().stream().map(Problem::toString).toList();
            record(event("policy-rejected", Map.of("trigger", trigger, "kept", current.version(), "problems", problems)));
            log("policy rejected (" + trigger + "), keeping " + current.version().substring(0, 12) + ":");
            problems.forEach(p -> log("  " + p));
            result.put("result", "rejected");
            result.put("policy", current.version());
            result.put("problems", problems);
        }
        return result;
    }

    /**
     * Reloads the agent registry. A valid file replaces the registry in force (connected sessions
     * see it from their next call: a revoked agent and its delegates are stopped); an invalid one is
     * rejected and the last good registry stays. Both are recorded in the log.
     */
    public synchronized Map<String, Object> reloadRegistry(String trigger) {
        Map<String, Object> result = new LinkedHashMap<>();
        Registry current = registry.get();
        Path file = config.registryFile();
        try {
            Registry next = Registry.read(file);
            if (next.entries().equals(current.entries())) {
                result.put("result", "unchanged");
            } else {
                registry.set(next);
                long revoked = next.entries().stream().filter(Registry.Entry::revoked).count();
                record(event("registry-loaded", Map.of("trigger", trigger, "registry", file.toString(), "agents", (long) next.entries().size(),
                        "revoked", revoked)));
                log("agent registry reloaded (" + trigger + "): " + next.entries().size() + " agents, " + revoked + " revoked");
                result.put("result", "loaded");
            }
        } catch (IdentityException | IOException e) {
            record(event("registry-rejected", Map.of("trigger", trigger, "registry", file.toString(), "problem", String.valueOf(e.getMessage()),
                    "kept_agents", (long) current.entries().size())));
            log("agent registry rejected (" + trigger + "), keeping the last good one: " + e.getMessage());
            result.put("result", "rejected");
            result.put("problems", List.of(String.valueOf(e.getMessage())));
        }
        result.put("registry", file.toString());
        result.put("agents", (long) registry.get().entries().size());
        return result;
    }

    private void record(Map<String, Object> event) {
        try {
            audit.appendAndWait(event);
        } catch (IOException e) {
            log("could not record " + event.get("event") + " in the audit log: " + e.getMessage());
        }
    }

    public Map<String, Object> status() {
        Policy p = policy.get();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("engine", engineId);
        m.put("policy", p.version());
        m.put("policy_file", config.policy().toString());
        m.put("rules", (long) p.rules().size());
        m.put("policy_mode", p.mode().key());
        m.put("started", startedAt.toString());
        m.put("uptime_ms", (System.nanoTime() - startedNanos) / 1_000_000);
        List<Object> agents = new ArrayList<>();
        for (Connection c : connections.values()) {
            if (c.agent() != null && !c.adminOnly()) {
                agents.add(agentFields(c));
            }
        }
        m.put("agents", agents);
        m.put("allowed", counters.allowed.sum());
        m.put("denied", counters.denied.sum());
        m.put("outcomes", counters.outcomes.sum());
        m.put("outcomes_refused", counters.outcomesRefused.sum());
        m.put("audit_dir", config.auditDir().toAbsolutePath().toString());
        m.put("audit_next_seq", audit.nextSeq());
        m.put("audit_failures", counters.auditFailures.sum());
        m.put("protocol_errors", counters.protocolErrors.sum());
        m.put("reloads_ok", counters.reloadsOk.sum());
        m.put("reloads_rejected", counters.reloadsRejected.sum());
        // absolute: agt run keeps these out of every sandbox, from whatever directory it runs in
        m.put("state_dir", config.stateDirectory().toAbsolutePath().toString());
        m.put("key_file", config.keyFile().toAbsolutePath().toString());
        if (config.witness() != null) {
            m.put("witness_dir", config.witness().toAbsolutePath().toString());
        }
        m.put("auth", config.auth().key());
        m.put("registry", config.registryFile().toAbsolutePath().toString());
        m.put("registry_agents", (long) registry.get().entries().size());
        if (kills != null) {
            try {
                m.put("kill", kills.state().toMap());
            } catch (KillSwitch.Unavailable e) {
                m.put("kill_problem", e.getMessage());
            }
        }
        String stateProblem = mcp == null ? null : mcp.pins().problem();
        if (stateProblem != null) {
            m.put("state_problem", stateProblem);
        }
        return m;
    }

    Counters counters() {
        return counters;
    }

    int connectionCount() {
        return connections.size();
    }

    void protocolError(Connection c, ProtocolException e) {
        counters.protocolErrors.increment();
        log("connection " + c.number + " closed: " + e.getMessage());
    }

    void connectionEnded(Connection c, String why) {
        connections.remove(c.number);
    }

    void log(String line) {
        synchronized (log) {
            log.println("agt engine: " + line);
        }
    }

    public Policy policy() {
        return policy.get();
    }

    /** Blocks until {@link #close()} has finished. */
    public void awaitStop() throws InterruptedException {
        stopped.await();
    }

    /** Held while this engine runs: the exclusive lock on {@code AUDIT_DIR.lock} beside the audit directory. */
    private java.nio.channels.FileChannel lockChannel;

    private void lockAuditDir() throws IOException {
        Path dir = config.auditDir().toAbsolutePath().normalize();
        Path lock = dir.resolveSibling(dir.getFileName() + ".lock");
        if (lock.getParent() != null) {
            Files.createDirectories(lock.getParent());
        }
        java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(lock, java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.WRITE);
        java.nio.channels.FileLock held;
        try {
            held = ch.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException e) {
            held = null;
        }
        if (held == null) {
            ch.close();
            throw new IOException("another engine is using the audit directory " + dir + " (it holds " + lock
                    + "); one engine writes one log: stop it, or give this one its own --audit-dir");
        }
        lockChannel = ch;
    }

    /**
     * Stops taking connections, lets undecided requests finish (and be logged), records the stop
     * and flushes the log. Requests that arrive meanwhile are denied {@code shutting-down}.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        shuttingDown = true;
        for (ServerSocketChannel s : listeners) {
            try {
                s.close();
            } catch (IOException ignored) {
                // stopping anyway
            }
        }
        if (boundSocket) {
            try {
                Files.deleteIfExists(config.socket());
            } catch (IOException ignored) {
                // a stale socket is replaced at the next start
            }
        }
        if (watcher != null) {
            watcher.close();
        }
        if (metrics != null) {
            metrics.close();
        }
        // Take no new requests, then wait until every request already taken has been decided,
        // logged and answered, so that the stop event is the last entry.
        for (Connection c : connections.values()) {
            c.stopReading();
        }
        try {
            for (Connection c : connections.values()) {
                c.awaitEnd(15_000);
            }
            long deadline = System.nanoTime() + 15_000_000_000L;
            while (inFlight.get() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (audit != null) {
            record(event("engine-stop", Map.of("engine", engineId, "allowed", counters.allowed.sum(), "denied", counters.denied.sum())));
        }
        for (Connection c : connections.values()) {
            c.close();
        }
        if (audit != null) {
            try {
                audit.close();
            } catch (IOException e) {
                log("flushing the audit log failed: " + e.getMessage());
            }
        }
        if (lockChannel != null) {
            try {
                lockChannel.close(); // releases the audit directory for the next engine
            } catch (IOException ignored) {
                // the process is ending; the lock goes with it
            }
        }
        stopped.countDown();
    }

    private static String clip(Object o) {
        String s = String.valueOf(o);
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }
}
