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
        Json.Parsed p = Json.parse("{\n  \"a\": [1, -2, \"\\u00e9\\ud83d\\ude00\"],\n  \"b\": {\"c\": false, \"d\": null}\n}");
        Map<String, Object> b = new java.util.HashMap<>();
        b.put("c", false);
        b.put("d", null);
        assertEquals(Map.of("a", List.of(1L, -2L, "é😀"), "b", b), p.value());
        assertEquals("1:1", p.at("").toString());
        assertEquals("2:8", p.at(".a").toString());
        assertEquals("2:12", p.at(".a[1]").toString());
        assertEquals("3:14", p.at(".b.c").toString());
        Object doc = Map.of("k", List.of(1L, "x", Map.of("n", true)), "e", Map.of());
        assertEquals(doc, Json.parse(CanonicalJson.string(doc)).value(), "reads what the one writer writes");
    }

    @Test
    void keepsKeysInTheirOrderAndIntegersAsLong() throws Exception {
        Object v = Json.parse("{\"z\":1,\"a\":9223372036854775807,\"m\":-9223372036854775808}").value();
        assertEquals(List.of("z", "a", "m"), List.copyOf(((Map<?, ?>) v).keySet()));
        assertEquals(Long.MAX_VALUE, ((Map<?, ?>) v).get("a"));
        assertEquals(Long.MIN_VALUE, ((Map<?, ?>) v).get("m"));
    }

    @Test
    void refusesWhatIsNotStrictJsonAndSaysWhere() {
        // duplicate keys: at the second, also when nested
        assertSyntax("{\"a\":1,\"a\":2}", "1:8", "duplicate key 'a'");
        assertSyntax("{\"o\":{\n  \"k\":1,\n  \"k\":1}}", "3:3", "duplicate key 'k'");
        // trailing garbage: text, a second document, a stray bracket
        assertSyntax("{\"a\":1} x", "1:9", "after the JSON value");
        assertSyntax("{\"a\":1}\n{}", "2:1", "after the JSON value");
        assertSyntax("[1]]", "1:4", "after the JSON value");
        assertSyntax("1 2", "1:3", "after the JSON value");
        // deep nesting: refused at the first level past the limit, arrays and objects alike
        assertSyntax("[".repeat(40), "1:17", "nested deeper than 16");
        assertSyntax("{\"a\":".repeat(17) + "1" + "}".repeat(17), "1:81", "nested deeper than 16");
        // numbers: integers within a long, nothing else
        assertSyntax("{\"a\":99999999999999999999}", "1:6", "integer out of range");
        assertSyntax("{\"a\":-9223372036854775809}", "1:6", "integer out of range");
        assertSyntax("{\"a\":" + "9".repeat(5000) + "}", "1:6", "exceeds the maximum");
        assertSyntax("{\"a\":1.5}", "1:6", "only integers");
        assertSyntax("{\n  \"a\": [\n    1e5\n  ]\n}", "3:5", "only integers");
        assertSyntax("{\"a\":01}", "1:7", "Leading zeroes");
        assertSyntax("[NaN]", "1:5", "NaN");
        // strings
        assertSyntax("[\"\\ud83d\"]", "1:2", "lone surrogate");
        assertSyntax("[\"\ud83d\"]", "1:2", "lone surrogate");
        assertSyntax("[\"\\ude00\\ud83d\"]", "1:2", "lone surrogate");
        assertSyntax("[\"a\nb\"]", "1:4", "CTRL-CHAR");
        assertSyntax("[\"\\x\"]", "1:4", "escape");
        // the rest of the grammar
        assertSyntax("{\"a\" 1}", "1:6", "colon");
        assertSyntax("{\"a\":1,}", "1:8", "double-quote to start field name");
        assertSyntax("[1,]", "1:4", "expected a valid value");
        assertSyntax("{'a':1}", "1:2", "double-quote");
        assertSyntax("// c\n{}", "1:1", "comment");
        assertSyntax("", "1:1", "unexpected end of the text");
        assertSyntax("{\"a\":", "1:6", "unexpected end of the text");
    }

    static void assertSyntax(String text, String pos, String why) {
        Json.Syntax e = assertThrows(Json.Syntax.class, () -> Json.parse(text));
        assertTrue(e.getMessage().contains(why), e.getMessage());
        assertEquals(pos, e.pos.toString(), e.getMessage());
        assertTrue(!e.getMessage().contains("\n") && !e.getMessage().contains("[Source"), "one line, no Jackson location: " + e.getMessage());
    }
}
