package dev.agt.engine.server;

import dev.agt.audit.FsyncPolicy;
import dev.agt.engine.session.AuthMode;
import java.nio.file.Path;
import java.util.Map;

/**
 * How an engine runs.
 *
 * @param socket      the Unix socket path, or null when only TCP is used
 * @param tcp         "HOST:PORT" on loopback, or null
 * @param group       a group to give access to the socket (mode 0660), or null for 0600
 * @param metricsPort loopback port for Prometheus metrics, or 0 for none
 * @param watch       reload the policy when its files change
 * @param stateDir    where the engine keeps state that must outlive it (MCP tool pins, the kill switch), or
 *                    null for {@code AUDIT_DIR.state} beside the audit directory
 * @param auth        how agents establish who they are; null for {@link AuthMode#LOCAL}
 * @param registry    the agent registry file, or null for {@code AUDIT_DIR.agents.json} beside the audit directory
 * @param approvalsPort loopback port for the approval page, or 0 for none
 * @param approvers   a group whose members may list and decide held calls over the Unix socket
 *                    (and nothing else an admin may do), or null for the engine's own user only
 * @param bundle      where the policy comes from as a signed bundle, or null for {@code policy}
 * @param witnessing  witnesses the engine has cosign its checkpoints, or null for none
 * @param shared      the fleet's shared state and log store in PostgreSQL, or null for this host's files only
 * @param otlp        where the log's entries and the engine's metrics go over OTLP, or null for nowhere
 */
