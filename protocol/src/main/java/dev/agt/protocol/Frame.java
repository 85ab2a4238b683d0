package dev.agt.protocol;

import java.util.Map;
import java.util.Objects;

/**
 * One frame: its type, the id that pairs a reply with its request, and a body map whose values
 * are null, Boolean, Long, Double, String, List or Map (see {@link ValueCodec}).
 */
public record Frame(FrameType type, long id, Map<String, Object> body) {

    public static final int VERSION = 1;
    /** version byte, type byte, id. */
    public static final int HEADER_BYTES = 1 + 1 + 8;

    public Frame {
        Objects.requireNonNull(type, "type");
        body = body == null ? Map.of() : body;
    }
}
