package dev.agt.engine.server;

import dev.agt.audit.AuditSink;
import dev.agt.audit.entry.EngineEvent;
import dev.agt.audit.entry.EntryCodec;
import dev.agt.audit.log.AuditLog;
import dev.agt.audit.note.NoteKeys;
import dev.agt.engine.mcp.McpFacts;
import dev.agt.engine.mcp.ToolPins;
import dev.agt.engine.policy.Agent;
import dev.agt.engine.policy.Policy;
import dev.agt.engine.policy.PolicyException;
import dev.agt.engine.policy.PolicyLoader;
import dev.agt.config.Problem;
import dev.agt.engine.session.AuthMode;
import dev.agt.engine.session.DecisionOwners;
import dev.agt.engine.session.KillSwitch;
import dev.agt.engine.session.Kills;
import dev.agt.engine.shared.Database;
import dev.agt.engine.shared.LogShipper;
import dev.agt.engine.shared.SharedState;
import dev.agt.engine.session.SessionIdentity;
import dev.agt.identity.IdentityException;
import dev.agt.identity.Registry;
import dev.agt.protocol.Frame;
import dev.agt.protocol.ProtocolException;
import dev.agt.protocol.Reasons;
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
 *
 * <p>This class is the engine's lifecycle (start, reload, status, stop) and the state the other
 * parts share; each frame type is handled by its own part: {@link SessionAdmission} (HELLO,
 * AUTH), {@link DecisionPipeline} (DECIDE), {@link OutcomeIntake} (OUTCOME), {@link
 * AdminCommands} (STATUS, RELOAD, KILL, REVIVE).
 */
public final class Engine implements AutoCloseable {
    static final int MAX_CONNECTIONS = 1024;

