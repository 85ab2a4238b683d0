package dev.agt.audit.log;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Reads a segment line by line as bytes (the bytes are what is hashed, so no decoding), and
 * tells whether the file ended with a newline (a missing one is a torn record).
 */
final class LineReader implements AutoCloseable {
    private final InputStream in;
    private byte[] buf = new byte[1 << 16];
    private int pos;
    private int lim;
    private boolean eof;
    byte[] line = new byte[1024];
    int lineLen;
    /** Bytes consumed by complete lines so far: where a torn tail starts. */
    long completeBytes;
    /** Bytes of a final line without a newline, if the file ends with one. */
    long tornBytes;

    LineReader(Path file) throws IOException {
        this.in = Files.newInputStream(file);
    }

    /** Reads the next complete line into {@link #line}; false at the end. */
    boolean next() throws IOException {
        lineLen = 0;
        while (true) {
            if (pos == lim) {
                if (eof) {
                    tornBytes = lineLen;
                    return false;
                }
                lim = in.read(buf, 0, buf.length);
                pos = 0;
                if (lim < 0) {
                    lim = 0;
                    eof = true;
                    continue;
                }
            }
            byte b = buf[pos++];
            if (b == '\n') {
                completeBytes += lineLen + 1;
                return true;
            }
            if (lineLen == line.length) {
                line = Arrays.copyOf(line, line.length * 2);
            }
            line[lineLen++] = b;
        }
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
