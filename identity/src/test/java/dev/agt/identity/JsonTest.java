package dev.agt.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
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
