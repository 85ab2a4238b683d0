package dev.agt.engine.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class GlobTest {

    @ParameterizedTest(name = "{0} ~ {1} = {2}")
    @CsvSource({
            "/a/**, /a/b, true",
            "/a/**, /a/b/c/d, true",
            "/a/**, /a, false",
            "/a/**, /ab/c, false",
            "/a/*, /a/b, true",
            "/a/*, /a/b/c, false",
            "/a/**/c, /a/c, true",
            "/a/**/c, /a/x/y/c, true",
            "/a/**/c, /a/x/y/cd, false",
            "**/.env, /.env, true",
            "**/.env, /srv/app/.env, true",
            "**/.env, /srv/app/.envrc, false",
            "**/*.pem, /etc/ssl/k.pem, true",
            "/a/?.txt, /a/b.txt, true",
            "/a/?.txt, /a/bb.txt, false",
            "'/a/{x,y}.txt', /a/y.txt, true",
            "'/a/{x,y}.txt', /a/z.txt, false",
            "/a/\\*, /a/*, true",
            "/a/\\*, /a/b, false",
            "/a/b, /a/b, true",
            "/a/b, /a/b/, false",
    })
    void paths(String glob, String path, boolean expected) {
        assertEquals(expected, Glob.compile(glob, Glob.Kind.PATH).matches(path));
    }

    @ParameterizedTest(name = "{0} ~ {1} = {2}")
    @CsvSource({
            "*.example.com, api.example.com, true",
            "*.example.com, a.b.example.com, false",
            "*.example.com, example.com, false",
            "**.example.com, example.com, true",
            "**.example.com, a.b.example.com, true",
            "**.example.com, badexample.com, false",
            "API.Example.com, api.example.com, true",
    })
    void hosts(String glob, String host, boolean expected) {
        assertEquals(expected, Glob.compile(glob, Glob.Kind.HOST).matches(host));
    }

    @ParameterizedTest(name = "{0} ~ {1} = {2}")
    @CsvSource({
            "read_*, read_note, true",
            "read_*, read_a/b, true",
            "search, search_notes, false",
    })
    void names(String glob, String name, boolean expected) {
        assertEquals(expected, Glob.compile(glob, Glob.Kind.NAME).matches(name));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/a/b**", "/a/**b/c", "/a/{b", "/a/b}", "/a/{b,{c}}", "/a/\\", ""})
    void malformedGlobsAreRefused(String glob) {
        assertThrows(IllegalArgumentException.class, () -> Glob.compile(glob, Glob.Kind.PATH));
    }

    @ParameterizedTest
    @ValueSource(strings = {"*", "a?b", "{x,y}", "back\\slash", "plain"})
    void escapedLiteralsMatchOnlyThemselves(String literal) {
        Glob g = Glob.compile("/agents/" + Glob.escape(literal) + "/**", Glob.Kind.PATH);
        assertEquals(true, g.matches("/agents/" + literal + "/f"));
        // what the unescaped wildcards would have matched
        for (String other : new String[] {"zzz", "x", "aqb"}) {
            assertEquals(false, g.matches("/agents/" + other + "/f"), other);
        }
    }
}
