package dev.agt.engine.server;

import dev.agt.engine.audit.FsyncPolicy;
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
 */
public record EngineConfig(Path policy, Map<String, String> vars, Path socket, String tcp, String group, Path auditDir,
                           FsyncPolicy fsync, int metricsPort, boolean watch) {
    public EngineConfig {
        vars = vars == null ? Map.of() : Map.copyOf(vars);
        fsync = fsync == null ? FsyncPolicy.INTERVAL : fsync;
    }
}
