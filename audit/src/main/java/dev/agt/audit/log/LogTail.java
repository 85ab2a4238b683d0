package dev.agt.audit.log;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads an audit directory's entries forward by sequence number, across segments, remembering
 * where it stopped so that the next read starts there instead of at the top of the segment.
 * Only complete lines are read, each checked to carry the number expected; memory is one
 * read buffer plus the lines asked for, whatever the size of a segment.
 */
public final class LogTail {
    private static final int CHUNK = 1 << 16;

    private final Path dir;
    private Path segment;
    private long offset;
    /** The sequence number of the entry at {@link #offset} in {@link #segment}. */
    private long seq = -1;

    public LogTail(Path dir) {
        this.dir = dir;
    }

    /** Entries {@code from} (inclusive) to {@code to} (exclusive), each line's bytes without its newline. */
    public List<byte[]> read(long from, long to) throws IOException {
        if (segment == null || seq != from) {
            seek(from);
        }
        List<byte[]> out = new ArrayList<>();
        scan(to, out);
        return out;
    }

    private void seek(long target) throws IOException {
        Path holder = null;
        for (Path p : LogFiles.segments(dir)) {
            if (LogFiles.firstSeq(p) <= target) {
                holder = p;
            }
        }
        if (holder == null) {
            throw new NoSuchFileException("no segment of " + dir + " holds entry " + target);
        }
        segment = holder;
        offset = 0;
        seq = LogFiles.firstSeq(holder);
        scan(target, null); // skips to it, keeping nothing
    }

    /** Moves forward to entry {@code to}, adding each line passed to {@code out} (null: skip them). */
    private void scan(long to, List<byte[]> out) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        byte[] buf = new byte[CHUNK];
        while (seq < to) {
            try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.READ)) {
                long pos = offset;
                line.reset();
                ByteBuffer bb = ByteBuffer.wrap(buf);
                while (seq < to) {
                    bb.clear();
                    int n = ch.read(bb, pos);
                    if (n <= 0) {
                        break; // the end of what is on disk
                    }
                    int start = 0;
                    for (int i = 0; i < n && seq < to; i++) {
                        if (buf[i] == '\n') {
                            line.write(buf, start, i - start);
                            byte[] l = line.toByteArray();
                            line.reset();
                            EntryLine e = EntryLine.parse(l, 0, l.length);
                            if (e == null || e.seq() != seq) {
                                throw new IOException("entry " + seq + " of " + segment + " is not where the log says it is");
                            }
                            if (out != null) {
                                out.add(l);
                            }
                            seq++;
                            offset = pos + i + 1;
                            start = i + 1;
                        }
                    }
                    if (seq < to) {
                        line.write(buf, start, n - start);
                    }
                    pos += n;
                }
            }
            if (seq < to) {
                List<Path> segs = LogFiles.segments(dir);
                int idx = segs.indexOf(segment);
                if (idx < 0 || idx + 1 >= segs.size() || LogFiles.firstSeq(segs.get(idx + 1)) != seq) {
                    throw new IOException("entries " + seq + " to " + (to - 1) + " are not in the log yet");
                }
                segment = segs.get(idx + 1);
                offset = 0;
            }
        }
    }
}
