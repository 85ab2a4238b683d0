package dev.agt.javaagent.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which requests carry their calling frames: the first of each per session, or every one. */
class CallingFramesTest {
    static Map<String, Object> path(String p) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("path", p);
        return t;
    }

    @Test
    void aRequestCarriesItsFramesTheFirstTimeInASessionOnly() {
        CallingFrames f = new CallingFrames(4, false);
        assertFalse(f.forRequest("file", "read", path("/srv/a")).isEmpty(), "first sighting: walked");
        assertEquals(List.of(), f.forRequest("file", "read", path("/srv/a")), "the same request again: not walked");
        assertFalse(f.forRequest("file", "write", path("/srv/a")).isEmpty(), "another action is another request");
        assertFalse(f.forRequest("file", "read", path("/srv/b")).isEmpty(), "another target is another request");
        f.newSession();
        assertFalse(f.forRequest("file", "read", path("/srv/a")).isEmpty(), "a new session's log has not seen it");
    }

    @Test
    void toolArgumentsAreNeverRememberedAndEveryMeansEvery() {
        CallingFrames first = new CallingFrames(4, false);
        Map<String, Object> call = new LinkedHashMap<>(Map.of("tool", "search", "arguments", Map.of("q", "x")));
        assertFalse(first.forRequest("tool", "call", call).isEmpty());
        assertFalse(first.forRequest("tool", "call", call).isEmpty(), "structured targets are walked every time");

        CallingFrames every = new CallingFrames(4, true);
        assertFalse(every.forRequest("file", "read", path("/srv/a")).isEmpty());
        assertFalse(every.forRequest("file", "read", path("/srv/a")).isEmpty());

        assertTrue(new CallingFrames(0, false).forRequest("file", "read", path("/srv/c")).isEmpty(), "frames=0: none");
    }
}
