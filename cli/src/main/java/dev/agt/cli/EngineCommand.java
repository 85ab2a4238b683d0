package dev.agt.cli;

import dev.agt.audit.FsyncPolicy;
import dev.agt.engine.policy.PolicyException;
import dev.agt.engine.server.Engine;
import dev.agt.engine.server.EngineConfig;
import dev.agt.engine.session.AuthMode;
import dev.agt.identity.IdentityException;
import dev.agt.protocol.AdminRequest;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code agt engine}: run the policy engine in the foreground. */
@Command(name = "engine", mixinStandardHelpOptions = true,
        description = {"Run the policy engine in the foreground.",
                "Prints a line containing 'ready' once it accepts connections; SIGTERM drains and stops it."},
        subcommands = EngineCommand.Status.class)
final class EngineCommand implements Callable<Integer> {
    @Option(names = "--policy", paramLabel = "FILE", description = "Policy file (YAML).")
    Path policy;

    @Option(names = "--socket", paramLabel = "PATH", description = "Unix socket to listen on (mode 0600, 0660 with --group).")
    Path socket;

    @Option(names = "--tcp", paramLabel = "HOST:PORT", description = "Also listen on loopback TCP (containers, sidecars).")
    String tcp;

    @Option(names = "--group", paramLabel = "GROUP", description = "Give this group access to the socket (mode 0660).")
    String group;

    @Option(names = "--audit-dir", paramLabel = "DIR", description = "Directory of the decision log.")
    Path auditDir;

    @Option(names = "--fsync", paramLabel = "POLICY", defaultValue = "interval",
            description = "When log writes reach the disk: always, interval (default, at most every 100 ms) or never.")
    String fsync;

    @Option(names = "--approvals-port", paramLabel = "PORT", defaultValue = "0",
            description = "Serve the approval page on 127.0.0.1:PORT (-1: any free port); the engine prints its address with the page's token.")
    int approvalsPort;

    @Option(names = "--approvers", paramLabel = "GROUP",
            description = "Members of this group (primary group, or listed in /etc/group) may list, approve and deny held calls over the socket"
                    + " (which they must be able to open: see --group); nothing else an admin may do.")
    String approvers;

    @Option(names = "--metrics-port", paramLabel = "PORT", defaultValue = "0",
            description = "Serve Prometheus metrics on 127.0.0.1:PORT/metrics.")
    int metricsPort;

    @Option(names = "--no-watch", description = "Do not reload the policy when its files change.")
    boolean noWatch;

    @Option(names = "--key", paramLabel = "FILE",
            description = "The log signing key (from 'agt audit keygen'; mode 0600). Default: AUDIT_DIR.key beside the audit directory, created on first start.")
    Path key;

    @Option(names = "--checkpoint-copy", paramLabel = "DIR",
            description = "Also copy every signed checkpoint to this directory (kept where this host cannot rewrite it, it catches a log cut back or replaced).")
    Path witness;

    @Option(names = "--auth", paramLabel = "MODE", defaultValue = "local",
            description = "How agents establish who they are: local (default: a declared name with the socket's peer user, or a proven DID)"
                    + " or required (every agent proves a registered DID by an Ed25519 challenge).")
    String auth;

    @Option(names = "--registry", paramLabel = "FILE",
            description = "The agent registry (from 'agt identity create'). Default: AUDIT_DIR.agents.json beside the audit directory.")
    Path registry;

    @Option(names = "--bundle", paramLabel = "URL|FILE",
            description = "Take the policy from a signed bundle ('agt policy bundle build'), fetched over http(s) or read from a file,"
                    + " at start and every --bundle-interval; needs --bundle-key. Replaces --policy.")
    String bundle;

    @Option(names = "--bundle-key", paramLabel = "PUB", description = "The public key a bundle's signature must verify with.")
    Path bundleKey;

    @Option(names = "--bundle-interval", paramLabel = "DURATION", defaultValue = "60s",
            description = "How often the bundle is fetched again (e.g. 30s, 5m; at least 1s). Default: 60s.")
    String bundleInterval;

