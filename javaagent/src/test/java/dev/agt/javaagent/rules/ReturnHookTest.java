package dev.agt.javaagent.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.agt.fixture.returns.Calls;
import dev.agt.javaagent.bootstrap.Dispatcher;
import dev.agt.javaagent.bootstrap.Handler;
import dev.agt.rules.InterceptRule;
import dev.agt.rules.RulesParser;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * At-return rules that read the call's arguments get them as they were on entry, although the
 * method's own code reuses the parameters' slots; the rewritten class passes the verifier
 * whatever other hooks share the method. Real rewriting, real class loading, a recording handler.
 */
class ReturnHookTest {
    /** What the dispatcher passed: rule, arguments (or null), result; and the entry checks seen. */
    static final List<Object[]> RESULTS = new CopyOnWriteArrayList<>();
    static final List<Object[]> ENTRIES = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void arm() {
        Dispatcher.install(Dispatcher.claim(), new Handler() {
            @Override
            public String[] check(String family, String action, Object[] fields) {
                return null;
            }

            @Override
            public String[] launch(ProcessBuilder builder) {
                return null;
            }

            @Override
            public String[] intercept(int rule, Object self, Object[] args) {
                ENTRIES.add(new Object[] {rule, args.clone()});
                return null;
            }

            @Override
            public Object result(int rule, Object self, Object[] args, Object result) {
                RESULTS.add(new Object[] {rule, args == null ? null : args.clone(), result});
                return result;
            }

            @Override
            public void resolved(String host, InetAddress[] addresses) {
            }

            @Override
            public void refused(String family, String action, String code, String reason, String what) {
            }
        });
    }

    private static final String CLASS = Calls.class.getName();

    static List<InterceptRule> rules(String yaml) throws Exception {
        return RulesParser.parse("test-rules.yaml", "version: 1\nrules:\n" + yaml, false).rules();
    }

    /** A fresh copy of Calls, rewritten under these rules and checked by the verifier as it loads. */
    static Class<?> rewritten(List<InterceptRule> rules) throws Exception {
        RuleTransformer t = new RuleTransformer(rules, true);
        ClassLoader loader = new ClassLoader(ReturnHookTest.class.getClassLoader()) {
            @Override
            protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
                if (!name.equals(CLASS)) {
                    return super.loadClass(name, resolve);
                }
                synchronized (getClassLoadingLock(name)) {
                    Class<?> done = findLoadedClass(name);
                    if (done != null) {
                        return done;
                    }
                    try (InputStream in = getParent().getResourceAsStream(name.replace('.', '/') + ".class")) {
                        byte[] original = in.readAllBytes();
                        byte[] bytes = t.transform(null, this, name.replace('.', '/'), null, null, original);
                        assertTrue(bytes != null, "the rules selected a method of " + name + ": " + t.failures());
                        return defineClass(name, bytes, 0, bytes.length);
                    } catch (java.io.IOException e) {
                        throw new ClassNotFoundException(name, e);
                    }
                }
            }
        };
        Class<?> c = Class.forName(CLASS, true, loader);
        assertTrue(t.failures().isEmpty(), t.failures().toString());
        return c;
    }

    static String rule(String id, String method, String params, boolean atReturn, String target) {
        return "  - id: " + id + "\n    class: " + CLASS + "\n    method: " + method + "\n    params: " + params + "\n"
                + (atReturn ? "    at: return\n" : "") + "    family: tool\n    action: call\n    target:\n" + target;
    }

    static Object[] lastResult(int rule) {
        return RESULTS.stream().filter(r -> (int) r[0] == rule).reduce((a, b) -> b).orElseThrow();
    }

    @Test
    void theArgumentsAsTheyWereOnEntryAlthoughTheMethodOverwroteThem() throws Exception {
        String params = "[java.lang.String, long, double, int]";
        Class<?> c = rewritten(rules(rule("r", "call", params, true, "      tool: arg0\n      result: result\n")));
        Object calls = c.getConstructor().newInstance();
        Method m = c.getMethod("call", String.class, long.class, double.class, int.class);
        RESULTS.clear();
        assertEquals("too much:012", m.invoke(calls, "lookup", 7L, 500.0, 3));
        Object[] seen = lastResult(0);
        assertEquals(List.of("lookup", 7L, 500.0, 3), Arrays.asList((Object[]) seen[1]), "the entry's arguments, not the overwritten slot");
        assertEquals("too much:012", seen[2]);
        assertEquals("negative", m.invoke(calls, "early", 1L, 1.0, -1));
        assertEquals("early", ((Object[]) lastResult(0)[1])[0], "an early return gets them too");
    }

    @Test
    void aRuleThatReadsNoArgumentsKeepsNone() throws Exception {
        Class<?> c = rewritten(rules(rule("r", "statically", "[java.lang.Object, java.lang.Object]", true, "      tool: {const: fixed}\n      result: result\n")));
        RESULTS.clear();
        assertEquals("overwritten b!", c.getMethod("statically", Object.class, Object.class).invoke(null, "a", "b"));
        assertNull(lastResult(0)[1]);
    }

    @Test
    void entryAndReturnHooksShareAMethodInEitherOrderAndTwoReturnRulesEachKeepTheirOwn() throws Exception {
        String params = "[java.lang.Object, java.lang.Object]";
        String entry = rule("entry", "statically", params, false, "      tool: arg0\n");
        String first = rule("first", "statically", params, true, "      tool: arg1\n");
        String second = rule("second", "statically", params, true, "      tool: arg0\n      result: result\n");
        for (List<InterceptRule> rs : List.of(rules(entry + first + second), rules(first + entry + second), rules(first + second + entry))) {
            Class<?> c = rewritten(rs);
            RESULTS.clear();
            ENTRIES.clear();
            assertEquals("overwritten y!", c.getMethod("statically", Object.class, Object.class).invoke(null, "x", "y"));
            assertEquals(1, ENTRIES.size());
            assertEquals(2, RESULTS.size(), "both return rules decided");
            for (Object[] r : RESULTS) {
                assertEquals(List.of("x", "y"), Arrays.asList((Object[]) r[1]), rs.stream().map(InterceptRule::id).toList().toString());
            }
        }
    }

    @Test
    void aResultThatArrivesLaterIsDecidedWithTheArgumentsOfItsCall() throws Exception {
        Class<?> c = rewritten(rules(rule("r", "later", "[java.lang.String]", true, "      tool: arg0\n      result: result\n")));
        RESULTS.clear();
        @SuppressWarnings("unchecked")
        CompletableFuture<String> f = (CompletableFuture<String>) c.getMethod("later", String.class).invoke(c.getConstructor().newInstance(), "slow");
        assertEquals("done", f.get(10, TimeUnit.SECONDS));
        Object[] seen = lastResult(0);
        assertEquals(List.of("slow"), Arrays.asList((Object[]) seen[1]));
        assertTrue(seen[2] instanceof CompletableFuture, "the dispatcher saw the future; the handler decides on arrival");
    }
}
