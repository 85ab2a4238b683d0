package dev.agt.javaagent.gates;

import java.util.List;

/**
 * The table of gated JDK methods: the file system's native gateways. Every NIO file operation,
 * whatever API or stream it came from (Files, channels, SecureDirectoryStream, attribute views,
 * copy and move, watch keys), calls {@code sun.nio.fs.UnixNativeDispatcher}; every java.io.File
 * operation calls {@code java.io.FileSystem}. Both are gated at every call site (see {@link Gate}),
 * so a route that skips the public API still meets the decision, and JDK 17's natives without a
 * Java wrapper are governed as well as JDK 25's wrapped ones.
 *
 * <p>Descriptor-relative calls ({@code openat}, {@code unlinkat}, {@code renameat},
 * {@code fstatat}, {@code fchmodat}, {@code utimensat}) and descriptor calls ({@code fchmod},
 * {@code fchown}, {@code futimens}, {@code fsetxattr}, {@code fdopendir}) are decided on the real
 * path, which the agent reads from {@code /proc/self/fd}.
 *
 * <p>Not gated, and why (the coverage map test checks the rest of the natives): {@code read},
 * {@code write}, {@code fstat}, {@code readdir}, {@code close}, {@code fgetxattr} and
 * {@code flistxattr} work on a descriptor whose opening was decided; {@code getcwd},
 * {@code getpwuid}/{@code getpwnam}/{@code getgrgid}/{@code getgrnam} and {@code strerror} take no
 * path.
 */
public final class GateInstrumentation {
    private GateInstrumentation() {
    }

    static final String UND = "sun/nio/fs/UnixNativeDispatcher";
    static final String IOFS = "java/io/FileSystem";

    private static Gate nio(String name, String target, int... loads) {
        return new Gate("file", UND, name, false, loads, target, false, false);
    }

    /** Present on only some supported JDKs (the self-check does not require them). */
    private static Gate nioSome(String name, String target, int... loads) {
        return new Gate("file", UND, name, false, loads, target, false, true);
    }

    private static Gate io(String name, String target, int... loads) {
        return new Gate("file", IOFS, name, true, loads, target, false, false);
    }

    /** A java.io metadata probe: denied, it answers as for a file that is not there. */
    private static Gate ioProbe(String name) {
        return new Gate("file", IOFS, name, true, new int[] {0}, "ioStat", true, false);
    }

    public static final List<Gate> GATES = List.of(
            // sun.nio.fs: opening (read or write by the flags), creating, deleting, renaming, linking
            nio("open", "fsOpen", 0, 1),
            nio("openat", "fsOpenAt", 0, 1, 2),
            nio("mknod", "fsCreate", 0),
            nio("mkdir", "fsCreate", 0),
            nio("unlink", "fsDelete", 0),
            nio("rmdir", "fsDelete", 0),
            nio("unlinkat", "fsDeleteAt", 0, 1),
            nio("rename", "fsRename", 0, 1),
            nio("renameat", "fsRenameAt", 0, 1, 2, 3),
            nio("link", "fsLink", 1, 0), // link(existing, newLink): decided as the new link pointing at existing
            nio("symlink", "fsSymlink", 1, 0), // symlink(target bytes, link)
            // sun.nio.fs: attribute changes (permissions, owners, times, extended and dos: attributes)
            nio("chmod", "fsAttr", 0),
            nio("chown", "fsAttr", 0),
            nio("lchown", "fsAttrLink", 0), // l*: the link itself, not what it points at
            nioSome("utimes", "fsAttr", 0),
            nioSome("lutimes", "fsAttrLink", 0),
            nio("fchmod", "fsAttrFd", 0),
            nio("fchown", "fsAttrFd", 0),
            nioSome("futimes", "fsAttrFd", 0),
            nio("futimens", "fsAttrFd", 0),
            nioSome("fchmodat", "fsAttrAt", 0, 1),
            nioSome("utimensat", "fsAttrAt", 0, 1),
            nio("fsetxattr", "fsAttrFd", 0),
            nio("fremovexattr", "fsAttrFd", 0),
            // sun.nio.fs: listing
            nio("opendir", "fsList", 0),
            nio("fdopendir", "fsListFd", 0),
            // sun.nio.fs: metadata (file/stat): existence, size, times, link targets, free space
            nio("stat", "fsStat", 0),
            nioSome("stat2", "fsStat", 0),
            nio("lstat", "fsStatLink", 0),
            nio("fstatat", "fsStatAt", 0, 1, 2), // flags: AT_SYMLINK_NOFOLLOW
            nio("access", "fsStat", 0),
            nioSome("exists", "fsStat", 0),
            nio("readlink", "fsStatLink", 0),
            nio("realpath", "fsStat", 0),
            nio("statvfs", "fsStat", 0),
            // java.io.File through java.io.FileSystem: changes throw, as File's own methods always did
            io("createFileExclusively", "ioCreateFile", 0), // createNewFile and createTempFile
            io("createDirectory", "ioCreateDirectory", 0),
            io("delete", "ioDelete", 0),
            io("rename", "ioRename", 0, 1),
            io("list", "ioList", 0),
            io("setPermission", "ioAttr", 0),
            io("setLastModifiedTime", "ioAttr", 0),
            io("setReadOnly", "ioAttr", 0),
            io("canonicalize", "ioCanonicalize", 0),
            // java.io.File metadata: exists, isFile, isDirectory, isHidden, canRead..., length, lastModified, free space
            ioProbe("getBooleanAttributes"),
            ioProbe("hasBooleanAttributes"),
            ioProbe("checkAccess"),
            ioProbe("getLastModifiedTime"),
            ioProbe("getLength"),
            ioProbe("getSpace"));
}