    @Option(names = "--witness", paramLabel = "URL",
            description = "A witness ('agt witness') to cosign the log's checkpoints (repeatable; pair each with a --witness-key, in order).")
    java.util.List<String> witnessUrls = new java.util.ArrayList<>();

    @Option(names = "--witness-key", paramLabel = "PUB", description = "That witness's public key (repeatable).")
    java.util.List<Path> witnessKeys = new java.util.ArrayList<>();

    @Option(names = "--witnesses", paramLabel = "N", description = "Cosignatures that make a checkpoint witnessed (default: every witness).")
    Integer witnessesRequired;

    @Option(names = "--witness-interval", paramLabel = "DURATION", defaultValue = "30s",
            description = "How often the latest checkpoint goes to the witnesses (e.g. 30s, 5m; at least 1s). Default: 30s.")
    String witnessInterval;

    @Option(names = "--state", paramLabel = "URL",
            description = "Keep the kill switch, fleet-wide revocations and rate-limit buckets in PostgreSQL (postgresql://USER@HOST:PORT/DB;"
                    + " password from PGPASSWORD), shared by every engine given the same URL, and ship this engine's log there."
                    + " The database must be at this agt's schema ('agt state migrate').")
    String state;

    @Option(names = "--engine-name", paramLabel = "NAME",
            description = "This engine's name in the shared log store and in shared-state changes (default: the host name). Unique per engine.")
    String engineName;

    @Option(names = "--state-grace", paramLabel = "DURATION", defaultValue = "5s",
            description = "How long the last read of the shared state is trusted while the database cannot be reached;"
                    + " after that every call is denied (state-unavailable) until it can. Default: 5s.")
    String stateGrace;

    @Option(names = "--state-poll", paramLabel = "DURATION", defaultValue = "1s",
            description = "How often the shared state is read even without a notification (changes are notified at once). Default: 1s.")
    String statePoll;

    @Option(names = "--no-log-store", description = "With --state: do not ship the log to the shared store.")
    boolean noLogStore;

    @Option(names = "--otlp-endpoint", paramLabel = "URL",
            description = "Send every log entry as an OTLP log record, and the engine's metrics, to this OTLP/HTTP receiver"
                    + " (e.g. http://collector:4318; /v1/logs and /v1/metrics are added). Records are read back from the signed log:"
                    + " decisions never wait for the receiver, and an outage loses nothing (the export resumes from its cursor).")
    String otlpEndpoint;

    @Option(names = "--otlp-header", paramLabel = "NAME=VALUE",
            description = "A header for every OTLP request; repeatable. Secrets (authorization) belong in OTEL_EXPORTER_OTLP_HEADERS"
                    + " (NAME=VALUE,...), which is read too: a command line is readable by every user of the host.")
    List<String> otlpHeaders = new java.util.ArrayList<>();

    @Option(names = "--otlp-metrics-interval", paramLabel = "DURATION", defaultValue = "10s",
            description = "How often metrics are sent over OTLP. Default: 10s.")
    String otlpMetricsInterval;

    @Option(names = "--otlp-cursor", paramLabel = "FILE",
            description = "Where the export keeps the next entry to send. Default: AUDIT_DIR.otlp-cursor beside the audit directory.")
    Path otlpCursor;

    @Mixin
    Vars vars;

