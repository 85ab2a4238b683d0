package dev.agt.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A growable big-endian byte buffer for encoding frames without intermediate streams. */
public final class ByteSink {
    private byte[] buf;
    private int size;

    public ByteSink(int initialCapacity) {
        buf = new byte[Math.max(16, initialCapacity)];
    }

    public void put(byte b) {
        ensure(1);
        buf[size++] = b;
    }

    public void putInt(int v) {
        ensure(4);
        buf[size++] = (byte) (v >>> 24);
        buf[size++] = (byte) (v >>> 16);
        buf[size++] = (byte) (v >>> 8);
        buf[size++] = (byte) v;
    }

    public void putLong(long v) {
        putInt((int) (v >>> 32));
        putInt((int) v);
    }

    public void putString(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        putInt(b.length);
        ensure(b.length);
        System.arraycopy(b, 0, buf, size, b.length);
        size += b.length;
    }

    /** Overwrites four bytes at {@code at}, for length prefixes written after the fact. */
    public void setInt(int at, int v) {
        buf[at] = (byte) (v >>> 24);
        buf[at + 1] = (byte) (v >>> 16);
        buf[at + 2] = (byte) (v >>> 8);
        buf[at + 3] = (byte) v;
    }

    public int size() {
        return size;
    }

    public void reset() {
        size = 0;
    }

    public ByteBuffer toByteBuffer() {
        return ByteBuffer.wrap(buf, 0, size);
    }

    public byte[] toByteArray() {
        return Arrays.copyOf(buf, size);
    }

    private void ensure(int more) {
        if (size + more > buf.length) {
            long want = Math.max((long) buf.length * 2, (long) size + more);
            if (want > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("frame too large to encode");
            }
            buf = Arrays.copyOf(buf, (int) want);
        }
    }
}
