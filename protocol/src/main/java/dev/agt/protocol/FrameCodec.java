package dev.agt.protocol;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.Map;

/** Encodes frames to bytes and reads them back from a blocking channel, within {@link Limits}. */
public final class FrameCodec {
    /** The first allocation for a frame body; it grows only as bytes actually arrive. */
    private static final int FIRST_CHUNK = 4096;

    private FrameCodec() {
    }

    /** The full wire form of a frame, length prefix included. */
    public static ByteBuffer encode(Frame frame, Limits limits) {
        ByteSink sink = new ByteSink(256);
        encode(frame, limits, sink);
        return sink.toByteBuffer();
    }

    /** Appends the full wire form of a frame to {@code sink}. */
    public static void encode(Frame frame, Limits limits, ByteSink sink) {
        int start = sink.size();
        sink.putInt(0);
        sink.put((byte) Frame.VERSION);
        sink.put((byte) frame.type().code());
        sink.putLong(frame.id());
        ValueCodec.encode(frame.body(), sink, limits);
        int length = sink.size() - start - 4;
        if (length > limits.maxFrameBytes()) {
            throw new IllegalArgumentException("frame of " + length + " bytes exceeds the limit of " + limits.maxFrameBytes());
        }
        sink.setInt(start, length);
    }

    /**
     * Reads one frame. Returns null on a clean end of stream between frames.
     *
     * @throws ProtocolException when the frame breaks the format or a limit
     * @throws EOFException      when the stream ends inside a frame
     */
    public static Frame read(ReadableByteChannel in, Limits limits) throws IOException {
        ByteBuffer prefix = ByteBuffer.allocate(4);
        if (!fill(in, prefix, true)) {
            return null;
        }
        prefix.flip();
        int length = prefix.getInt();
        if (length < Frame.HEADER_BYTES + 1 || length > limits.maxFrameBytes()) {
            throw new ProtocolException(Reasons.BAD_LENGTH, "frame length " + Integer.toUnsignedString(length)
                    + " outside 11.." + limits.maxFrameBytes());
        }
        // Never trust the claimed length with memory: grow the buffer as bytes arrive.
        ByteBuffer buf = ByteBuffer.allocate(Math.min(length, FIRST_CHUNK));
        int remaining = length;
        while (remaining > 0) {
            if (!buf.hasRemaining()) {
                ByteBuffer bigger = ByteBuffer.allocate((int) Math.min(length, (long) buf.capacity() * 4));
                buf.flip();
                bigger.put(buf);
                buf = bigger;
            }
            int limit = Math.min(buf.capacity(), buf.position() + remaining);
            buf.limit(limit);
            int n = in.read(buf);
            if (n < 0) {
                throw new EOFException("stream ended inside a frame");
            }
            remaining -= n;
        }
        buf.flip();
        return decode(buf, limits);
    }

    /** Decodes the bytes after a length prefix. */
    public static Frame decode(ByteBuffer buf, Limits limits) throws ProtocolException {
        int version = buf.get() & 0xff;
        if (version != Frame.VERSION) {
            throw new ProtocolException(Reasons.UNSUPPORTED_VERSION, "protocol version " + version + ", this side speaks " + Frame.VERSION);
        }
        int code = buf.get() & 0xff;
        FrameType type = FrameType.ofCode(code);
        if (type == null) {
            throw new ProtocolException(Reasons.UNKNOWN_TYPE, "frame type " + code);
        }
        long id = buf.getLong();
        Object body = ValueCodec.decode(buf, limits);
        if (!(body instanceof Map<?, ?> map)) {
            throw new ProtocolException(Reasons.BAD_BODY, "frame body must be a map");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> typed = (Map<String, Object>) map;
        return new Frame(type, id, typed);
    }

    private static boolean fill(ReadableByteChannel in, ByteBuffer buf, boolean eofAllowedAtStart) throws IOException {
        while (buf.hasRemaining()) {
            int n = in.read(buf);
            if (n < 0) {
                if (eofAllowedAtStart && buf.position() == 0) {
                    return false;
                }
                throw new EOFException("stream ended inside a frame");
            }
        }
        return true;
    }
}
