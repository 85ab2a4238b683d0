package dev.agt.protocol;

import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.io.IOException;

/**
 * Incremental frame reading for non-blocking channels: bytes go in as they arrive, whole frames
 * come out. The length prefix is checked against {@link Limits} as soon as it is complete, and
 * the buffer grows only as bytes actually arrive (doubling, never straight to the claimed size),
 * so a peer that announces a large frame and sends little costs little.
 */
public final class FrameAccumulator {
    private static final int FIRST = 4096;
    private final Limits limits;
    private ByteBuffer buf = ByteBuffer.allocate(FIRST);

    public FrameAccumulator(Limits limits) {
        this.limits = limits;
    }

    /**
     * Reads what the channel has now.
     *
     * @return bytes read, or -1 at end of stream
     */
    public int readFrom(ReadableByteChannel ch) throws IOException {
        if (!buf.hasRemaining()) {
            grow();
        }
        return ch.read(buf);
    }

    /** The next complete frame, or null when more bytes are needed. */
    public Frame next() throws ProtocolException {
        if (buf.position() < 4) {
            return null;
        }
        int length = buf.getInt(0);
        if (length < Frame.HEADER_BYTES + 1 || length > limits.maxFrameBytes()) {
            throw new ProtocolException(Reasons.BAD_LENGTH, "frame length " + Integer.toUnsignedString(length)
                    + " outside 11.." + limits.maxFrameBytes());
        }
        if (buf.position() < 4 + length) {
            return null;
        }
        ByteBuffer frame = buf.duplicate();
        frame.position(4).limit(4 + length);
        Frame f = FrameCodec.decode(frame.slice(), limits);
        // keep the bytes after this frame
        int rest = buf.position() - 4 - length;
        ByteBuffer tail = buf.duplicate();
        tail.position(4 + length).limit(4 + length + rest);
        buf.clear();
        buf.put(tail);
        if (buf.capacity() > FIRST && buf.position() < FIRST / 2) {
            ByteBuffer small = ByteBuffer.allocate(FIRST);
            buf.flip();
            small.put(buf);
            buf = small;
        }
        return f;
    }

    /** True when some bytes of an unfinished frame are held. */
    public boolean partial() {
        return buf.position() > 0;
    }

    private void grow() {
        long cap = Math.min((long) buf.capacity() * 2, (long) limits.maxFrameBytes() + 4);
        if (cap <= buf.capacity()) {
            // full and no frame fits: next() will have refused the length already
            cap = buf.capacity() + 1;
        }
        ByteBuffer bigger = ByteBuffer.allocate((int) cap);
        buf.flip();
        bigger.put(buf);
        buf = bigger;
    }
}
