package dev.agt.audit.log;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The layout of an audit directory:
 * <pre>
 * DIR/log/000000000000.jsonl        segments, named by the sequence number of their first entry
 * DIR/log/000000051234.jsonl
 * DIR/checkpoints/0000000001000.note signed checkpoints, named by tree size
 * </pre>
 * One entry per line, in canonical JSON; the line's bytes (without the newline) are the Merkle
 * leaf data.
 */
public final class LogFiles {
    public static final String SEGMENTS = "log";
    public static final String CHECKPOINTS = "checkpoints";

    private LogFiles() {
    }

    public static Path segmentsDir(Path dir) {
        return dir.resolve(SEGMENTS);
    }

    public static Path checkpointsDir(Path dir) {
        return dir.resolve(CHECKPOINTS);
    }

    public static String segmentName(long firstSeq) {
        return String.format("%012d.jsonl", firstSeq);
    }

    public static String checkpointName(long size) {
        return String.format("%013d.note", size);
    }

    /** Segment files in order. */
    public static List<Path> segments(Path dir) throws IOException {
        return list(segmentsDir(dir), "[0-9]{12}\\.jsonl");
    }

    /** Checkpoint files in order of tree size. */
    public static List<Path> checkpoints(Path dir) throws IOException {
        return list(checkpointsDir(dir), "[0-9]{13}\\.note");
    }

    public static List<Path> list(Path d, String pattern) throws IOException {
        if (!Files.isDirectory(d)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(d)) {
            return s.filter(p -> p.getFileName().toString().matches(pattern)).sorted().toList();
        }
    }

    /** The sequence number a segment file's name says its first entry has. */
    public static long firstSeq(Path segment) {
        String n = segment.getFileName().toString();
        return Long.parseLong(n.substring(0, n.indexOf('.')));
    }

    /** The tree size a checkpoint file's name says it has. */
    public static long checkpointSize(Path note) {
        String n = note.getFileName().toString();
        return Long.parseLong(n.substring(0, n.indexOf('.')));
    }
}