public record EngineConfig(Path policy, Map<String, String> vars, Path socket, String tcp, String group, Path auditDir,
                           FsyncPolicy fsync, int metricsPort, boolean watch, Path key, Path witness, Path stateDir,
                           AuthMode auth, Path registry, int approvalsPort, String approvers, Bundled bundle, Witnessing witnessing,
                           Shared shared, Otlp otlp) {
    /**
     * Witnesses ({@code agt witness}) the engine sends its latest checkpoint to every
     * {@code intervalMs}: {@code urls} and {@code keys} pair up in order; {@code required}
     * cosignatures make a checkpoint witnessed.
     */
    /**
     * The kill switch, fleet-wide revocations and rate-limit buckets in PostgreSQL at {@code url}
     * (read again on every change and at least every {@code periodMs}; trusted for {@code graceMs}
     * after the last good read), and, when {@code ship}, the log shipped there under {@code name}.
     */
    public record Shared(String url, String name, long periodMs, long graceMs, boolean ship) {
    }

    /**
     * OTLP export: every log entry as a log record to {@code endpoint} (an OTLP/HTTP base URL, to
     * which /v1/logs and /v1/metrics are added), read back from the signed log and resumed from
     * {@code cursor}; metrics every {@code metricsIntervalMs}.
     */
    public record Otlp(String endpoint, Map<String, String> headers, long metricsIntervalMs, Path cursor) {
        public Otlp {
            headers = headers == null ? Map.of() : Map.copyOf(headers);
        }
    }

    public record Witnessing(java.util.List<String> urls, java.util.List<Path> keys, int required, long intervalMs) {
    }

    /**
     * A policy that comes as a signed bundle: {@code source} a URL (http, https) or a file,
     * {@code key} the public key its signature must verify with, re-fetched every {@code intervalMs}.
     */
    public record Bundled(String source, Path key, long intervalMs) {
    }

    public EngineConfig {
        vars = vars == null ? Map.of() : Map.copyOf(vars);
        fsync = fsync == null ? FsyncPolicy.INTERVAL : fsync;
        auth = auth == null ? AuthMode.LOCAL : auth;
    }

    /** With local auth and the default registry. */
    public EngineConfig(Path policy, Map<String, String> vars, Path socket, String tcp, String group, Path auditDir,
                        FsyncPolicy fsync, int metricsPort, boolean watch, Path key, Path witness, Path stateDir) {
        this(policy, vars, socket, tcp, group, auditDir, fsync, metricsPort, watch, key, witness, stateDir, null, null, 0, null, null, null, null, null);
    }

    /** This configuration with another auth mode and registry file (null: the default beside the audit directory). */
    public EngineConfig withIdentity(AuthMode auth, Path registry) {
        return new EngineConfig(policy, vars, socket, tcp, group, auditDir, fsync, metricsPort, watch, key, witness, stateDir, auth, registry,
                approvalsPort, approvers, bundle, witnessing, shared, otlp);
    }

    /** This configuration with the approval page on loopback port {@code port} (0: none). */
    public EngineConfig withApprovalsPort(int port) {
        return new EngineConfig(policy, vars, socket, tcp, group, auditDir, fsync, metricsPort, watch, key, witness, stateDir, auth, registry, port,
                approvers, bundle, witnessing, shared, otlp);
    }

    /** This configuration with an approvers group (null: the engine's own user only). */
    public EngineConfig withApprovers(String group) {
        return new EngineConfig(policy, vars, socket, tcp, this.group, auditDir, fsync, metricsPort, watch, key, witness, stateDir, auth, registry,
                approvalsPort, group, bundle, witnessing, shared, otlp);
    }

    /** This configuration with shared state in PostgreSQL (null: this host's files only). */
    public EngineConfig withShared(Shared s) {
        return new EngineConfig(policy, vars, socket, tcp, group, auditDir, fsync, metricsPort, watch, key, witness, stateDir, auth,
                registry, approvalsPort, approvers, bundle, witnessing, s, otlp);
    }

    /** This configuration with OTLP export (null: none). */
    public EngineConfig withOtlp(Otlp o) {
        return new EngineConfig(policy, vars, socket, tcp, group, auditDir, fsync, metricsPort, watch, key, witness, stateDir, auth,
                registry, approvalsPort, approvers, bundle, witnessing, shared, o);
    }

    /** This configuration with witnesses (null: none). */
    public EngineConfig withWitnessing(Witnessing w) {
        return new EngineConfig(policy, vars, socket, tcp, group, auditDir, fsync, metricsPort, watch, key, witness, stateDir, auth,
                registry, approvalsPort, approvers, bundle, w, shared, otlp);
    }

    /** This configuration with its policy from a signed bundle (the policy file is then where the bundle's entry is extracted). */
    public EngineConfig withBundle(Bundled b) {
        return new EngineConfig(policy, vars, socket, tcp, group, auditDir, fsync, metricsPort, b != null ? false : watch, key, witness, stateDir, auth,
                registry, approvalsPort, approvers, b, witnessing, shared, otlp);
    }

    /** The agent registry: --registry, or {@code AUDIT_DIR.agents.json} beside the audit directory. */
    public Path registryFile() {
        return registry != null ? registry : defaultRegistry(auditDir);
    }

    public static Path defaultRegistry(Path auditDir) {
        Path abs = auditDir.toAbsolutePath().normalize();
        return abs.resolveSibling(abs.getFileName() + ".agents.json");
    }

    /** With the default state directory. */
    public EngineConfig(Path policy, Map<String, String> vars, Path socket, String tcp, String group, Path auditDir,
                        FsyncPolicy fsync, int metricsPort, boolean watch, Path key, Path witness) {
        this(policy, vars, socket, tcp, group, auditDir, fsync, metricsPort, watch, key, witness, null);
    }

    /** Without a signing key or witness: the key is created beside the audit directory on first start. */
    public EngineConfig(Path policy, Map<String, String> vars, Path socket, String tcp, String group, Path auditDir,
                        FsyncPolicy fsync, int metricsPort, boolean watch) {
        this(policy, vars, socket, tcp, group, auditDir, fsync, metricsPort, watch, null, null);
    }

    /** The signing key: --key, or {@code AUDIT_DIR.key} beside the audit directory. */
    public Path keyFile() {
        return key != null ? key : defaultKey(auditDir);
    }

    /**
     * The state directory: {@code stateDir}, or {@code AUDIT_DIR.state} beside the audit directory.
     * Beside, not inside: the audit directory holds evidence only, append-only files a reviewer
     * copies and verifies, while state is rewritten in place.
     */
    public Path stateDirectory() {
        if (stateDir != null) {
            return stateDir;
        }
        Path abs = auditDir.toAbsolutePath().normalize();
        return abs.resolveSibling(abs.getFileName() + ".state");
    }

    public static Path defaultKey(Path auditDir) {
        Path abs = auditDir.toAbsolutePath().normalize();
        return abs.resolveSibling(abs.getFileName() + ".key");
    }

    public static Path defaultPublicKey(Path auditDir) {
        Path abs = auditDir.toAbsolutePath().normalize();
        return abs.resolveSibling(abs.getFileName() + ".pub");
    }
}