    final EngineConfig config;
    private final PrintStream log;
    final String engineId;
    /** The user this engine runs as: the only one whose admin frames it takes. */
    final String engineUser = System.getProperty("user.name");
    /** Who besides the engine's user may decide held calls, or null. */
    final Approvers approvers;
    private final AtomicReference<Policy> policy = new AtomicReference<>();
    final Counters counters = new Counters();
    final Map<Long, Connection> connections = new ConcurrentHashMap<>();
    private final AtomicLong connectionIds = new AtomicLong();
    /** Requests taken and not yet answered: close() waits for them, so that engine-stop is the last entry. */
    final AtomicInteger inFlight = new AtomicInteger();
    private final List<ServerSocketChannel> listeners = new ArrayList<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicReference<Registry> registry = new AtomicReference<>(Registry.empty());
    private final long startedNanos = System.nanoTime();
    private final Instant startedAt = Instant.now();
    final StateProblems problems = new StateProblems(this);
    private final SessionAdmission admission = new SessionAdmission(this);
    private final DecisionPipeline decisions = new DecisionPipeline(this);
    private final OutcomeIntake outcomes = new OutcomeIntake(this);
    private final AdminCommands admin = new AdminCommands(this);
    // set by start(), before any connection is taken
    private AuditSink audit;
    private McpFacts mcp;
    /** Whose each recent decision is: an outcome may follow only its own agent's decisions. */
    private DecisionOwners owners;
    private Kills kills;
    /** The fleet's shared state, or null when the kill switch is a file on this host. */
    private SharedState shared;
    private volatile LogShipper shipper;
    /** The OTLP export of the log and the metrics, or null when none is configured. */
    private volatile OtlpExport otlp;
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
        this.approvers = config.approvers() == null ? null : new Approvers(config.approvers(), Approvers.GROUP_FILE);
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
        // a policy file is checked before anything else; a bundle once this engine holds its directories
        Policy p = config.bundle() == null ? PolicyLoader.load(config.policy(), config.vars()) : null;
        policyFile = config.policy();
        if (approvers != null && approvers.entry().isEmpty()) {
            throw new IOException("--approvers " + approvers.group() + ": no such group in " + Approvers.GROUP_FILE);
        }
        // Before anything is created or written: one engine per audit directory (two would
        // interleave sequence numbers and break the chain), and no start on a socket in use.
        if (config.socket() != null) {
            SocketBinder.refuseIfServed(config.socket());
        }
        lockAuditDir();
        if (p == null) {
            bundles = new Bundles(this, config.bundle(), config.stateDirectory());
            p = bundles.start();
            policyFile = bundles.active().entry();
        }
        policy.set(p);
        if (config.shared() != null) {
            try {
                shared = new SharedState(Database.of(config.shared().url()), config.shared().periodMs(), config.shared().graceMs(), this::remoteKill);
            } catch (java.sql.SQLException e) {
                throw new IOException("cannot use the shared state: " + Database.describe(e));
            }
            kills = shared;
            decisions.limiter.share(shared.buckets());
            log("shared state: " + shared.where() + " (kill switch, revocations, agent registry, tool pins, rate limits)");
        } else {
            kills = new KillSwitch(config.stateDirectory());
        }
        Registry reg;
        if (shared != null) {
            try {
                reg = shared.registry();
            } catch (java.sql.SQLException e) {
                throw new IOException("cannot read the agent registry from the shared state: " + Database.describe(e));
            }
        } else {
            reg = Registry.read(config.registryFile());
        }
        registry.set(reg);
        audit = sinkFactory.open(config);
        if (audit instanceof AuditLog al) {
            AuditLog.Recovery r = al.recovery();
            if (r.tornBytesRemoved() > 0 || r.entries() > r.checkpointSize()) {
                // the previous run did not stop cleanly: say what was found and repaired
                audit.appendAndWait(EntryCodec.toMap(new EngineEvent.LogRecovered(-1, Instant.now().toString(), r.entries(),
                        r.tornBytesRemoved(), r.checkpointSize(), r.checkpointMatched())));
                if (r.tornBytesRemoved() > 0) {
                    log("recovered the audit log: removed a torn record of " + r.tornBytesRemoved() + " bytes");
                }
            }
        }
        if (shared != null) {
            spend.share(shared.spending(name()));
        }
        spend.open(config.stateDirectory(), p.spend());
        labels = new dev.agt.engine.session.SessionLabels(config.stateDirectory());
        approvals = new Approvals(config.stateDirectory());
        Optional<Map<String, Object>> killState;
        Optional<String> killProblem;
        try {
            killState = Optional.of(kills.state().toMap());
            killProblem = Optional.empty();
        } catch (KillSwitch.Unavailable e) {
            killState = Optional.empty();
            killProblem = Optional.of(e.getMessage());
        }
        audit.appendAndWait(EntryCodec.toMap(new EngineEvent.EngineStart(-1, Instant.now().toString(), engineId, p.version(),
                policyFile.toString(), p.rules().size(), p.mode().key(), shared != null ? shared.where() : config.stateDirectory().toString(), config.auth().key(),
                registrySource(), reg.entries().size(), killState, killProblem)));
        owners = new DecisionOwners(DecisionOwners.DEFAULT_CAPACITY, audit.nextSeq());
        logReady = true;
        if (bundles != null) {
            bundles.drainEarly().forEach(this::record); // the start's activation (or refusal and fallback)
        }
        try {
            // calls an earlier run held when it stopped: their agents were never answered; denied, never approved
            for (Map<String, Object> left : approvals.leftByEarlierRun()) {
                record(new EngineEvent.ApprovalDecided(-1, Instant.now().toString(), String.valueOf(left.get("id")), "restarted", "engine",
                        "the engine stopped while the call was held; it was denied"));
            }
        } catch (dev.agt.engine.state.StateFile.Unavailable e) {
            problems.report(e.getMessage());
        }
        if (kills.problem() != null) {
            problems.killSwitch(kills.problem());
        }
        if (config.shared() != null && config.shared().ship()) {
            shipper = new LogShipper(shared.database(), name(), config.auditDir(),
                    () -> audit instanceof dev.agt.audit.log.AuditLog l ? l.checkpointed() : 0, 200, this::log);
        }
        if (config.otlp() != null) {
            otlp = new OtlpExport(this, config.otlp(), config.auditDir(), name(),
                    () -> audit instanceof dev.agt.audit.log.AuditLog l ? l.checkpointed() : 0, this::log);
            log("otlp export: log records and metrics to " + config.otlp().endpoint().replaceFirst("//[^/@]*@", "//...@")
                    + ", read back from the signed log (resuming at entry "
                    + otlp.status().get("next") + ")");
        }
        if (labels.problem() != null) {
            problems.report(labels.problem()); // decisions that need labels deny until it is usable
        }
        if (spend.problem() != null) {
            problems.report(spend.problem()); // model calls under budgets deny until it is usable
        }
        if (config.auth() == AuthMode.REQUIRED && reg.entries().stream().noneMatch(e -> !e.revoked())) {
            String where = shared != null ? shared.where() : config.registryFile().toString();
            log("auth: required, and the agent registry " + registrySource() + " holds no active agent: no agent can connect"
                    + " until one is registered ('agt identity create NAME --registry " + where + "')");
        }
        mcp = new McpFacts(shared != null ? shared.pins() : new ToolPins(config.stateDirectory()));
        if (mcp.pins().problem() != null) {
            // the engine still serves every other family; mcp requests deny until the store is usable
            problems.pinStore(mcp.pins().problem());
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
        if (config.approvalsPort() != 0) {
            approvalPage = new ApprovalPage(this, Math.max(0, config.approvalsPort()), config.stateDirectory());
            log("approval page: open " + approvalPage.url() + " (also in " + config.stateDirectory().resolve("approvals-page.token") + ")");
        }
        if (config.witnessing() != null) {
            witnessing = new Witnessing(this, config.witnessing(), config.auditDir(), logVerifier());
            witnessPoller = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "agt-witnessing");
                t.setDaemon(true);
                return t;
            });
            long every = Math.max(1000, config.witnessing().intervalMs());
            witnessPoller.scheduleWithFixedDelay(witnessing::round, every, every, java.util.concurrent.TimeUnit.MILLISECONDS);
        }
        if (bundles != null) {
            long every = Math.max(1000, config.bundle().intervalMs());
            bundlePoller = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "agt-bundle-poll");
                t.setDaemon(true);
                return t;
            });
            bundlePoller.scheduleWithFixedDelay(() -> {
                try {
                    bundles.poll("interval");
                } catch (RuntimeException e) {
                    log("bundle poll failed: " + e); // the bundle in force stays
                }
            }, every, every, java.util.concurrent.TimeUnit.MILLISECONDS);
        }
        if (config.watch()) {
            watcher = new PolicyWatcher(this);
            watcher.watch(p.files());
            if (shared == null) {
                watcher.watchRegistry(config.registryFile());
            }
        }
        if (shared != null) {
            shared.onRegistryChange(() -> reloadRegistry("shared-state"));
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
                    String group = "";
                    if (unix) {
                        jdk.net.UnixDomainPrincipal peer = ch.getOption(jdk.net.ExtendedSocketOptions.SO_PEERCRED);
                        user = peer.user().getName();
                        group = peer.group().getName();
                    } else {
                        ch.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
                    }
                    long n = connectionIds.incrementAndGet();
                    Connection c = new Connection(this, n, ch, user, group, unix);
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
            case HELLO -> admission.hello(c, f);
            case AUTH -> admission.auth(c, f);
            case DECIDE -> decisions.decide(c, f);
            case OUTCOME -> outcomes.outcome(c, f);
            case STATUS, RELOAD, KILL, REVIVE, CLEAR_LABEL, APPROVALS -> admin.handle(c, f);
            default -> c.refuse(f.id(), Reasons.UNEXPECTED_FRAME, "a peer does not send " + f.type());
        }
    }



    /** Writes a connection's staged decisions to the log as one group; replies follow from the completions. */
    void commit(List<Map<String, Object>> entries, List<AuditSink.Completion> done) {
        audit.append(entries, done);
    }


    /** The session's agent fields, as decisions and session events record them. */
    Map<String, Object> agentFields(Connection c) {
        SessionIdentity id = c.identity();
        return agentFields(c, id == null ? null : id.resolve(registry.get(), c.peerUser));
    }

    Map<String, Object> agentFields(Connection c, SessionIdentity.Resolved who) {
        Agent a = who == null ? c.agent() : who.agent();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", a.id());
        m.put("name", a.name());
        m.put("uid", a.uid());
        m.put("pid", c.declaredPid());
        m.put("auth", a.how());
        m.put("session", c.number);
        if (c.lineage() != null) {
            m.put("lineage", c.lineage()); // the process tree whose session labels it shares
        }
        m.put("mode", c.mode()); // monitor: this agent's denials were logged, not enforced
        if (who != null) {
            m.putAll(c.identity().auditFields(who));
        }
        return m;
    }

    /**
     * Reloads the policy from disk. A valid policy replaces the current one atomically; an
     * invalid one is rejected with its problems and the last good policy stays in force. Both
     * outcomes are recorded in the audit log.
     */
    public Map<String, Object> reload(String trigger) {
        Bundles b = bundles;
        if (b != null) {
            // the policy comes as a bundle: fetch it again (its own lock, then the engine's: never the other way round)
            return b.poll(trigger);
        }
        return reloadFile(trigger);
    }

    private synchronized Map<String, Object> reloadFile(String trigger) {
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
            spend.policyChanged(next.spend());
            counters.reloadsOk.increment();
            record(new EngineEvent.PolicyLoaded(-1, Instant.now().toString(), trigger, next.version(), current.version(), next.rules().size(),
                    next.mode().key()));
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
            record(new EngineEvent.PolicyRejected(-1, Instant.now().toString(), trigger, current.version(), problems));
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
    /** Where the agent registry is read from, as messages and the log name it. */
    String registrySource() {
        return shared != null ? shared.where() + " (agt_registry)" : config.registryFile().toString();
    }

    public synchronized Map<String, Object> reloadRegistry(String trigger) {
        Map<String, Object> result = new LinkedHashMap<>();
        Registry current = registry.get();
        String file = registrySource();
        try {
            Registry next;
            try {
                next = shared != null ? shared.registry() : Registry.read(config.registryFile());
            } catch (java.sql.SQLException e) {
                throw new IOException(Database.describe(e));
            }
            if (next.entries().equals(current.entries())) {
                result.put("result", "unchanged");
            } else {
                registry.set(next);
                long revoked = next.entries().stream().filter(Registry.Entry::revoked).count();
                record(new EngineEvent.RegistryLoaded(-1, Instant.now().toString(), trigger, file, next.entries().size(), revoked));
                log("agent registry reloaded (" + trigger + "): " + next.entries().size() + " agents, " + revoked + " revoked");
                result.put("result", "loaded");
            }
        } catch (IdentityException | IOException e) {
            record(new EngineEvent.RegistryRejected(-1, Instant.now().toString(), trigger, file, String.valueOf(e.getMessage()),
                    current.entries().size()));
            log("agent registry rejected (" + trigger + "), keeping the last good one: " + e.getMessage());
            result.put("result", "rejected");
            result.put("problems", List.of(String.valueOf(e.getMessage())));
        }
        result.put("registry", file);
        result.put("agents", (long) registry.get().entries().size());
        return result;
    }

    /** Logs an event; a failure to is written to the engine's output (events do not deny anything). */
    void record(EngineEvent event) {
        try {
            audit.appendAndWait(EntryCodec.toMap(event));
        } catch (IOException e) {
            log("could not record " + event.event() + " in the audit log: " + e.getMessage());
        }
    }

    /** Every lineage holding labels now: its labels with the entries that set them, and the sessions connected in it. */
    private List<Object> labelStatus() {
        List<Object> out = new ArrayList<>();
        try {
            labels.all(System.currentTimeMillis()).forEach((lineage, held) -> {
                Map<String, Object> x = new LinkedHashMap<>();
                x.put("lineage", lineage);
                x.put("sessions", connections.values().stream().filter(c -> lineage.equals(c.lineage()))
                        .map(c -> (Object) (c.agent() == null ? "?" : c.agent().name()) + " #" + c.number).toList());
                Map<String, Object> l = new LinkedHashMap<>();
                held.forEach((name, label) -> l.put(name, label.toMap()));
                x.put("labels", l);
                out.add(x);
            });
        } catch (dev.agt.engine.state.StateFile.Unavailable e) {
            out.add(Map.of("problem", e.getMessage()));
        }
        return out;
    }

    /**
     * Every budget account the engine has seen in this run, against its budget: spent in the
     * current window and held for calls in flight (micro-units), limit and threshold.
     */
    private List<Object> spendStatus(Policy p) {
        List<Object> out = new ArrayList<>();
        spend.ledger().balances().forEach((a, b) -> {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("budget", a.budget().id());
            x.put("per", a.budget().per().name().toLowerCase(java.util.Locale.ROOT) + (a.budget().label().isEmpty() ? "" : ":" + a.budget().label()));
            x.put("subject", a.subject());
            x.put("window", a.budget().calendar().orElseGet(() -> a.budget().window().map(Object::toString).orElse("")));
            x.put("spent_micros", b.spent());
            x.put("held_micros", b.held());
            x.put("limit_micros", a.budget().limit());
            a.budget().warn().ifPresent(w -> x.put("warn_micros", w));
            x.put("currency", p.spend().currency());
            out.add(x);
        });
        return out;
    }

    public Map<String, Object> status() {
        Policy p = policy.get();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("engine", engineId);
        m.put("policy", p.version());
        m.put("policy_file", policyFile.toString());
        if (bundles != null) {
            m.put("bundle", bundles.status());
        }
        if (shared != null) {
            m.put("shared_state", shared.status());
        }
        if (shipper != null) {
            m.put("log_store", shipper.status());
        }
        if (otlp != null) {
            m.put("otlp", otlp.status());
        }
        if (witnessing != null) {
            m.put("witnessing", witnessing.status());
        }
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
        m.put("spend", spendStatus(p));
        m.put("labels", labelStatus());
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
        m.put("registry", shared != null ? registrySource() : config.registryFile().toAbsolutePath().toString());
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
        spend.ended(c, policy().spend().currency());
    }

    void log(String line) {
        synchronized (log) {
            log.println("agt engine: " + line);
        }
    }

    public Policy policy() {
        return policy.get();
    }

    Registry registry() {
        return registry.get();
    }

    AuditSink audit() {
        return audit;
    }

    Kills kills() {
        return kills;
    }

    /** The name this engine's log goes under in the shared log store, and its changes to shared state are signed with. */
    String name() {
        if (config.shared() != null && config.shared().name() != null) {
            return config.shared().name();
        }
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            return engineId;
        }
    }

    /**
     * A kill or revive made through another engine (or in the database) is in force here: this
     * engine's log says when it learned of it, so each host's log tells what stopped its agents.
     */
    private void remoteKill(SharedState.RemoteChange change) {
        long stopped = 0;
        for (Connection x : connections.values()) {
            SessionIdentity id = x.identity();
            if (id == null || x.adminOnly()) {
                continue;
            }
            java.util.Collection<String> handles = id.resolve(registry(), x.peerUser).handles();
            if (change.revocation() ? change.on() && handles.contains(change.agent()) : change.after().stops(handles)) {
                stopped++;
            }
        }
        if (!logReady) {
            return;
        }
        String by = change.by().isEmpty() ? "the shared state" : change.by();
        if (change.revocation()) {
            record(new EngineEvent.SharedRevocation(-1, Instant.now().toString(), change.on(), change.agent(), by, change.reason(), shared.where()));
            log((change.on() ? "revoked " : "lifted the revocation of ") + change.agent() + " by " + by + " (shared state)"
                    + (change.on() ? ": " + stopped + " connected session(s) now refused" : ""));
            return;
        }
        record(new EngineEvent.KillSwitchChange(-1, Instant.now().toString(), change.on(), Optional.ofNullable(change.agent()), by, true,
                change.after().toMap(), stopped));
        log((change.on() ? "kill " : "revive ") + (change.agent() == null ? "--all" : change.agent()) + " by " + by + " (shared state): "
                + stopped + " connected session(s) now stopped");
    }

    Approvals approvals() {
        return approvals;
    }

    dev.agt.engine.session.SessionLabels labels() {
        return labels;
    }

    /**
     * The lock under which a decision in {@code lineage} reads and sets labels: evaluation and the
     * labels it sets are one step, so concurrent calls of a process tree are decided as if one
     * after the other (striped: lineages share a lock only by hash).
     */
    Object lineageLock(String lineage) {
        return lineageLocks[Math.floorMod(lineage.hashCode(), lineageLocks.length)];
    }

    private volatile dev.agt.engine.session.SessionLabels labels;
    private volatile Approvals approvals;
    private volatile ApprovalPage approvalPage;
    /** The policy as a signed bundle, or null for a policy file. */
    private volatile Bundles bundles;
    private java.util.concurrent.ScheduledExecutorService bundlePoller;
    private volatile Witnessing witnessing;
    private java.util.concurrent.ScheduledExecutorService witnessPoller;

    /** The log's public key (from its signing key): what witnesses check the checkpoints with. */
    private NoteKeys.Verifier logVerifier() throws IOException {
        return NoteKeys.readSigner(config.keyFile()).verifier();
    }

    /** The witnesses, or null. */
    Witnessing witnessing() {
        return witnessing;
    }
    /** The policy's file: the configured one, or the entry of the bundle in force. */
    private volatile Path policyFile;
    private volatile boolean logReady;

    /** Whether the audit log is open for events. */
    boolean logOpen() {
        return logReady;
    }

    /** The bundle in force, or null. */
    Bundles.Active bundle() {
        Bundles b = bundles;
        return b == null ? null : b.active();
    }

    /** A verified bundle's policy goes in force, and its activation is logged. */
    synchronized void bundleActivated(Policy next, EngineEvent activated, Path entry) {
        policy.set(next);
        spend.policyChanged(next.spend());
        policyFile = entry;
        counters.reloadsOk.increment();
        record(activated);
    }

    /** The approval page's address with its token, or null when it is not served. */
    String approvalPageUrl() {
        return approvalPage == null ? null : approvalPage.url();
    }
    private final Object[] lineageLocks = newLocks(64);

    private static Object[] newLocks(int n) {
        Object[] locks = new Object[n];
        for (int i = 0; i < n; i++) {
            locks[i] = new Object();
        }
        return locks;
    }

    private final ModelSpend spend = new ModelSpend(new ModelSpend.Events() {
        @Override
        public void kill(dev.agt.engine.spend.Ledger.Account account) {
            budgetKill(account);
        }

        @Override
        public void warn(dev.agt.engine.spend.Ledger.Account a, dev.agt.engine.spend.Ledger.Balance b, String currency) {
            record(new dev.agt.audit.entry.EngineEvent.BudgetWarning(-1, java.time.Instant.now().toString(), a.budget().id(), a.subject(), b.spent(),
                    a.budget().warn().orElse(0L), a.budget().limit(), currency));
            log("budget " + a.budget().id() + " (" + a.subject() + "): spent " + dev.agt.engine.spend.Money.format(b.spent(), currency)
                    + ", past its warning threshold");
        }

        @Override
        public void unsettled(Connection c, String provider, String model, int calls, long cost, List<Object> budgets, String currency) {
            Object name = agentFields(c).get("name");
            record(new dev.agt.audit.entry.EngineEvent.SpendUnsettled(-1, java.time.Instant.now().toString(), String.valueOf(name), c.number,
                    provider, model, calls, cost, currency, budgets));
        }
    });

    McpFacts mcp() {
        return mcp;
    }

    /**
     * The organisation's budget is spent: every agent stops, as after {@code agt kill --all}, and
     * the kill switch file keeps it so across restarts. Logged once, when the switch changes.
     */
    private void budgetKill(dev.agt.engine.spend.Ledger.Account account) {
        KillSwitch.State before;
        KillSwitch.State after;
        try {
            before = kills.state();
            after = kills.change(s -> new KillSwitch.State(true, s.agents()), "budget " + account.budget().id() + "@" + name());
        } catch (KillSwitch.Unavailable e) {
            if (e.getMessage().startsWith(SharedState.PENDING)) {
                // in force here at once, written to the shared state when it is back
                String by = "budget " + account.budget().id() + " (on this engine only until the shared state is back)";
                Map<String, Object> now;
                try {
                    now = kills.state().toMap();
                } catch (KillSwitch.Unavailable stale) {
                    now = Map.of("all", true, "agents", List.of());
                }
                record(new dev.agt.audit.entry.EngineEvent.KillSwitchChange(-1, java.time.Instant.now().toString(), true, java.util.Optional.empty(),
                        by, true, now, connections.size()));
                log("kill --all by " + by + ": " + e.getMessage());
                return;
            }
            problems.killSwitch(e.getMessage()); // and the next decision denies state-unavailable
            return;
        }
        if (!after.equals(before)) {
            String by = "budget " + account.budget().id();
            record(new dev.agt.audit.entry.EngineEvent.KillSwitchChange(-1, java.time.Instant.now().toString(), true, java.util.Optional.empty(), by, true,
                    after.toMap(), connections.size()));
            log("kill --all by " + by + ": the organisation's budget is spent; every agent is stopped until 'agt revive --all'");
        }
    }

    /** Budgets on model calls, kept in the state directory. */
    ModelSpend spend() {
        return spend;
    }

    DecisionOwners owners() {
        return owners;
    }

    /** Set when close() begins: requests still arriving are denied {@code shutting-down}. */
    boolean shuttingDown() {
        return shuttingDown;
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
        if (bundlePoller != null) {
            bundlePoller.shutdownNow();
        }
        if (witnessPoller != null) {
            witnessPoller.shutdownNow();
        }
        if (shared != null) {
            shared.close();
        }
        if (metrics != null) {
            metrics.close();
        }
        if (approvalPage != null) {
            approvalPage.close();
        }
        // Take no new requests, then wait until every request already taken has been decided,
        // logged and answered, so that the stop event is the last entry.
        for (Connection c : connections.values()) {
            c.stopReading();
        }
        if (approvals != null) {
            approvals.stopAll(); // held calls are denied, logged and answered like the rest
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
            record(new EngineEvent.EngineStop(-1, Instant.now().toString(), engineId, counters.allowed.sum(), counters.denied.sum()));
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
        if (shipper != null) {
            try {
                shipper.round(); // the stop's checkpoint too, when the store is there
            } catch (java.sql.SQLException | IOException | RuntimeException e) {
                log("shipping the last entries to the log store failed (" + e.getMessage() + "); the next start ships them");
            }
            shipper.close();
        }
        if (otlp != null) {
            otlp.drain(3000); // the stop's entries, if the receiver takes them now; else the next start sends them
            otlp.close();
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

    /** A value shown in a message, cut to 40 characters: peers choose it. */
    static String clip(Object o) {
        String s = String.valueOf(o);
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }
}
