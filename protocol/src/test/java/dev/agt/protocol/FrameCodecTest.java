package dev.agt.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FrameCodecTest {
    private static final Limits L = Limits.DEFAULT;

    static Frame roundTrip(Frame f) throws IOException {
        ByteBuffer b = FrameCodec.encode(f, L);
        return FrameCodec.read(channel(b.array(), b.limit()), L);
    }

    /** Sent by a peer that ignores the limits (the encoder would refuse it), read with them. */
    static Frame sentCarelessly(Frame f) throws IOException {
        ByteBuffer b = FrameCodec.encode(f, new Limits(1 << 24, 1 << 20, 1 << 24, 64));
        return FrameCodec.read(channel(b.array(), b.limit()), L);
    }

    static ReadableByteChannel channel(byte[] bytes, int len) {
        return Channels.newChannel(new ByteArrayInputStream(bytes, 0, len));
    }

    static byte[] raw(int version, int type, long id, byte[] body) {
        ByteBuffer b = ByteBuffer.allocate(4 + 10 + body.length);
        b.putInt(10 + body.length).put((byte) version).put((byte) type).putLong(id).put(body);
        return b.array();
    }

    static ProtocolException refused(byte[] frame) {
        return assertThrows(ProtocolException.class, () -> FrameCodec.read(channel(frame, frame.length), L));
    }

    @Test
    void everyValueKindSurvivesTheRoundTrip() throws IOException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("null", null);
        body.put("t", true);
        body.put("f", false);
        body.put("long", Long.MIN_VALUE);
        body.put("double", -0.5);
        body.put("text", "héllo \u0000 ✓ 𝄞");
        body.put("list", List.of(1L, "two", List.of()));
        body.put("map", Map.of("k", Map.of("deep", 3L)));
        Frame back = roundTrip(new Frame(FrameType.DECIDE, 42, body));
        assertEquals(FrameType.DECIDE, back.type());
        assertEquals(42, back.id());
        assertEquals(body, back.body());
    }

    @Test
    void requestsAndDecisionsKeepEveryField() throws IOException {
        Request r = new Request("file", "read", Map.of("path", "/tmp/x"), "main", List.of("a.B.c(B.java:1)"));
        assertEquals(r, Request.fromBody(roundTrip(new Frame(FrameType.DECIDE, 1, r.toBody())).body()));
        Request atReturn = new Request("mcp", "list", Map.of("server", "s", "tools", List.of(Map.of("name", "t"))), "main", List.of(), true, true);
        assertEquals("return", atReturn.toBody().get("at"), "a request about a result says so on the wire and in the log");
        assertEquals(atReturn, Request.fromBody(roundTrip(new Frame(FrameType.DECIDE, 1, atReturn.toBody())).body()));
        assertFalse(r.toBody().containsKey("at"), "a request before its call carries no marker");
        Decision d = new Decision(Decision.Effect.DENY, "no-secrets", Reasons.DENIED, "secrets", "abc", 1234);
        assertEquals(d, Decision.fromBody(roundTrip(new Frame(FrameType.DECISION, 1, d.toBody())).body()));
    }

    @Test
    void aTraceContextTravelsOnlyAsAWellFormedTraceparent() throws Exception {
        String parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        Request traced = new Request("file", "read", Map.of("path", "/tmp/x"), "main", List.of(), false, false, parent);
        assertEquals(parent, traced.toBody().get("trace"));
        assertEquals(traced, Request.fromBody(roundTrip(new Frame(FrameType.DECIDE, 1, traced.toBody())).body()));
        assertFalse(traced.withoutTrace().toBody().containsKey("trace"), "for an engine that does not take it");
        assertFalse(Request.of("file", "read", Map.of("path", "/x")).toBody().containsKey("trace"));
        for (String bad : List.of("", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra")) {
            Map<String, Object> body = new java.util.LinkedHashMap<>(traced.toBody());
            body.put("trace", bad);
            ProtocolException e = assertThrows(ProtocolException.class, () -> Request.fromBody(body), bad);
            assertEquals(Reasons.BAD_REQUEST, e.code());
        }
        Map<String, Object> notText = new java.util.LinkedHashMap<>(traced.toBody());
        notText.put("trace", 42L);
        assertThrows(ProtocolException.class, () -> Request.fromBody(notText));
    }

    @Test
    void cleanEndOfStreamBetweenFramesIsNotAnError() throws IOException {
        assertNull(FrameCodec.read(channel(new byte[0], 0), L));
    }

    @Test
    void endOfStreamInsideAFrameIsTruncation() {
        byte[] f = FrameCodec.encode(new Frame(FrameType.HELLO, 1, Map.of("name", "x")), L).array();
        assertThrows(EOFException.class, () -> FrameCodec.read(channel(f, 7), L));
    }

    @Test
    void hugeClaimedLengthIsRefusedBeforeAnyAllocation() {
        byte[] f = ByteBuffer.allocate(4).putInt(Integer.MAX_VALUE).array();
        assertEquals("bad-length", refused(f).code());
        byte[] neg = ByteBuffer.allocate(4).putInt(-5).array();
        assertEquals("bad-length", refused(neg).code());
    }

    @Test
    void claimedLengthWithinLimitOnlyAllocatesWhatArrives() throws IOException {
        // A peer that claims 1 MiB and sends 20 bytes: the reader must not hold 1 MiB for it.
        ByteBuffer b = ByteBuffer.allocate(24);
        b.putInt(L.maxFrameBytes()).put((byte) 1).put((byte) 3).putLong(1).put(new byte[10]);
        long[] biggest = {0};
        ReadableByteChannel counting = new ReadableByteChannel() {
            final ReadableByteChannel in = channel(b.array(), b.capacity());

            @Override
            public int read(ByteBuffer dst) throws IOException {
                biggest[0] = Math.max(biggest[0], dst.capacity());
                return in.read(dst);
            }

            @Override
            public boolean isOpen() {
                return true;
            }

            @Override
            public void close() {
            }
        };
        assertThrows(EOFException.class, () -> FrameCodec.read(counting, L));
        assertTrue(biggest[0] <= 4096, "allocated " + biggest[0] + " bytes for a 20-byte frame");
    }

    @Test
    void unknownVersionAndTypeAreRefused() {
        byte[] body = {'M', 0, 0, 0, 0};
        assertEquals("unsupported-version", refused(raw(2, 3, 1, body)).code());
        assertEquals("unknown-type", refused(raw(1, 99, 1, body)).code());
    }

    @Test
    void malformedBodiesAreRefusedWithTheirReason() {
        assertEquals("bad-body", refused(raw(1, 3, 1, new byte[] {'S', 0, 0, 0, 0})).code());
        assertEquals("bad-tag", refused(raw(1, 3, 1, new byte[] {'Z'})).code());
        assertEquals("trailing-bytes", refused(raw(1, 3, 1, new byte[] {'M', 0, 0, 0, 0, 'N'})).code());
        assertEquals("bad-count", refused(raw(1, 3, 1, new byte[] {'M', 0x7f, 0, 0, 0})).code());
        assertEquals("truncated", refused(raw(1, 3, 1, new byte[] {'M', 0, 0, 0, 1, 0, 0, 0, 9, 'a'})).code());
        // invalid UTF-8 key
        assertEquals("bad-utf8", refused(raw(1, 3, 1, new byte[] {'M', 0, 0, 0, 1, 0, 0, 0, 1, (byte) 0xff, 'N'})).code());
        // NaN
        ByteBuffer nan = ByteBuffer.allocate(1 + 4 + 4 + 1 + 1 + 8);
        nan.put((byte) 'M').putInt(1).putInt(1).put((byte) 'x').put((byte) 'D').putLong(Double.doubleToLongBits(Double.NaN));
        assertEquals("non-finite-number", refused(raw(1, 3, 1, nan.array())).code());
        // duplicate keys
        byte[] dup = {'M', 0, 0, 0, 2, 0, 0, 0, 1, 'k', 'N', 0, 0, 0, 1, 'k', 'T'};
        assertEquals("duplicate-key", refused(raw(1, 3, 1, dup)).code());
    }

    @Test
    void limitsOnDepthFieldsAndStrings() throws Exception {
        Object deep = "x";
        for (int i = 0; i < L.maxDepth() + 1; i++) {
            deep = List.of(deep);
        }
        Frame tooDeep = new Frame(FrameType.DECIDE, 1, Map.of("d", deep));
        assertEquals("too-deep", assertThrows(ProtocolException.class, () -> sentCarelessly(tooDeep)).code());
        assertThrows(IllegalArgumentException.class, () -> FrameCodec.encode(tooDeep, L), "the encoder refuses it before it leaves");

        List<Object> many = new ArrayList<>();
        for (int i = 0; i < L.maxFields() + 1; i++) {
            many.add(null);
        }
        Frame tooMany = new Frame(FrameType.DECIDE, 1, Map.of("m", many));
        assertEquals("too-many-fields", assertThrows(ProtocolException.class, () -> sentCarelessly(tooMany)).code());
        assertThrows(IllegalArgumentException.class, () -> FrameCodec.encode(tooMany, L));

        Frame longString = new Frame(FrameType.DECIDE, 1, Map.of("s", "a".repeat(L.maxStringBytes() + 1)));
        assertEquals("string-too-long", assertThrows(ProtocolException.class, () -> sentCarelessly(longString)).code());
        assertThrows(IllegalArgumentException.class, () -> FrameCodec.encode(longString, L));
        // at the limits exactly, both sides agree it is fine
        Object atDepth = "x";
        for (int i = 0; i < L.maxDepth() - 1; i++) {
            atDepth = List.of(atDepth);
        }
        assertEquals(Map.of("d", atDepth), roundTrip(new Frame(FrameType.DECIDE, 1, Map.of("d", atDepth))).body());
        assertEquals(L.maxStringBytes(), ((String) roundTrip(new Frame(FrameType.DECIDE, 1, Map.of("s", "a".repeat(L.maxStringBytes())))).body().get("s")).length());
    }

    @Test
    void encoderRefusesWhatTheDecoderWouldRefuse() {
        assertThrows(IllegalArgumentException.class, () -> FrameCodec.encode(new Frame(FrameType.DECIDE, 1, Map.of("n", Double.NaN)), L));
        assertThrows(IllegalArgumentException.class,
                () -> FrameCodec.encode(new Frame(FrameType.DECIDE, 1, Map.of("s", "a".repeat(L.maxFrameBytes()))), L));
    }

    @Test
    void requestShapeIsChecked() {
        assertThrows(ProtocolException.class, () -> Request.fromBody(Map.of("family", "file")));
        assertThrows(ProtocolException.class, () -> Request.fromBody(Map.of("family", "file", "action", "read", "target", "x")));
        assertThrows(ProtocolException.class, () -> Request.fromBody(Map.of("family", "file", "action", "read", "extra", 1L)));
        assertThrows(ProtocolException.class, () -> Request.fromBody(Map.of("family", "mcp", "action", "list", "at", "entry")));
        assertThrows(ProtocolException.class, () -> Request.fromBody(Map.of("family", "mcp", "action", "list", "at", true)));
        assertThrows(ProtocolException.class, () -> Decision.fromBody(Map.of("effect", "maybe", "seq", 1L)));
    }

    /**
     * Random bytes and mutated valid frames: the reader either returns a frame or throws an
     * IOException (protocol error or truncation), never anything else, and never runs away
     * with memory.
     */
    @Test
    void fuzzedInputOnlyEverYieldsFramesOrIoExceptions() {
        Random rnd = new Random(20261127);
        byte[] valid = FrameCodec.encode(new Frame(FrameType.DECIDE, 7,
                new Request("net", "connect", Map.of("host", "example.com", "port", 443L, "args", List.of(Map.of("a", 1.5))),
                        "t", List.of("f")).toBody()), L).array();
        int frames = 0;
        int errors = 0;
        for (int i = 0; i < 20_000; i++) {
            byte[] input;
            if (i % 2 == 0) {
                input = valid.clone();
                int flips = 1 + rnd.nextInt(4);
                for (int k = 0; k < flips; k++) {
                    input[rnd.nextInt(input.length)] = (byte) rnd.nextInt(256);
                }
                if (rnd.nextBoolean()) {
                    input = java.util.Arrays.copyOf(input, rnd.nextInt(input.length + 1));
                }
            } else {
                input = new byte[rnd.nextInt(64)];
                rnd.nextBytes(input);
            }
            try (InputStream in = new ByteArrayInputStream(input)) {
                ReadableByteChannel ch = Channels.newChannel(in);
                while (FrameCodec.read(ch, L) != null) {
                    frames++;
                }
            } catch (IOException e) {
                errors++;
            } catch (RuntimeException e) {
                fail("input " + java.util.HexFormat.of().formatHex(input) + " escaped as " + e);
            }
        }
        assertTrue(errors > 10_000, "most fuzz inputs must be refused, got " + errors);
    }

    @Test
    void engineAddressesParse() {
        assertTrue(EngineAddress.parse("/run/agt.sock").isUnix());
        assertTrue(EngineAddress.parse("unix:/run/agt.sock").isUnix());
        assertEquals("tcp:127.0.0.1:7301", EngineAddress.parse("tcp:127.0.0.1:7301").toString());
        assertThrows(IllegalArgumentException.class, () -> EngineAddress.parse("tcp:127.0.0.1:99999"));
        assertThrows(IllegalArgumentException.class, () -> EngineAddress.parse(""));
    }
}
