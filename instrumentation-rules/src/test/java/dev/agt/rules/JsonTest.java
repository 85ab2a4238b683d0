package dev.agt.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void parsesWhatToolArgumentsHold() {
        assertEquals(Map.of("path", "/w/x", "n", 3L, "f", 1.5, "ok", true, "list", List.of("a", 2L)),
                Json.parse("{\"path\":\"/w/x\",\"n\":3,\"f\":1.5,\"ok\":true,\"list\":[\"a\",2]}"));
    }

    @Test
    void refusesWhatCouldBeReadTwoWays() {
        // a duplicate key: one reader takes the first, another the last; a deny rule could see the harmless one
        assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"path\":\"/ok\",\"path\":\"/etc/shadow\"}"));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"a\":1} {\"b\":2}"));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"a\":NaN}"));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("[".repeat(40) + "]".repeat(40)));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("123456789012345678901234567890"));
    }

    @Test
    void writesCanonically() {
        assertEquals("{\"a\":[1,\"x\"],\"b\":{\"c\":null}}", Json.write(Map.of("b", java.util.Collections.singletonMap("c", null), "a", List.of(1L, "x"))));
    }
}
