package dev.agt.protocol;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tagged value encoding of frame bodies. Values are null, Boolean, Long (Integer and Short
 * widen), finite Double, String, List and Map with String keys. Decoding enforces
 * {@link Limits} and returns unmodifiable collections.
 */
public final class ValueCodec {
    static final byte NULL = 'N', FALSE = 'F', TRUE = 'T', INT = 'I', DOUBLE = 'D', STRING = 'S', LIST = 'L', MAP = 'M';

    private ValueCodec() {
    }

    /**
     * Appends the encoding of {@code value} to {@code out}, refusing (IllegalArgumentException)
     * what a reader with {@code limits} would refuse: a sender learns it here, before the frame
     * leaves, instead of from a closed connection.
     */
    public static void encode(Object value, ByteSink out, Limits limits) {
        check(value, limits, new int[1], 1);
        encode(value, out);
    }

    private static void check(Object value, Limits limits, int[] fields, int depth) {
        if (value instanceof CharSequence s) {
            checkString(s, limits);
        } else if (value instanceof List<?> list) {
            if (depth > limits.maxDepth()) {
                throw new IllegalArgumentException("nesting deeper than " + limits.maxDepth());
            }
            fields[0] += list.size();
            if (fields[0] > limits.maxFields()) {
                throw new IllegalArgumentException("more than " + limits.maxFields() + " fields");
            }
            for (Object item : list) {
                check(item, limits, fields, depth + 1);
            }
        } else if (value instanceof Map<?, ?> map) {
            if (depth > limits.maxDepth()) {
                throw new IllegalArgumentException("nesting deeper than " + limits.maxDepth());
            }
            fields[0] += map.size();
            if (fields[0] > limits.maxFields()) {
                throw new IllegalArgumentException("more than " + limits.maxFields() + " fields");
            }
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (e.getKey() instanceof CharSequence k) {
                    checkString(k, limits);
                }
                check(e.getValue(), limits, fields, depth + 1);
            }
        }
    }

    private static void checkString(CharSequence s, Limits limits) {
        int n = s.length();
        if ((long) n * 3 <= limits.maxStringBytes()) {
            return; // at most 3 UTF-8 bytes per char: short enough whatever it holds
        }
        long bytes = s.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        if (bytes > limits.maxStringBytes()) {
            throw new IllegalArgumentException("a string of " + bytes + " bytes exceeds " + limits.maxStringBytes());
        }
    }

    /** Appends the encoding of {@code value} to {@code out}. */
    public static void encode(Object value, ByteSink out) {
        if (value == null) {
            out.put(NULL);
        } else if (value instanceof Boolean b) {
            out.put(b ? TRUE : FALSE);
        } else if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte) {
            out.put(INT);
            out.putLong(((Number) value).longValue());
        } else if (value instanceof Double || value instanceof Float) {
            double d = ((Number) value).doubleValue();
            if (!Double.isFinite(d)) {
                throw new IllegalArgumentException("non-finite number cannot be encoded: " + d);
            }
            out.put(DOUBLE);
            out.putLong(Double.doubleToLongBits(d));
        } else if (value instanceof CharSequence s) {
            out.put(STRING);
            out.putString(s.toString());
        } else if (value instanceof List<?> list) {
            out.put(LIST);
            out.putInt(list.size());
            for (Object item : list) {
                encode(item, out);
            }
        } else if (value instanceof Map<?, ?> map) {
            out.put(MAP);
            out.putInt(map.size());
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (!(e.getKey() instanceof String key)) {
                    throw new IllegalArgumentException("map keys must be strings, got " + e.getKey());
                }
                out.putString(key);
                encode(e.getValue(), out);
            }
        } else {
            throw new IllegalArgumentException("cannot encode " + value.getClass().getName());
        }
    }

    /**
     * Decodes one value that must use every remaining byte of {@code in}.
     *
     * @throws ProtocolException with a stable code when the bytes break the format or a limit
     */
    public static Object decode(ByteBuffer in, Limits limits) throws ProtocolException {
        Decoder d = new Decoder(in, limits);
        Object v;
        try {
            v = d.value(1);
        } catch (BufferUnderflowException e) {
            throw new ProtocolException(Reasons.TRUNCATED, "value ends before its declared length");
        }
        if (in.hasRemaining()) {
            throw new ProtocolException(Reasons.TRAILING_BYTES, in.remaining() + " bytes after the body");
        }
        return v;
    }

    private static final class Decoder {
        private final ByteBuffer in;
        private final Limits limits;
        /** Made on the first non-ASCII string: most strings are ASCII and need no decoder. */
        private CharsetDecoder utf8;
        private int fields;

        Decoder(ByteBuffer in, Limits limits) {
            this.in = in;
            this.limits = limits;
        }

        Object value(int depth) throws ProtocolException {
            byte tag = in.get();
            switch (tag) {
                case NULL:
                    return null;
                case FALSE:
                    return Boolean.FALSE;
                case TRUE:
                    return Boolean.TRUE;
                case INT:
                    return in.getLong();
                case DOUBLE: {
                    double d = Double.longBitsToDouble(in.getLong());
                    if (!Double.isFinite(d)) {
                        throw new ProtocolException(Reasons.NON_FINITE_NUMBER, "NaN and infinities are not allowed");
                    }
                    return d;
                }
                case STRING:
                    return string();
                case LIST: {
                    int n = count(depth);
                    List<Object> list = new ArrayList<>(Math.min(n, 64));
                    for (int i = 0; i < n; i++) {
                        list.add(value(depth + 1));
                    }
                    return Collections.unmodifiableList(list);
                }
                case MAP: {
                    int n = count(depth);
                    Map<String, Object> map = new LinkedHashMap<>(Math.min(n, 64) * 2);
                    for (int i = 0; i < n; i++) {
                        String key = string();
                        if (map.containsKey(key)) {
                            throw new ProtocolException(Reasons.DUPLICATE_KEY, "key '" + clip(key) + "' appears twice");
                        }
                        map.put(key, value(depth + 1));
                    }
                    return Collections.unmodifiableMap(map);
                }
                default:
                    throw new ProtocolException(Reasons.BAD_TAG, "unknown value tag 0x" + Integer.toHexString(tag & 0xff));
            }
        }

        private int count(int depth) throws ProtocolException {
            if (depth > limits.maxDepth()) {
                throw new ProtocolException(Reasons.TOO_DEEP, "nesting deeper than " + limits.maxDepth());
            }
            int n = in.getInt();
            // Each item needs at least one byte, so a count larger than what is left is a lie.
            if (n < 0 || n > in.remaining()) {
                throw new ProtocolException(Reasons.BAD_COUNT, "count " + Integer.toUnsignedString(n) + " exceeds the frame");
            }
            fields += n;
            if (fields > limits.maxFields()) {
                throw new ProtocolException(Reasons.TOO_MANY_FIELDS, "more than " + limits.maxFields() + " fields");
            }
            return n;
        }

        private String string() throws ProtocolException {
            int len = in.getInt();
            if (len < 0 || len > limits.maxStringBytes()) {
                throw new ProtocolException(Reasons.STRING_TOO_LONG, "string of " + Integer.toUnsignedString(len)
                        + " bytes exceeds " + limits.maxStringBytes());
            }
            if (len > in.remaining()) {
                throw new ProtocolException(Reasons.TRUNCATED, "string of " + len + " bytes exceeds the frame");
            }
            int start = in.position();
            in.position(start + len);
            if (in.hasArray()) {
                byte[] a = in.array();
                int off = in.arrayOffset() + start;
                boolean ascii = true;
                for (int i = 0; i < len; i++) {
                    if (a[off + i] < 0) {
                        ascii = false;
                        break;
                    }
                }
                if (ascii) {
                    return new String(a, off, len, StandardCharsets.ISO_8859_1);
                }
            }
            ByteBuffer slice = in.duplicate();
            slice.position(start).limit(start + len);
            if (utf8 == null) {
                utf8 = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT);
            }
            try {
                CharBuffer chars = utf8.reset().decode(slice);
                return chars.toString();
            } catch (CharacterCodingException e) {
                throw new ProtocolException("bad-utf8", "string is not valid UTF-8");
            }
        }
    }

    static String clip(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }
}
