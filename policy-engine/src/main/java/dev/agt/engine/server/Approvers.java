package dev.agt.engine.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

/**
 * The approvers group ({@code agt engine --approvers GROUP}): people who may list and decide held
 * calls over the Unix socket without being the engine's user. A peer belongs when the kernel
 * says its primary group is the group (SO_PEERCRED), or when the group database lists its user
 * as a member ({@code /etc/group}, read at each decision, so a removal takes effect at once).
 * Nothing else an admin may do is open to them: not the kill switch, reloads or labels.
 */
final class Approvers {
    static final Path GROUP_FILE = Path.of("/etc/group");

    private final String group;
    private final Path groupFile;

    Approvers(String group, Path groupFile) {
        this.group = group;
        this.groupFile = groupFile;
    }

    String group() {
        return group;
    }

    /** The group's line in the group database ({name, x, gid, members}), or empty. */
    Optional<String[]> entry() throws IOException {
        for (String line : Files.readAllLines(groupFile, StandardCharsets.UTF_8)) {
            String[] f = line.split(":", -1);
            if (f.length >= 4 && f[0].equals(group)) {
                return Optional.of(f);
            }
        }
        return Optional.empty();
    }

    /** Whether the peer ({@code user}, primary group {@code primary}, as SO_PEERCRED names them) is an approver. */
    boolean admits(String user, String primary) {
        try {
            Optional<String[]> e = entry();
            if (e.isEmpty()) {
                return false; // the group is gone: nobody is an approver through it
            }
            String[] f = e.get();
            return primary.equals(group) || primary.equals(f[2]) || Arrays.asList(f[3].split(",")).contains(user);
        } catch (IOException unreadable) {
            return false; // fail closed
        }
    }
}
