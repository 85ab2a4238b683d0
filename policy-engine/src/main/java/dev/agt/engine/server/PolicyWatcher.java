package dev.agt.engine.server;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Reloads the policy when one of its files changes, and the agent registry when its file does.
 * Directories are watched, not files, because editors and config tools (and {@code agt identity})
 * replace files by rename. Events are debounced so that a save that touches a file several times
 * loads once.
 */
final class PolicyWatcher implements AutoCloseable {
    private static final long DEBOUNCE_MS = 200;
    private final Engine engine;
    private final WatchService service;
    private volatile Set<Path> files = Set.of();
    private volatile Set<Path> registryFiles = Set.of();
    private final Set<Path> dirs = new HashSet<>();
    private final Thread thread;

    PolicyWatcher(Engine engine) throws IOException {
        this.engine = engine;
        this.service = FileSystems.getDefault().newWatchService();
        this.thread = new Thread(this::run, "agt-policy-watcher");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    synchronized void watch(List<Path> paths) {
        Set<Path> fs = new HashSet<>();
        for (Path p : paths) {
            fs.add(register(p, "policy changes"));
        }
        files = Set.copyOf(fs);
    }

    synchronized void watchRegistry(Path file) {
        registryFiles = Set.of(register(file, "agent registry changes"));
    }

    private Path register(Path p, String what) {
        Path abs = p.toAbsolutePath().normalize();
        Path dir = abs.getParent();
        if (dir != null && dirs.add(dir)) {
            try {
                dir.register(service, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                        StandardWatchEventKinds.ENTRY_DELETE);
            } catch (IOException e) {
                engine.log("cannot watch " + dir + " for " + what + ": " + e.getMessage());
            }
        }
        return abs;
    }

    private void run() {
        try {
            while (true) {
                WatchKey key = service.take();
                int hits = relevant(key);
                // debounce: collect everything that happens in the next moment
                WatchKey more;
                while ((more = service.poll(DEBOUNCE_MS, TimeUnit.MILLISECONDS)) != null) {
                    hits |= relevant(more);
                }
                if ((hits & POLICY) != 0) {
                    engine.reload("file-change");
                }
                if ((hits & REGISTRY) != 0) {
                    engine.reloadRegistry("file-change");
                }
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closing
        }
    }

    private static final int POLICY = 1;
    private static final int REGISTRY = 2;

    private int relevant(WatchKey key) {
        int hit = 0;
        Path dir = (Path) key.watchable();
        for (WatchEvent<?> ev : key.pollEvents()) {
            if (ev.kind() == StandardWatchEventKinds.OVERFLOW) {
                hit |= POLICY | REGISTRY;
            } else if (ev.context() instanceof Path name) {
                Path p = dir.resolve(name).toAbsolutePath().normalize();
                if (files.contains(p)) {
                    hit |= POLICY;
                }
                if (registryFiles.contains(p)) {
                    hit |= REGISTRY;
                }
            }
        }
        key.reset();
        return hit;
    }

    @Override
    public void close() {
        try {
            service.close();
        } catch (IOException ignored) {
            // stopping anyway
        }
    }
}
