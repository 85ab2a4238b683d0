package dev.agt.audit.log;

import dev.agt.audit.note.Checkpoint;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Base64;

/**
 * Where an exporter of the log stands: the next entry to export, and the signed checkpoint it
 * reached ({@code NEXT ORIGIN ROOT}), so that a cursor is only trusted against the log it came
 * from. A log that was replaced (a new audit directory under the same name), a checkpoint that
 * no longer matches, or a cursor file that is damaged (a crash while it was written) all resume
 * from the start, and say so: an export may repeat entries, never skip them.
 */
public final class ExportCursor {
    private final Path file;

    public ExportCursor(Path file) {
        this.file = file;
    }

    public Path file() {
        return file;
    }

    /** The position to resume from, and why it is 0 when the file's position could not be trusted. */
    public record Resume(long next, String note) {
    }

    /** Reads the cursor and checks it against the log in {@code auditDir}. */
    public Resume read(Path auditDir) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8).trim();
        } catch (NoSuchFileException e) {
            return new Resume(0, null);
        } catch (IOException e) {
            return new Resume(0, file + " could not be read (" + e.getMessage() + "): exporting from the first entry");
        }
        String[] parts = text.split(" ");
        if (parts.length != 3 || !parts[0].matches("[0-9]{1,18}")) {
            return new Resume(0, file + " is not an export cursor ('" + clip(text) + "'): exporting from the first entry");
        }
        long next = Long.parseLong(parts[0]);
        if (next == 0) {
            return new Resume(0, null);
        }
        Path note = LogFiles.checkpointsDir(auditDir).resolve(LogFiles.checkpointName(next));
        try {
            Checkpoint cp = Checkpoint.unverified(Files.readString(note, StandardCharsets.UTF_8));
            if (cp.origin().equals(parts[1]) && Base64.getEncoder().encodeToString(cp.root()).equals(parts[2])) {
                return new Resume(next, null);
            }
        } catch (IOException | Checkpoint.NoteException e) {
            // no such checkpoint: not this log
        }
        return new Resume(0, file + " was written for another log (its checkpoint of size " + next
                + " is not in " + auditDir + "): exporting from the first entry");
    }

    /** Records that everything before {@code next} is exported, up to the checkpoint {@code cp}; on disk before it returns. */
    public void write(long next, LogFollower.Anchor cp) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(ByteBuffer.wrap((next + " " + cp.origin() + " " + cp.root() + "\n").getBytes(StandardCharsets.UTF_8)));
            ch.force(true);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static String clip(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }
}
