package dev.agt.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    /** The same document and bytes as audit's CanonicalJsonTest: tokens and log entries share one canonical form. */
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
        assertEquals(GOLDEN, Json.canonical(golden()));
    }

    @Test
    void canonicalFormSortsKeysAndEscapesOnlyWhatJsonRequires() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("b", 2L);
        m.put("a", List.of("x\"y\\z", "\n\t\u0001", "é😀/"));
        m.put("\u00e9", true);
        m.put("Z", null);
        assertEquals("{\"Z\":null,\"a\":[\"x\\\"y\\\\z\",\"\\n\\t\\u0001\",\"é😀/\"],\"b\":2,\"é\":true}", Json.canonical(m));
    }

    @Test
    void parsesWhatItWritesAndRemembersPositions() throws Exception {
        Json.Parsed p = Json.parse("{\n  \"a\": [1, -2, \"\\u00e9\\ud83d\\ude00\"],\n  \"b\": {\"c\": false}\n}");
        assertEquals(Map.of("a", List.of(1L, -2L, "é😀"), "b", Map.of("c", false)), p.value());
        assertEquals("2:8", p.at(".a").toString());
        assertEquals("2:12", p.at(".a[1]").toString());
        assertEquals("3:14", p.at(".b.c").toString());
    }

    @Test
    void refusesWhatIsNotStrictJson() {
        assertSyntax("{\"a\":1,\"a\":2}", "1:8", "duplicate key 'a'");
        assertSyntax("{\"a\":1.5}", "1:6", "only integers");
        assertSyntax("{\"a\":01}", "1:6", "leading zeros");
        assertSyntax("{\"a\":1} x", "1:9", "after the JSON value");
        assertSyntax("[\"\\ud83d\"]", "1:9", "lone surrogate");
        assertSyntax("[\"a\nb\"]", "1:4", "control character");
        assertSyntax("{\"a\" 1}", "1:6", "expected ':'");
        assertSyntax("[".repeat(40), "1:17", "nested deeper");
        assertSyntax("{\"a\":99999999999999999999}", "1:6", "out of range");
    }

    static void assertSyntax(String text, String pos, String why) {
        Json.Syntax e = assertThrows(Json.Syntax.class, () -> Json.parse(text));
        assertTrue(e.getMessage().contains(why), e.getMessage());
        assertEquals(pos, e.pos.toString(), e.getMessage());
    }
}
