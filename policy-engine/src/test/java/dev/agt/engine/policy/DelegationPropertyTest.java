package dev.agt.engine.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.agt.identity.Scope;
import dev.agt.protocol.Decision;
import dev.agt.protocol.Request;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Attenuation over random policies, chains of scopes and requests (fixed seeds): a delegate is
 * never allowed what its parent is denied, and whatever every link admits is decided exactly as the
 * root's own request. The policies and requests are {@link SemanticsPropertyTest}'s; the scopes use
 * the same vocabulary, so they overlap with the rules and the requests.
 */
class DelegationPropertyTest {
    static final long SEED = 0xde1e_9a7eL;
    static final int POLICIES = 250;
    static final int CHAINS_PER_POLICY = 6;
    static final int REQUESTS_PER_CHAIN = 25;

    static final String[] FAMILIES = {"file", "net", "process", "mcp", "native", "tool"};
    static final String[] PATHS = {"/a/**", "/a/b/**", "/a/b/c", "/b/**", "/**", "**/.env", "/a/x", "/home/alice/**"};
    static final String[] HOSTS = {"x.com", "*.x.com", "**.y.org", "api.x.com", "z.net", "**.x.com"};
    static final String[] EXES = {"/usr/bin/git", "/usr/bin/*", "/bin/sh", "/usr/**"};
    static final String[] TOOLS = {"read_note", "search_*", "*", "other"};

    static Scope randomScope(Random r) {
        Map<Scope.Field, List<String>> m = new EnumMap<>(Scope.Field.class);
        for (Scope.Field f : Scope.Field.values()) {
            if (r.nextInt(3) != 0) {
                continue;
            }
            String[] vocab = switch (f) {
                case FAMILIES -> FAMILIES;
                case PATHS -> PATHS;
                case HOSTS -> HOSTS;
                case EXECUTABLES -> EXES;
                case TOOLS -> TOOLS;
            };
            List<String> l = new ArrayList<>();
            int n = r.nextInt(4); // sometimes empty: admits nothing of what the field governs
            for (int i = 0; i < n; i++) {
                String v = vocab[r.nextInt(vocab.length)];
                if (!l.contains(v)) {
                    l.add(v);
                }
            }
            m.put(f, l);
        }
        return new Scope(m);
    }

    @Test
    void aDelegateIsNeverAllowedWhatItsParentIsDenied() {
        Random r = new Random(SEED);
        Evaluator ev = new Evaluator();
        int checked = 0;
        int delegateAllows = 0;
        int scopeDenials = 0;
        int policyDenialsInScope = 0;
        for (int i = 0; i < POLICIES; i++) {
            Policy p;
            try {
                p = PolicyLoader.loadText("gen.yaml", SemanticsPropertyTest.policy(r).yaml(), null, Map.of());
            } catch (PolicyException e) {
                continue; // the generator sometimes writes rules the loader refuses as duplicates
            }
            for (int k = 0; k < CHAINS_PER_POLICY; k++) {
                Agent root = SemanticsPropertyTest.agent(r);
                int depth = 1 + r.nextInt(5);
                List<Scopes.Compiled> links = new ArrayList<>();
                List<String> who = new ArrayList<>();
                for (int d = 0; d < depth; d++) {
                    // random, not only narrowing: attenuation must hold even for a chain the verifier would refuse
                    links.add(Scopes.compile(randomScope(r)));
                    who.add("c" + d);
                }
                for (int q = 0; q < REQUESTS_PER_CHAIN; q++) {
                    Request req = r.nextInt(4) == 0 ? nativeOrTool(r) : SemanticsPropertyTest.request(r);
                    Decision rootDecision = ev.evaluate(p, req, root, Set.of()).decision();
                    Decision parent = rootDecision;
                    for (int d = 1; d <= depth; d++) {
                        Delegated.Result got = Delegated.decide(ev, p, req, root, links.subList(0, d), who.subList(0, d), Set.of());
                        Decision child = got.outcome().decision();
                        int depthNow = d;
                        java.util.function.Supplier<String> ctx = () -> "policy:\n" + p.rules() + "\nrequest " + req + "\nagent " + root
                                + "\nscopes " + links.subList(0, depthNow).stream().map(c -> c.scope().toString()).toList();
                        if (child.allowed()) {
                            delegateAllows++;
                            Decision parentNow = parent;
                            assertTrue(parentNow.allowed(), () -> "a delegate allowed what its parent is denied: " + ctx.get());
                            assertTrue(rootDecision.allowed(), ctx);
                            for (Scopes.Compiled c : links.subList(0, d)) {
                                assertEquals(null, Scopes.outside(c, req), () -> "allowed outside a link's scope: " + ctx.get());
                            }
                        }
                        if (got.link() >= 0) {
                            scopeDenials++;
                            assertFalse(child.allowed(), ctx);
                            assertEquals("out-of-scope", child.code(), ctx);
                        } else {
                            // every link admits it: decided exactly as the root
                            assertEquals(rootDecision.effect(), child.effect(), ctx);
                            assertEquals(rootDecision.rule(), child.rule(), ctx);
                            if (!child.allowed()) {
                                policyDenialsInScope++;
                            }
                        }
                        parent = child;
                        checked++;
                    }
                }
            }
        }
        assertTrue(checked > 50_000, "checked " + checked);
        assertTrue(delegateAllows > 2_000 && scopeDenials > 2_000 && policyDenialsInScope > 2_000,
                delegateAllows + " delegate allows, " + scopeDenials + " scope denials, " + policyDenialsInScope + " policy denials in scope");
    }

    /** Families the semantics generator does not produce, so families scopes meet them too. */
    static Request nativeOrTool(Random r) {
        return r.nextBoolean() ? Request.of("native", "load", Map.of("path", r.nextBoolean() ? "/a/b/c" : "/usr/lib/x.so"))
                : Request.of("tool", "call", Map.of("tool", r.nextBoolean() ? "search_x" : "read_note", "arguments", Map.of()));
    }
}
