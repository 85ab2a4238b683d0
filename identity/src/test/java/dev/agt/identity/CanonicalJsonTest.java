package dev.agt.identity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Golden bytes of the canonical form. Logs are hashed and checkpoints signed over these bytes and
 * delegation tokens are signed over the same form: any change here is a change of format, never a
 * refactoring.
 */
class CanonicalJsonTest {
    /** Every kind of value, keys that sort differently by UTF-16 code unit than by code point, every escape. */
    static Map<String, Object> golden() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ｚ", 1L);
        m.put("😀", "surrogates sort as UTF-16");
        m.put("é", true);
        m.put("nested", Map.of("z", List.of(), "y", Map.of()));
        m.put("n", List.of(0L, -1L, Long.MIN_VALUE, Long.MAX_VALUE, 7));
        m.put("f", false);
        m.put("b", 2L);
        m.put("a", List.of("x\"y\\z", "\b\f\n\r\t\u0001\u001f\u007f", "é😀/\u2028"));
        m.put("Z", null);
        m.put("", "");
        return m;
    }

    static final String GOLDEN = "{\"\":\"\",\"Z\":null,\"a\":[\"x\\\"y\\\\z\",\"\\b\\f\\n\\r\\t\\u0001\\u001f\u007f\",\"é😀/\u2028\"],"
            + "\"b\":2,\"f\":false,\"n\":[0,-1,-9223372036854775808,9223372036854775807,7],\"nested\":{\"y\":{},\"z\":[]},"
            + "\"é\":true,\"😀\":\"surrogates sort as UTF-16\",\"ｚ\":1}";

    @Test
    void theGoldenDocumentHasExactlyItsBytes() {
        assertArrayEquals(GOLDEN.getBytes(StandardCharsets.UTF_8), CanonicalJson.bytes(golden()));
        assertEquals(GOLDEN, CanonicalJson.string(golden()));
    }

    @Test
    void fractionsKeepTheirBytes() {
        // Java's shortest round-tripping digits in JCS's exponent style; 123456789.5 is where JDK 17
        // differs from ECMAScript (which writes 123456789.5), as the class comment says
        assertEquals("[1.5,1e-7,1e+21,0,100,1.2345e+22,0.1,1.234567895e+8,0.5,-2.5e-300]",
                CanonicalJson.string(List.of(1.5, 1e-7, 1e21, -0.0, 100.0, 1.2345e22, 0.1, 123456789.5, 0.5f, -2.5e-300)));
    }

    @Test
    void whatHasNoCanonicalFormIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> CanonicalJson.string(List.of(Double.NaN)));
        assertThrows(IllegalArgumentException.class, () -> CanonicalJson.string(Map.of(1, "a")));
        assertThrows(IllegalArgumentException.class, () -> CanonicalJson.string(new Object()));
    }
}