    /** Milliseconds in "30s", "5m", "1h", or null. */
    static Long duration(String text) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("([1-9][0-9]{0,5})(s|m|h)").matcher(text);
        if (!m.matches()) {
            return null;
        }
        return Long.parseLong(m.group(1)) * switch (m.group(2)) {
            case "s" -> 1000L;
            case "m" -> 60_000L;
            default -> 3_600_000L;
        };
    }

    @Override
    public Integer call() throws Exception {
        PrintStream err = System.err;
        // not picocli-required: that would demand them for 'engine status' too
        if ((policy == null) == (bundle == null) || auditDir == null) {
            err.println("agt: engine needs --policy FILE (or --bundle URL|FILE with --bundle-key PUB) and --audit-dir DIR (see 'agt engine --help')");
            return 2;
        }
        EngineConfig.Witnessing witnessing = null;
        if (!witnessUrls.isEmpty() || !witnessKeys.isEmpty()) {
            if (witnessUrls.size() != witnessKeys.size()) {
                err.println("agt: give one --witness-key per --witness, in the same order");
                return 2;
            }
            for (String u : witnessUrls) {
                if (!u.startsWith("http://") && !u.startsWith("https://")) {
                    err.println("agt: --witness takes a witness's URL ('" + u + "' is not one); to copy checkpoints to a directory, use --checkpoint-copy DIR");
                    return 2;
                }
            }
            int need = witnessesRequired != null ? witnessesRequired : witnessUrls.size();
            if (need < 1 || need > witnessUrls.size()) {
                err.println("agt: --witnesses must be between 1 and the number of witnesses (" + witnessUrls.size() + ")");
                return 2;
            }
            Long every = duration(witnessInterval);
            if (every == null) {
                err.println("agt: --witness-interval: '" + witnessInterval + "' is not a duration such as 30s, 5m or 1h");
                return 2;
            }
            witnessing = new EngineConfig.Witnessing(witnessUrls, witnessKeys, need, every);
        }
        EngineConfig.Bundled bundled = null;
        if (bundle != null) {
            if (bundleKey == null) {
                err.println("agt: --bundle needs --bundle-key PUB: a bundle is activated only when its signature verifies");
                return 2;
            }
            Long ms = duration(bundleInterval);
            if (ms == null) {
                err.println("agt: --bundle-interval: '" + bundleInterval + "' is not a duration such as 30s, 5m or 1h");
                return 2;
            }
            bundled = new EngineConfig.Bundled(bundle, bundleKey, ms);
        }
        EngineConfig.Shared sharedState = null;
        if (state != null) {
            try {
                dev.agt.engine.shared.Database.of(state);
            } catch (dev.agt.engine.shared.Database.BadUrl e) {
                err.println("agt: --state: " + e.getMessage());
                return 2;
            }
            Long grace = duration(stateGrace);
            if (grace == null) {
                err.println("agt: --state-grace: '" + stateGrace + "' is not a duration such as 5s or 1m");
                return 2;
            }
            if (engineName != null && !engineName.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,127}")) {
                err.println("agt: --engine-name: '" + engineName + "' must be letters, digits, '.', '_' or '-' (at most 128)");
                return 2;
            }
            Long poll = duration(statePoll);
            if (poll == null) {
                err.println("agt: --state-poll: '" + statePoll + "' is not a duration such as 1s or 1m");
                return 2;
            }
            if (grace < 3 * poll) {
                // a healthy engine's snapshot ages by up to one period between reads: a tighter grace would deny in passing
                err.println("agt: --state-grace must be at least three times --state-poll (" + statePoll + ")");
                return 2;
            }
            if (registry != null) {
                err.println("agt: with --state the agent registry is the shared one (agt_registry); drop --registry"
                        + " and register agents with 'agt identity create NAME --registry " + state.replaceAll("//.*@", "//...@") + "'");
                return 2;
            }
            sharedState = new EngineConfig.Shared(state, engineName, poll, grace, !noLogStore);
        } else if (engineName != null || noLogStore) {
            err.println("agt: --engine-name and --no-log-store go with --state URL");
            return 2;
        }
        EngineConfig.Otlp otlp = null;
        if (otlpEndpoint != null) {
            java.net.URI u;
            try {
                u = new java.net.URI(otlpEndpoint);
            } catch (java.net.URISyntaxException e) {
                u = null;
            }
            if (u == null || !("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null) {
                err.println("agt: --otlp-endpoint: '" + otlpEndpoint + "' is not an http(s) URL such as http://collector:4318");
                return 2;
            }
            Map<String, String> headers = new java.util.LinkedHashMap<>();
            List<String> given = new java.util.ArrayList<>();
            String env = System.getenv("OTEL_EXPORTER_OTLP_HEADERS"); // the SDK's own variable: NAME=VALUE,NAME=VALUE, kept off the command line
            if (env != null && !env.isBlank()) {
                for (String h : env.split(",")) {
                    given.add(java.net.URLDecoder.decode(h.trim(), java.nio.charset.StandardCharsets.UTF_8));
                }
            }
            given.addAll(otlpHeaders);
            for (String h : given) {
                int eq = h.indexOf('=');
                if (eq <= 0 || !h.substring(0, eq).matches("[A-Za-z0-9-]+")) {
                    err.println("agt: --otlp-header: '" + h.replaceAll("=.*", "=...") + "' is not NAME=VALUE");
                    return 2;
                }
                headers.put(h.substring(0, eq), h.substring(eq + 1));
            }
            Long interval = duration(otlpMetricsInterval);
            if (interval == null || interval < 1000) {
                err.println("agt: --otlp-metrics-interval: '" + otlpMetricsInterval + "' is not a duration of 1s or more");
                return 2;
            }
            otlp = new EngineConfig.Otlp(otlpEndpoint, headers, interval, otlpCursor);
        } else if (!otlpHeaders.isEmpty() || otlpCursor != null) {
            err.println("agt: --otlp-header and --otlp-cursor go with --otlp-endpoint URL");
            return 2;
        }
        if (socket == null && tcp == null) {
            err.println("agt: engine needs --socket PATH (or --tcp HOST:PORT)");
            return 2;
        }
        FsyncPolicy fs;
        try {
            fs = FsyncPolicy.parse(fsync);
        } catch (IllegalArgumentException e) {
            err.println("agt: " + e.getMessage());
            return 2;
        }
        AuthMode authMode;
        try {
            authMode = AuthMode.parse(auth);
        } catch (IllegalArgumentException e) {
            err.println("agt: --" + e.getMessage());
            return 2;
        }
        Engine engine = new Engine(new EngineConfig(policy, vars.map(), socket, tcp, group, auditDir, fs, metricsPort, !noWatch, key, witness)
                .withIdentity(authMode, registry).withApprovalsPort(approvalsPort).withApprovers(approvers).withBundle(bundled).withWitnessing(witnessing)
                .withShared(sharedState).withOtlp(otlp), err);
        try {
            engine.start();
        } catch (PolicyException e) {
            err.println("agt: refusing to start: the policy has " + e.problems().size() + " problem(s):");
            e.problems().forEach(p -> err.println("agt: " + p));
            engine.close();
            return 1;
        } catch (IdentityException e) {
            err.println("agt: refusing to start: the agent registry is invalid:");
            err.println("agt: " + e.getMessage());
            engine.close();
            return 1;
        } catch (java.io.IOException e) {
            err.println("agt: cannot start the engine: " + e.getMessage());
            engine.close();
            return 2;
        }
        // SIGTERM and SIGINT: drain, flush and exit 0, as a service manager expects of a clean stop.
        // The shutdown hook still covers every other way the JVM may go down.
        Runtime.getRuntime().addShutdownHook(new Thread(engine::close, "agt-shutdown"));
        for (String sig : new String[] {"TERM", "INT"}) {
            sun.misc.Signal.handle(new sun.misc.Signal(sig), s -> new Thread(engine::close, "agt-stop-" + sig).start());
        }
        System.out.println(engine.readyLine());
        System.out.flush();
        engine.awaitStop();
        try {
            Map<String, Object> last = engine.status();
            System.err.println("agt engine: stopped: " + last.get("allowed") + " allowed, " + last.get("denied") + " denied; the log ("
                    + last.get("audit_dir") + ") is flushed and signed up to its last entry");
        } catch (RuntimeException e) {
            System.err.println("agt engine: stopped");
        }
        return 0;
    }

    /** {@code agt engine status}. */
    @Command(name = "status", mixinStandardHelpOptions = true, description = "Show a running engine's status.")
    static final class Status implements Callable<Integer> {
        @Option(names = "--socket", required = true, paramLabel = "PATH", description = "The engine's Unix socket.")
        String socket;

        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            Map<String, Object> s = Admin.call(socket, new AdminRequest.Status());
            if (s == null) {
                return 2;
            }
            if (json) {
                System.out.println(Admin.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(s));
                return 0;
            }
            System.out.println("engine:    " + s.get("engine"));
            System.out.println("policy:    " + s.get("policy") + " (" + s.get("rules") + " rules, " + s.get("policy_file") + ")");
            if (s.get("witnessing") instanceof Map<?, ?> w) {
                System.out.println("witnessed: up to size " + w.get("witnessed_size") + " by " + w.get("required") + " of " + w.get("witnesses")
                        + " witnesses (last round " + w.get("last_round") + ", cosigned by " + w.get("last_cosigned_by") + ")");
            }
            if (s.get("bundle") instanceof Map<?, ?> b && !b.isEmpty()) {
                System.out.println("bundle:    version " + b.get("version") + ", " + b.get("hash") + " (signed by " + b.get("signed_by") + ", from "
                        + b.get("source") + ", since " + b.get("activated") + ")");
                if (b.get("refused") != null) {
                    System.out.println("           the newest fetch was REFUSED: " + b.get("refused"));
                }
            }
            if (s.get("shared_state") instanceof Map<?, ?> st) {
                System.out.println("shared:    " + st.get("database") + (Boolean.TRUE.equals(st.get("trusted")) ? ", read " + st.get("read_ms_ago") + " ms ago"
                        : ", NOT TRUSTED (every call denied): " + st.get("problem")) + (st.get("kills_not_written") != null
                        ? "; kills in force here, not yet written: " + st.get("kills_not_written") : ""));
            }
            if (s.get("log_store") instanceof Map<?, ?> ls) {
                System.out.println("log store: " + ls.get("shipped") + " entries shipped as engine " + ls.get("engine_name") + " (checkpointed "
                        + ls.get("checkpointed") + ")" + (ls.get("problem") != null ? "; STOPPED: " + ls.get("problem") : ""));
            }
            if (s.get("otlp") instanceof Map<?, ?> o) {
                System.out.println("otlp:      " + o.get("exported") + " records exported, next entry " + o.get("next") + ", " + o.get("behind")
                        + " signed entries behind" + (o.get("error") != null ? "; RETRYING: " + o.get("error") : ""));
            }
            System.out.println("uptime:    " + Admin.duration((Long) s.get("uptime_ms")) + " (since " + s.get("started") + ")");
            System.out.println("auth:      " + s.get("auth") + ", registry " + s.get("registry") + " (" + s.get("registry_agents") + " agents)");
            if (s.get("kill") instanceof Map<?, ?> k) {
                boolean all = Boolean.TRUE.equals(k.get("all"));
                List<?> stopped = (List<?>) k.get("agents");
                System.out.println("kill:      " + (all ? "ALL AGENTS STOPPED" + (stopped.isEmpty() ? "" : ", and ") : "")
                        + (stopped.isEmpty() ? (all ? "" : "none") : "stopped: " + stopped));
            } else if (s.get("kill_problem") != null) {
                System.out.println("kill:      UNUSABLE, every call denied: " + s.get("kill_problem"));
            }
            List<?> agents = (List<?>) s.get("agents");
            System.out.println("agents:    " + agents.size() + " connected");
            for (Object a : agents) {
                Map<?, ?> m = (Map<?, ?>) a;
                System.out.println("           " + m.get("name") + " (uid " + m.get("uid") + ", pid " + m.get("pid") + ", " + m.get("auth")
                        + (m.get("did") == null ? "" : ", " + m.get("did")) + (m.get("chain") instanceof List<?> c ? ", delegate at depth " + c.size() : "")
                        + ")");
            }
            System.out.println("decisions: " + s.get("allowed") + " allowed, " + s.get("denied") + " denied");
            if (s.get("spend") instanceof List<?> spend && !spend.isEmpty()) {
                System.out.println("spend:     " + spend.size() + " budget account(s) (agt spend shows them)");
                for (Object o : spend) {
                    Map<?, ?> m = (Map<?, ?>) o;
                    System.out.println("           " + m.get("budget") + " " + m.get("subject") + ": " + SpendCommand.amount(((Number) m.get("spent_micros")).longValue())
                            + " of " + SpendCommand.amount(((Number) m.get("limit_micros")).longValue()) + " " + m.get("currency"));
                }
            }
            System.out.println("audit:     " + s.get("audit_dir") + ", next seq " + s.get("audit_next_seq") + ", "
                    + s.get("audit_failures") + " write failures");
            System.out.println("reloads:   " + s.get("reloads_ok") + " loaded, " + s.get("reloads_rejected") + " rejected");
            return 0;
        }
    }
}
