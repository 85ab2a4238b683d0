package dev.agt.javaagent.runtime;

import dev.agt.identity.AgentKey;
import dev.agt.javaagent.bootstrap.Dispatcher;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.stream.Stream;

/**
 * Keys for child JVMs, delegated from this agent's (same scope, {@code delegationTtl}) and
 * written 0600 into a private directory. The child proves the key with the chain its file
 * carries, and is cut off with its parent. Removed at exit as the agent's own work:
 * {@code File.deleteOnExit} would run through the checks.
 */
final class ChildKeys {
    private final Settings settings;
    private final EngineSession session;
    private final Object key;
    private Path dir;

    ChildKeys(Settings settings, EngineSession session, Object key) {
        this.settings = settings;
        this.session = session;
        this.key = key;
    }

    /** A delegated key file for a child JVM; null when this agent has no identity or the key cannot be made. */
    synchronized String mint() {
        AgentKey k = session.identity();
        if (k == null) {
            return null;
        }
        Options o = settings.options();
        try {
            if (dir == null) {
                dir = Files.createTempDirectory("agt-delegations-", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
            AgentKey child = k.delegate(AgentKey.generate(o.name() + "/child"), k.scope(), Duration.ofSeconds(o.delegationTtlSeconds()));
            Path file = dir.resolve(child.did().substring(child.did().length() - 16) + ".key");
            child.write(file);
            return file.toString();
        } catch (Exception e) {
            // no delegated key: the child presents none, and an engine that requires identities refuses it
            System.err.println("agt: could not delegate an identity to a child JVM: " + e.getMessage());
            return null;
        }
    }

    /** Removes every key minted (best effort at exit: they are 0600 in a 0700 directory and expire with their tokens). */
    synchronized void removeAll() {
        Path d = dir;
        if (d == null) {
            return;
        }
        Dispatcher.enter(key);
        try (Stream<Path> files = Files.list(d)) {
            files.forEach(f -> f.toFile().delete());
            d.toFile().delete();
        } catch (IOException | RuntimeException e) {
            // best effort
        } finally {
            Dispatcher.exit(key);
        }
    }
}
