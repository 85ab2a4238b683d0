package dev.agt.javaagent.runtime;

import java.io.File;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The only files the agent answers for itself, without the engine: the JDK's runtime image and
 * the start-up class path, which class loading needs before anything else can work (narrow,
 * read-only, documented). Everything else, including a resource or key below a class path
 * directory, is decided by the engine like any file.
 */
final class RuntimeImage {
    /** The JDK runtime image (java.home and what its conf/lib/legal resolve to). */
    private final List<String> runtimeDirs = new ArrayList<>();
    /** Directories on the start-up class path: matched on real paths only (they may be writable). */
    private final List<String> classPathDirs = new ArrayList<>();
    private final Set<String> classPathFiles;

    RuntimeImage() {
        String home = System.getProperty("java.home");
        runtimeDirs.add(Targets.realPath(home) + "/");
        // distributions link parts of the image elsewhere (Debian: conf -> /etc/java-17-openjdk)
        for (String sub : new String[] {"conf", "lib", "legal"}) {
            String real = Targets.realPath(home + "/" + sub) + "/";
            if (!real.startsWith(runtimeDirs.get(0))) {
                runtimeDirs.add(real);
            }
        }
        String cp = System.getProperty("java.class.path", "");
        Set<String> files = new HashSet<>();
        for (String entry : cp.split(File.pathSeparator)) {
            if (entry.isEmpty()) {
                continue;
            }
            String real = Targets.realPath(entry);
            if (new File(real).isDirectory()) {
                classPathDirs.add(real.endsWith("/") ? real : real + "/"); // classes are read from below it
            } else {
                files.add(real);
            }
        }
        classPathFiles = Set.copyOf(files);
    }

    /**
     * A read of the image by the name it was written with, before any resolution. The JDK reads
     * its own files by their place in the image, some of which link out (Debian:
     * conf/security/... -> /etc/java-17-openjdk, lib/security/cacerts -> /etc/ssl/certs/java/cacerts).
     * The image is root-owned; its own links are its plumbing. Only for the image: a class path
     * directory may be writable, and a link planted there must be judged by where it leads.
     * Never with "..": after a link out of the image, ".." is the link target's parent.
     */
    boolean writtenInImage(Object written) {
        String w = String.valueOf(written);
        if (w.contains("..")) {
            return false;
        }
        if (w.startsWith("/") && !w.contains("/.") && !w.contains("//")) {
            return under(w, runtimeDirs); // already absolute and normal: no Path to build (most reads)
        }
        return under(Targets.lexical(written), runtimeDirs);
    }

    /**
     * Reads that never reach the engine, by real path: the runtime image, the jars of the start-up
     * class path, and class files (only those) below its directories.
     */
    boolean ownRead(String realPath, String action) {
        if (under(realPath, runtimeDirs) || classPathFiles.contains(realPath)) {
            return true;
        }
        if (action.equals("stat") && classPathDirs.contains(realPath + "/")) {
            return true; // the class loader resolves its directory (getCanonicalFile): its metadata, never its listing
        }
        return realPath.endsWith(".class") && under(realPath, classPathDirs);
    }

    /**
     * The JDK's own native libraries from its runtime image (libextnet, libzip...): without them
     * the JDK's networking classes fail to initialize for good, even before any policy.
     */
    boolean ownLibrary(String realPath) {
        return realPath.startsWith(runtimeDirs.get(0));
    }

    private static boolean under(String path, List<String> dirs) {
        for (String dir : dirs) {
            if (path.startsWith(dir)) {
                return true;
            }
        }
        return false;
    }
}
