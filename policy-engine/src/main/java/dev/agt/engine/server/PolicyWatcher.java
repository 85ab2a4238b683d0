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
 * Reloads the policy when one of its files changes. Directories are watched, not files, because
 * editors and config tools replace files by rename. Events are debounced so that a save that
 * touches a file several times loads once.
 */
final class PolicyWatcher implements AutoCloseable {
    private static final long DEBOUNCE_MS = 200;
    private final Engine engine;
    private final WatchService service;
    private volatile Set<Path> files = Set.of();
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
            Path abs = p.toAbsolutePath().normalize();
            fs.add(abs);
            Path dir = abs.getParent();
            if (dir != null && dirs.add(dir)) {
                try {
                    dir.register(service, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                            StandardWatchEventKinds.ENTRY_DELETE);
                } catch (IOException e) {
                    engine.log("cannot watch " + dir + " for policy changes: " + e.getMessage());
                }
            }
        }
        files = Set.copyOf(fs);
    }

    private void run() {
        try {
            while (true) {
                WatchKey key = service.take();
                boolean relevant = relevant(key);
                // debounce: collect everything that happens in the next moment
                WatchKey more;
                while ((more = service.poll(DEBOUNCE_MS, TimeUnit.MILLISECONDS)) != null) {
                    relevant |= relevant(more);
                }
                if (relevant) {
                    engine.reload("file-change");
                }
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closing
        }
    }

    private boolean relevant(WatchKey key) {
        boolean hit = false;
        Path dir = (Path) key.watchable();
        for (WatchEvent<?> ev : key.pollEvents()) {
            if (ev.context() instanceof Path name && files.contains(dir.resolve(name).toAbsolutePath().normalize())) {
                hit = true;
            } else if (ev.kind() == StandardWatchEventKinds.OVERFLOW) {
                hit = true;
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
