package dev.agt.engine.server;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Binds the engine's Unix socket so that it is never reachable with a wider mode than asked.
 * Java cannot set the umask, so a socket bound in place would be world-connectable until its
 * chmod. Instead it is bound inside a fresh 0700 directory, narrowed to 0600 (or 0660 with a
 * group), then renamed into place; a rename keeps the bound socket working.
 */
final class SocketBinder {
    private SocketBinder() {
    }

    /** Refuses, before the engine touches its log or keys, a socket another engine answers on. */
    static void refuseIfServed(Path socket) throws IOException {
        Path target = socket.toAbsolutePath();
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)
                && !Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS) && !Files.isSymbolicLink(target) && served(target)) {
            throw new IOException("another engine is already listening on " + target);
        }
    }

    private static boolean served(Path target) {
        try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(target))) {
            return true;
        } catch (IOException refused) {
            return false;
        }
    }

    static ServerSocketChannel bind(Path socket, String group) throws IOException {
        Path target = socket.toAbsolutePath();
        Path dir = target.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new IOException("socket directory " + dir + " does not exist");
        }
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            if (Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS) || Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)
                    || Files.isSymbolicLink(target)) {
                throw new IOException(target + " exists and is not a socket; refusing to replace it");
            }
            if (served(target)) {
                throw new IOException("another engine is already listening on " + target);
            }
            Files.delete(target); // stale socket of an engine that died
        }
        Path tmp = Files.createTempDirectory(dir, ".agt-bind-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path staging = tmp.resolve("s");
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            server.bind(UnixDomainSocketAddress.of(staging), 512);
            PosixFileAttributeView view = Files.getFileAttributeView(staging, PosixFileAttributeView.class);
            if (group != null) {
                GroupPrincipal g = FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByGroupName(group);
                view.setGroup(g);
                view.setPermissions(PosixFilePermissions.fromString("rw-rw----"));
            } else {
                view.setPermissions(PosixFilePermissions.fromString("rw-------"));
            }
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            return server;
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        } finally {
            Files.deleteIfExists(staging);
            Files.deleteIfExists(tmp);
        }
    }
}
