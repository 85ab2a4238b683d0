package dev.agt.identity;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The agent key file: a few lines of text, one {@code key: value} per line, {@code #} comments.
 *
 * <pre>
 * # agt agent key -- secret: whoever reads this file can act as the agent
 * agt-agent-key: 1
 * name: research-agent
 * did: did:key:z6Mk...
 * seed: BASE64URL (the 32-byte Ed25519 seed, unpadded)
 * chain: TOKEN        (zero or more: the delegation chain, root first; delegates only)
 * </pre>
 * {@code agt-agent-key} comes first; {@code name}, {@code did} and {@code seed} once each;
 * {@code did} must be the seed's (a file edited by hand, or mixed up with another, is refused).
 *
 * <p>A {@code chain} token's encoding is checked here ({@link DelegationToken#checkEncoding}), its
 * payload is not: the javaagent reads this file at start-up, and reading a payload would load a
 * JSON parser into every child JVM (about 45 ms of class loading on JDK 17, where the whole agent
 * start-up budget is 300 ms). Nothing is trusted for it: the payload is read when the chain is
 * used (delegating further), and the engine reads and verifies every link at the handshake and
 * refuses the session for a malformed one.
 *
 * <p>The file is created with mode 0600 in the same call that creates it (never widened, then
 * narrowed), and never overwritten. A file that group or others may read or write is refused on
 * reading, with the mode and the fix, because such a key no longer identifies one agent.
 */
public final class KeyFile {
    static final String MAGIC = "agt-agent-key";
    static final int VERSION = 1;
    static final int MAX_BYTES = 64 * 1024;
    private static final Set<PosixFilePermission> NOT_OWNER = EnumSet.of(PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private KeyFile() {
    }

    public static AgentKey read(Path file) throws IOException, IdentityException {
        Set<PosixFilePermission> perms;
        try {
            perms = Files.getPosixFilePermissions(file);
        } catch (NoSuchFileException e) {
            throw keyFile(file + ": no such agent key file (create one with 'agt identity create')");
        } catch (UnsupportedOperationException e) {
            throw keyFile(file + ": its mode cannot be checked (not a POSIX file system); keep agent keys where mode 0600 holds");
        }
        Set<PosixFilePermission> wide = EnumSet.noneOf(PosixFilePermission.class);
        wide.addAll(perms);
        wide.retainAll(NOT_OWNER);
        if (!wide.isEmpty()) {
            throw keyFile(file + ": mode " + octal(perms) + " (" + PosixFilePermissions.toString(perms)
                    + ") lets others read or change the agent key; it must be 0600: run 'chmod 600 " + file + "'");
        }
        if (Files.size(file) > MAX_BYTES) {
            throw keyFile(file + ": " + Files.size(file) + " bytes is too large for an agent key file");
        }
        return parse(file.toString(), Files.readString(file, StandardCharsets.UTF_8));
    }

    /**
     * Reads key file text.
     *
     * @param source the file name, for messages ({@code FILE:LINE:COLUMN: ...})
     */
    public static AgentKey parse(String source, String text) throws IdentityException {
        String name = null;
        String did = null;
        byte[] seed = null;
        int didLine = 0;
        boolean magic = false;
        List<String> chain = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        String[] lines = text.split("\n", -1);
        for (int n = 1; n <= lines.length; n++) {
            String line = lines[n - 1];
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            if (line.isBlank() || line.stripLeading().startsWith("#")) {
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0 || colon + 1 >= line.length() || line.charAt(colon + 1) != ' ') {
                throw at(source, n, 1, "expected 'key: value'");
            }
            String key = line.substring(0, colon);
            String value = line.substring(colon + 2).strip();
            int col = colon + 3;
            if (!magic && !key.equals(MAGIC)) {
                throw at(source, n, 1, "not an agt agent key file (it must start with '" + MAGIC + ": " + VERSION + "')");
            }
            if (!key.equals("chain") && !seen.add(key)) {
                throw at(source, n, 1, "'" + key + "' appears twice");
            }
            switch (key) {
                case MAGIC -> {
                    if (!value.equals(String.valueOf(VERSION))) {
                        throw at(source, n, col, "key file version " + value + "; this build reads version " + VERSION);
                    }
                    magic = true;
                }
                case "name" -> {
                    try {
                        checkName(value);
                    } catch (IllegalArgumentException e) {
                        throw at(source, n, col, e.getMessage());
                    }
                    name = value;
                }
                case "did" -> {
                    try {
                        DidKey.check(value);
                    } catch (IdentityException e) {
                        throw at(source, n, col, e.getMessage());
                    }
                    did = value;
                    didLine = n;
                }
                case "seed" -> {
                    try {
                        seed = Base64.getUrlDecoder().decode(value);
                    } catch (IllegalArgumentException e) {
                        throw at(source, n, col, "seed is not base64url");
                    }
                    if (seed.length != Ed25519.KEY_BYTES) {
                        throw at(source, n, col, "seed is " + seed.length + " bytes; an Ed25519 seed is 32");
                    }
                }
                case "chain" -> {
                    try {
                        DelegationToken.checkEncoding(value);
                    } catch (IdentityException e) {
                        throw at(source, n, col, "chain token: " + e.getMessage());
                    }
                    chain.add(value);
                }
                default -> throw at(source, n, 1, "unknown key '" + key + "' (keys: " + MAGIC + ", name, did, seed, chain)");
            }
        }
        if (!magic) {
            throw at(source, 1, 1, "not an agt agent key file (it must start with '" + MAGIC + ": " + VERSION + "')");
        }
        if (name == null || did == null || seed == null) {
            throw at(source, lines.length, 1, "the key file needs name, did and seed");
        }
        AgentKey key = AgentKey.fromSeed(name, seed).withChain(chain);
        if (!key.did().equals(did)) {
            throw at(source, didLine, 6, "did " + did + " is not the seed's (" + key.did() + "): the file was edited or damaged");
        }
        return key;
    }

    /** The file's text. */
    public static String format(AgentKey key) {
        StringBuilder b = new StringBuilder();
        b.append("# agt agent key -- secret: whoever can read this file can act as the agent\n");
        b.append(MAGIC).append(": ").append(VERSION).append('\n');
        b.append("name: ").append(key.name()).append('\n');
        b.append("did: ").append(key.did()).append('\n');
        b.append("seed: ").append(Base64.getUrlEncoder().withoutPadding().encodeToString(key.seed())).append('\n');
        for (String t : key.chain()) {
            b.append("chain: ").append(t).append('\n');
        }
        return b.toString();
    }

    /**
     * Creates {@code file} with mode 0600 (given to the create call itself, so the key is never
     * readable by others, not even for an instant) and writes the key. Never overwrites.
     */
    public static void write(AgentKey key, Path file) throws IOException, IdentityException {
        byte[] bytes = format(key).getBytes(StandardCharsets.UTF_8);
        try (FileChannel ch = FileChannel.open(file, EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
            try {
                ByteBuffer buf = ByteBuffer.wrap(bytes);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            } catch (IOException e) {
                Files.deleteIfExists(file); // a half-written key is no key; never leave one behind
                throw e;
            }
        } catch (FileAlreadyExistsException e) {
            throw keyFile(file + ": already exists; refusing to overwrite an agent key");
        } catch (UnsupportedOperationException e) {
            throw keyFile(file + ": mode 0600 cannot be set there (not a POSIX file system); refusing to write an agent key");
        }
    }

    static void checkName(String name) {
        if (name == null || name.isEmpty() || name.length() > 128 || name.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
            throw new IllegalArgumentException("an agent name is 1-128 characters without spaces or control characters");
        }
    }

    static String octal(Set<PosixFilePermission> perms) {
        int mode = 0;
        for (PosixFilePermission p : perms) {
            mode |= 1 << (8 - p.ordinal());
        }
        return String.format("%04o", mode);
    }

    private static IdentityException at(String source, int line, int col, String message) {
        return keyFile(source + ":" + line + ":" + col + ": " + message);
    }

    private static IdentityException keyFile(String message) {
        return new IdentityException(IdentityException.KEY_FILE, message);
    }
}
