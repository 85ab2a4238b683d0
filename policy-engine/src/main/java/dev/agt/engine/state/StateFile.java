package dev.agt.engine.state;

import dev.agt.identity.AtomicFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * State the engine keeps in a file of its own (the kill switch, the MCP tool pins): read at
 * start, read again while broken, changed by writing the whole file atomically before the new
 * value takes effect. A file that cannot be read or is not valid is never overwritten or
 * replaced by a fresh state: the store is unavailable (callers deny) until a person repairs or
 * removes it.
 */
public abstract class StateFile<T> {

    /** The state cannot be used: its file is unreadable or invalid, or a change cannot be written. */
    public static final class Unavailable extends Exception {
        private static final long serialVersionUID = 1L;

        public Unavailable(String message) {
            super(message);
        }
    }

    /** A file that reads but does not hold a valid state. */
    protected static final class Invalid extends IOException {
        private static final long serialVersionUID = 1L;

        public Invalid(String message) {
            super(message);
        }
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper STRICT = new com.fasterxml.jackson.databind.ObjectMapper()
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    /** A state file's bytes as a JSON object (duplicate keys refused), or {@link Invalid} saying why not. */
    protected static com.fasterxml.jackson.databind.JsonNode jsonObject(byte[] bytes) throws Invalid {
        com.fasterxml.jackson.databind.JsonNode root;
        try {
            root = STRICT.readTree(bytes);
        } catch (IOException e) {
            throw new Invalid("not JSON (" + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage()
                    : e.getMessage()) + ")");
        }
        if (root == null || !root.isObject()) {
            throw new Invalid("not a JSON object");
        }
        return root;
    }

    /** Refuses a field of {@code node} outside {@code keys}: an unknown field is a file written by something else. */
    protected static void onlyFields(com.fasterxml.jackson.databind.JsonNode node, java.util.Set<String> keys, String where) throws Invalid {
        for (java.util.Map.Entry<String, com.fasterxml.jackson.databind.JsonNode> e : node.properties()) {
            if (!keys.contains(e.getKey())) {
                throw new Invalid(where + " has an unknown field '" + e.getKey() + "'");
            }
        }
    }

    private final Path dir;
    private final Path file;
    private final String what;
    private final String whileBroken;
    private volatile T value;
    private volatile String broken;

    /**
     * @param what        how messages name the store ("the kill switch")
     * @param whileBroken what happens while it is broken and how to mend it ("every call is denied until ...")
     */
    protected StateFile(Path dir, String fileName, String what, String whileBroken) {
        this.dir = dir;
        this.file = dir.resolve(fileName);
        this.what = what;
        this.whileBroken = whileBroken;
    }

    /** Reads the file now; subclasses call it at the end of their constructor. */
    protected final synchronized void load() {
        reload();
    }

    /** Reads the state from {@code file}; a missing file is the empty state. */
    protected abstract T read(Path file) throws IOException;

    /** The bytes of a state's file. */
    protected abstract byte[] format(T state) throws IOException;

    public Path file() {
        return file;
    }

    /** Why the state cannot be used right now, or null. */
    public String problem() {
        return broken;
    }

    /** The state in force; while the file is broken, reads it again and fails when it still is. */
    protected final T current() throws Unavailable {
        T v = value;
        if (v != null) {
            return v;
        }
        synchronized (this) {
            if (value == null) {
                reload();
            }
            if (value == null) {
                throw new Unavailable(broken);
            }
            return value;
        }
    }

    /** Writes {@code next} (whole, atomically), then puts it in force. */
    protected final synchronized void store(T next) throws Unavailable {
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
            AtomicFile.write(file, format(next));
        } catch (IOException e) {
            throw new Unavailable("cannot write " + what + " " + file + ": " + e);
        }
        value = next;
    }

    private void reload() {
        try {
            value = read(file);
            broken = null;
        } catch (IOException e) {
            value = null;
            broken = what + " " + file + " " + (e instanceof Invalid ? "is not valid: " + e.getMessage() : "cannot be read: " + e)
                    + "; " + whileBroken;
        }
    }
}
