package dev.agt.javaagent.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class OptionsTest {

    @Test
    void argumentsWinOverTheEnvironmentAndDefaultsAreSafe() {
        Options o = Options.parse("engine=/a.sock,name=x", Map.of("AGT_ENGINE", "/env.sock", "AGT_MODE", "monitor"));
        assertEquals("/a.sock", o.engine());
        assertEquals("x", o.name());
        assertTrue(o.monitor(), "the environment still counts where the argument is silent");
        Options d = Options.parse("engine=/a.sock", Map.of());
        assertTrue(d.failClosed());
        assertEquals(2000, d.timeoutMs());
        assertEquals(4, d.frames());
    }

    @Test
    void anythingUnclearStopsInsteadOfGuessing() {
        assertThrows(IllegalArgumentException.class, () -> Options.parse("name=x", Map.of()), "no engine");
        assertThrows(IllegalArgumentException.class, () -> Options.parse("engine=/a,failmode=open", Map.of()), "misspelt key");
        assertThrows(IllegalArgumentException.class, () -> Options.parse("engine=/a,failMode=opne", Map.of()));
        assertThrows(IllegalArgumentException.class, () -> Options.parse("engine=/a,timeoutMs=-1", Map.of()));
        assertThrows(IllegalArgumentException.class, () -> Options.parse("engine=/a,frames=x", Map.of()));
        assertThrows(IllegalArgumentException.class, () -> Options.parse("engine=/a,mode=audit", Map.of()));
        assertEquals("/id.key", Options.parse("engine=/a,identity=/id.key", Map.of()).identity());
        assertThrows(IllegalArgumentException.class, () -> Options.parse("engine=/a,delegationTtl=5", Map.of()), "too short");
        assertEquals("/r.yaml", Options.parse("engine=/a,rules=/r.yaml", Map.of()).rules());
        assertEquals("/env.yaml", Options.parse("engine=/a", Map.of("AGT_RULES", "/env.yaml")).rules());
        assertThrows(IllegalArgumentException.class, () -> Options.parse("engine=/a,junk", Map.of()));
    }
}
