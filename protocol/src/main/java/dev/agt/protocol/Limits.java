package dev.agt.protocol;

/**
 * Hard bounds a frame reader enforces before it trusts a byte. They protect the engine from a
 * confused or hostile agent: a frame over any bound closes that one connection.
 *
 * @param maxFrameBytes  bytes after the length prefix
 * @param maxFields      list items plus map entries in one frame, all levels together
 * @param maxStringBytes UTF-8 bytes in one string or map key
 * @param maxDepth       nesting of lists and maps (the body itself is depth 1)
 */
public record Limits(int maxFrameBytes, int maxFields, int maxStringBytes, int maxDepth) {

    public static final Limits DEFAULT = new Limits(1 << 20, 8192, 64 * 1024, 16);

    public Limits {
        if (maxFrameBytes < Frame.HEADER_BYTES || maxFields < 1 || maxStringBytes < 1 || maxDepth < 1) {
            throw new IllegalArgumentException("limits must be positive and fit a frame header");
        }
    }
}
