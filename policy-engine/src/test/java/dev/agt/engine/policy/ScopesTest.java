package dev.agt.engine.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.agt.identity.IdentityException;
import dev.agt.identity.Scope;
import dev.agt.protocol.Request;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ScopesTest {
    static Scopes.Compiled scope(Object... kv) throws IdentityException {
        Map<Scope.Field, List<String>> m = new EnumMap<>(Scope.Field.class);
        for (int i = 0; i < kv.length; i += 2) {
            @SuppressWarnings("unchecked")
            List<String> l = (List<String>) kv[i + 1];
            m.put((Scope.Field) kv[i], l);
        }
        return Scopes.compile(Scope.of(m));
    }

    static Request req(String family, String action, Object... kv) {
        Map<String, Object> t = new java.util.LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            t.put((String) kv[i], kv[i + 1]);
        }
        return Request.of(family, action, t);
    }

    @Test
    void eachFieldGovernsItsFamilies() throws Exception {
        Scopes.Compiled s = scope(Scope.Field.FAMILIES, List.of("file", "net", "process", "mcp"), Scope.Field.PATHS, List.of("/work/**"),
                Scope.Field.HOSTS, List.of("**.example.com"), Scope.Field.EXECUTABLES, List.of("/usr/bin/git"), Scope.Field.TOOLS,
                List.of("search_*"));
        assertNull(Scopes.outside(s, req("file", "read", "path", "/work/a")));
        assertTrue(Scopes.outside(s, req("file", "read", "path", "/etc/passwd")).contains("path /etc/passwd is not in paths"));
        assertTrue(Scopes.outside(s, req("file", "read", "path", "/work/../etc/passwd")).contains("not in paths"), "paths are normalized");
        assertTrue(Scopes.outside(s, req("file", "rename", "path", "/work/a", "dest", "/tmp/a")).contains("dest /tmp/a"),
                "both paths of a move must be inside");
        assertTrue(Scopes.outside(s, req("file", "read")).contains("path null"), "no path: outside");
        assertNull(Scopes.outside(s, req("net", "connect", "host", "API.Example.com.", "port", 443L)));
        assertTrue(Scopes.outside(s, req("net", "connect", "host", "evil.com")).contains("host evil.com"));
        assertTrue(Scopes.outside(s, req("net", "connect", "transport", "unix", "path", "/work/s.sock")).contains("names no host"));
        assertNull(Scopes.outside(s, req("process", "exec", "executable", "/usr/bin/git")));
        assertTrue(Scopes.outside(s, req("process", "exec", "executable", "/usr/bin/../bin/sh")).contains("not in executables"));
        assertNull(Scopes.outside(s, req("mcp", "call", "server", "notes", "tool", "search_notes")));
        assertTrue(Scopes.outside(s, req("mcp", "call", "server", "notes", "tool", "delete_all")).contains("tool delete_all"));
        assertNull(Scopes.outside(s, req("mcp", "list", "server", "notes")), "a tool list names no tool");
        assertTrue(Scopes.outside(s, req("native", "load", "path", "/work/x.so")).contains("family native is not in families"));
        assertTrue(Scopes.outside(s, req("tool", "call", "tool", "search_x")).contains("family tool"));
        // unrestricted fields say nothing
        assertNull(Scopes.outside(scope(Scope.Field.PATHS, List.of("/work/**")), req("net", "connect", "host", "anything.org")));
        assertNull(Scopes.outside(Scopes.compile(Scope.UNRESTRICTED), req("native", "load", "path", "/x.so")));
        // an empty list admits nothing it governs
        assertFalse(Scopes.outside(scope(Scope.Field.HOSTS, List.of()), req("net", "resolve", "host", "a.b")) == null);
    }

    @Test
    void aBadPatternIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> scope(Scope.Field.PATHS, List.of("/a/**b")));
        assertTrue(e.getMessage().startsWith("paths pattern '/a/**b'"), e.getMessage());
    }

    @Test
    void narrowingIsJudgedSoundlyWithTheLanguagesGlobs() {
        Scope.PatternCover c = Scopes.COVER;
        // same text, and literals the parent glob matches
        assertTrue(c.covers(Scope.Field.PATHS, "/work/**", "/work/**"));
        assertTrue(c.covers(Scope.Field.PATHS, "/work/**", "/work/a/b.txt"));
        assertTrue(c.covers(Scope.Field.HOSTS, "**.example.com", "example.com"));
        assertTrue(c.covers(Scope.Field.HOSTS, "*.example.com", "API.example.com"));
        assertTrue(c.covers(Scope.Field.TOOLS, "search_*", "search_notes"));
        assertFalse(c.covers(Scope.Field.PATHS, "/work/**", "/work/../etc/passwd"), "a literal that normalizes elsewhere");
        assertFalse(c.covers(Scope.Field.PATHS, "/work/**", "/workshop/a"));
        // globs inside BASE/** and **.S
        assertTrue(c.covers(Scope.Field.PATHS, "/work/**", "/work/a/**"));
        assertTrue(c.covers(Scope.Field.PATHS, "/work/**", "/work/a/*.txt"));
        assertTrue(c.covers(Scope.Field.EXECUTABLES, "/usr/**", "/usr/bin/*"));
        assertTrue(c.covers(Scope.Field.PATHS, "/**", "/work/**"));
        assertFalse(c.covers(Scope.Field.PATHS, "/work/**", "/work*/**"));
        assertFalse(c.covers(Scope.Field.PATHS, "/work/**", "**/.env"));
        assertFalse(c.covers(Scope.Field.PATHS, "/work/*", "/work/a/*"), "only BASE/** holds globs");
        assertTrue(c.covers(Scope.Field.HOSTS, "**.example.com", "*.api.example.com"));
        assertTrue(c.covers(Scope.Field.HOSTS, "**.example.com", "{a,b}.example.com"));
        assertFalse(c.covers(Scope.Field.HOSTS, "**.example.com", "*example.com"));
        assertFalse(c.covers(Scope.Field.HOSTS, "*.example.com", "*.a.example.com"));
        assertFalse(c.covers(Scope.Field.TOOLS, "search_*", "search_*x*"), "names: globs only when equal");
        assertFalse(c.covers(Scope.Field.PATHS, "/work/**", "/work/**b"), "a bad pattern never covers");
    }
}
