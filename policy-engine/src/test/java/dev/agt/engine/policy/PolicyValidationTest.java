package dev.agt.engine.policy;

import dev.agt.config.Problem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.agt.protocol.Request;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every validation error names the right line and column and says what is wrong. */
class PolicyValidationTest {
    static final String HEAD = "version: 1\nrules:\n";

    static Problem onlyProblem(String yaml) {
        PolicyException e = assertThrows(PolicyException.class, () -> PolicyLoader.loadText("p.yaml", yaml, null, Map.of()));
        assertEquals(1, e.problems().size(), () -> "expected one problem, got:\n" + e.getMessage());
        return e.problems().get(0);
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("unknown key", HEAD + "  - id: a\n    effect: allow\n    family: net\n    hots: [x]\n",
                        6, 5, "unknown key 'hots' (did you mean 'hosts'?)"),
                Arguments.of("unknown top key", "version: 1\nrule: []\nrules:\n  - {id: a, effect: allow, family: net}\n", 2, 1, "unknown key 'rule' (did you mean 'rules'?)"),
                Arguments.of("wrong type", HEAD + "  - id: a\n    effect: allow\n    family: file\n    paths: {a: b}\n",
                        6, 12, "'paths' takes non-empty strings, not a mapping"),
                Arguments.of("sandbox on a deny", HEAD + "  - id: a\n    effect: deny\n    family: process\n    sandbox: strict\n", 6, 14,
                        "'sandbox' applies to allow rules of family process"),
                Arguments.of("sandbox on a file rule", HEAD + "  - id: a\n    effect: allow\n    family: file\n    sandbox: strict\n", 6, 14,
                        "'sandbox' applies to allow rules of family process"),
                Arguments.of("sandbox not a profile", HEAD + "  - id: a\n    effect: allow\n    family: process\n    sandbox: ../x\n", 6, 14,
                        "'../x' is not a sandbox profile"),
                Arguments.of("bad effect", HEAD + "  - id: a\n    effect: permit\n    family: file\n", 4, 13, "effect must be 'allow', 'deny' or 'ask'"),
                Arguments.of("bad label", HEAD + "  - id: a\n    effect: allow\n    family: file\n    labels: [Secret]\n", 6, 14,
                        "'Secret' is not a label name"),
                Arguments.of("bad label lifetime", HEAD + "  - id: a\n    effect: allow\n    family: file\n    labels: [{label: s, for: 2y}]\n", 6, 30,
                        "'for' is a lifetime such as 45s, 30m, 12h or 7d"),
                Arguments.of("label twice", HEAD + "  - id: a\n    effect: allow\n    family: file\n    labels: [s, s]\n", 6, 17,
                        "label 's' is listed twice"),
                Arguments.of("bad session label", HEAD + "  - id: a\n    effect: allow\n    family: file\n    when: [session.Secret]\n", 6, 12,
                        "a session label is lower case"),
                Arguments.of("unknown fact says how labels are written", HEAD + "  - id: a\n    effect: allow\n    family: file\n    unless: [secret]\n",
                        6, 14, "session labels are written session.NAME"),
                Arguments.of("required and forbidden", HEAD + "  - id: a\n    effect: allow\n    family: file\n    when: [session.s]\n    unless: [session.s]\n",
                        7, 13, "both required (when) and forbidden (unless)"),
                Arguments.of("bad family", HEAD + "  - id: a\n    effect: allow\n    family: fiel\n", 5, 13, "unknown family 'fiel' (did you mean 'file'?)"),
                Arguments.of("bad action", HEAD + "  - id: a\n    effect: allow\n    family: file\n    actions: [read, exec]\n",
                        6, 21, "family file has no action 'exec'"),
                Arguments.of("key for another family", HEAD + "  - id: a\n    effect: allow\n    family: file\n    hosts: [x.com]\n",
                        6, 5, "'hosts' does not apply to family file"),
                Arguments.of("bad glob", HEAD + "  - id: a\n    effect: allow\n    family: file\n    paths: [\"/a/b**\"]\n",
                        6, 13, "'**' must be a whole segment"),
                Arguments.of("relative path", HEAD + "  - id: a\n    effect: allow\n    family: file\n    paths: [etc/passwd]\n",
                        6, 13, "must be absolute"),
                Arguments.of("unnormalized path", HEAD + "  - id: a\n    effect: allow\n    family: file\n    paths: [/a/../b]\n",
                        6, 13, "not normalized"),
                Arguments.of("URL host pattern with a trailing dot", HEAD + "  - id: a\n    effect: deny\n    family: mcp\n"
                        + "    where: [{pointer: /url, host: \"**.evil.example.\"}]\n", 6, 35,
                        "host pattern '**.evil.example.' ends with '.'; hosts are matched without their trailing dot, so it could never match:"
                        + " write '**.evil.example'"),
                Arguments.of("URL host pattern in Unicode", HEAD + "  - id: a\n    effect: deny\n    family: mcp\n"
                        + "    where: [{pointer: /url, host: \"**.b\u00FCcher.example\"}]\n", 6, 35,
                        "host pattern '**.b\u00FCcher.example' is not ASCII; URL hosts are matched in their ASCII (punycode) form, so it could"
                        + " never match: write '**.xn--bcher-kva.example'"),
                Arguments.of("bad regex", HEAD + "  - id: a\n    effect: allow\n    family: process\n    executables: [{regex: \"(\"}]\n",
                        6, 27, "bad regex '('"),
                Arguments.of("bad cidr", HEAD + "  - id: a\n    effect: deny\n    family: net\n    cidrs: [10.0.0.1/8]\n",
                        6, 13, "has host bits set; did you mean 10.0.0.0/8?"),
                Arguments.of("bad port", HEAD + "  - id: a\n    effect: allow\n    family: net\n    ports: [443, 70000]\n",
                        6, 18, "outside 0-65535"),
                Arguments.of("NaN port", HEAD + "  - id: a\n    effect: allow\n    family: net\n    ports: [1.5]\n",
                        6, 13, "not a fraction"),
                Arguments.of("negative limit", HEAD + "  - id: a\n    effect: allow\n    family: net\n    limit: -1/minute\n",
                        6, 12, "COUNT/UNIT with a whole, positive COUNT"),
                Arguments.of("zero limit", HEAD + "  - id: a\n    effect: allow\n    family: net\n    limit: 0/minute\n",
                        6, 12, "at least 1"),
                Arguments.of("infinite limit", HEAD + "  - id: a\n    effect: allow\n    family: net\n    limit: Infinity/second\n",
                        6, 12, "COUNT/UNIT"),
                Arguments.of("limit on deny", HEAD + "  - id: a\n    effect: deny\n    family: net\n    limit: 5/second\n",
                        6, 12, "'limit' applies to allow rules"),
                Arguments.of("missing family", HEAD + "  - id: a\n    effect: allow\n", 3, 5, "rule is missing 'family'"),
                Arguments.of("unknown variable", HEAD + "  - id: a\n    effect: allow\n    family: file\n    paths: [\"${workspace}/**\"]\n",
                        6, 13, "unknown variable ${workspace}"),
                Arguments.of("unclosed variable", HEAD + "  - id: a\n    effect: allow\n    family: file\n    paths: [\"${home/**\"]\n",
                        6, 13, "unclosed '${'"),
                Arguments.of("duplicate id", HEAD + "  - {id: a, effect: allow, family: net, hosts: [x.com]}\n"
                        + "  - {id: a, effect: allow, family: net, hosts: [y.com]}\n", 4, 5, "rule id 'a' is already used at p.yaml:3:5"),
                Arguments.of("unreachable duplicate", HEAD + "  - {id: a, effect: allow, family: net, hosts: [x.com, y.com]}\n"
                        + "  - {id: b, effect: allow, family: net, hosts: [y.com, x.com]}\n", 4, 5, "rule 'b' matches exactly what rule 'a'"),
                Arguments.of("allow shadowed by deny", HEAD + "  - {id: a, effect: deny, family: net, hosts: [x.com]}\n"
                        + "  - {id: b, effect: allow, family: net, hosts: [x.com]}\n", 4, 5, "rule 'b' can never allow: rule 'a'"),
                Arguments.of("empty rules", "version: 1\nrules: []\n", 2, 8, "'rules' is empty"),
                Arguments.of("no rules", "version: 1\n", 1, 1, "missing 'rules:'"),
                Arguments.of("wrong version", "version: 2\nrules:\n  - {id: a, effect: allow, family: net}\n", 1, 10, "unsupported policy version 2"),
                Arguments.of("duplicate yaml key", HEAD + "  - id: a\n    effect: allow\n    family: net\n    family: file\n",
                        6, 5, "duplicate key 'family' (first at line 5)"),
                Arguments.of("yaml syntax", "version: 1\nrules:\n  - id: [a\n", 3, 9, "expected ',' or ']'"),
                Arguments.of("empty list", HEAD + "  - id: a\n    effect: allow\n    family: net\n    hosts: []\n",
                        6, 12, "'hosts' is an empty list"),
                Arguments.of("bad pointer", HEAD + "  - id: a\n    effect: allow\n    family: mcp\n    where: [{pointer: path, glob: /x}]\n",
                        6, 23, "bad JSON pointer 'path'"),
                Arguments.of("two where tests", HEAD + "  - id: a\n    effect: allow\n    family: mcp\n    where: [{pointer: /p, glob: /x, prefix: /y}]\n",
                        6, 13, "exactly one test"),
                Arguments.of("argv ** not last", HEAD + "  - id: a\n    effect: allow\n    family: process\n    argv: [git, \"**\", x]\n",
                        6, 17, "must come last"),
                Arguments.of("unknown transport", HEAD + "  - id: a\n    effect: allow\n    family: net\n    transports: [sctp]\n",
                        6, 18, "unknown transport 'sctp'"),
                Arguments.of("misspelt fact", HEAD + "  - id: a\n    effect: deny\n    family: mcp\n    when: [mcp.tool.flaged]\n",
                        6, 12, "unknown fact 'mcp.tool.flaged' (did you mean 'mcp.tool.flagged'?)"),
                Arguments.of("fact without its prefix", HEAD + "  - id: a\n    effect: deny\n    family: mcp\n    when: [changed]\n",
                        6, 12, "unknown fact 'changed' (did you mean 'mcp.tool.changed'?)"),
                Arguments.of("built-in rule id taken", HEAD + "  - id: builtin.mcp-unknown-server\n    effect: allow\n    family: mcp\n",
                        3, 9, "rule ids starting with 'builtin.' are the engine's own"),
                Arguments.of("models on another family", HEAD + "  - id: a\n    effect: deny\n    family: net\n    models: [gpt-4o]\n",
                        6, 5, "'models' does not apply to family net"),
                Arguments.of("empty providers", HEAD + "  - id: a\n    effect: allow\n    family: model\n    providers: []\n",
                        6, 16, "empty list"),
                Arguments.of("unknown built-in rule", "version: 1\nbuiltin_rules: {mcp-unknown-servers: off}\nrules:\n  - {id: a, effect: allow, family: net}\n",
                        2, 17, "no built-in rule named 'mcp-unknown-servers'; did you mean 'mcp-unknown-server'?"),
                Arguments.of("bad built-in rule state", "version: 1\nbuiltin_rules: {mcp-unknown-server: allow}\nrules:\n  - {id: a, effect: allow, family: net}\n",
                        2, 37, "built-in rule 'mcp-unknown-server' is enforce, monitor or off, not allow"),
                Arguments.of("built-in rules not a map", "version: 1\nbuiltin_rules: [mcp-unknown-server]\nrules:\n  - {id: a, effect: allow, family: net}\n",
                        2, 16, "'builtin_rules' must be a mapping"),
                Arguments.of("unknown fact", HEAD + "  - id: a\n    effect: deny\n    family: mcp\n    when: [net.host.evil]\n",
                        6, 12, "unknown fact 'net.host.evil' (facts: mcp.tool.flagged, mcp.tool.changed, mcp.tool.unknown, mcp.server.unknown, tool.result.flagged)"),
                Arguments.of("fact twice", HEAD + "  - id: a\n    effect: deny\n    family: mcp\n    when: [mcp.tool.changed, mcp.tool.changed]\n",
                        6, 30, "fact 'mcp.tool.changed' is listed twice"),
                Arguments.of("mcp fact outside mcp", HEAD + "  - id: a\n    effect: deny\n    family: file\n    when: [mcp.tool.flagged]\n",
                        6, 12, "fact 'mcp.tool.flagged' is about MCP requests (family mcp); rules of family file test session labels"),
                Arguments.of("empty when", HEAD + "  - id: a\n    effect: deny\n    family: mcp\n    when: []\n",
                        6, 11, "'when' is an empty list"),
                Arguments.of("unknown tool on lists", HEAD + "  - id: a\n    effect: deny\n    family: mcp\n    actions: [list]\n"
                        + "    when: [mcp.tool.unknown]\n", 7, 12, "'mcp.tool.unknown' never holds for action list"),
                Arguments.of("bad policy mode", "version: 1\nmode: watch\nrules:\n  - {id: a, effect: allow, family: net}\n",
                        2, 7, "'mode' is 'enforce' or 'monitor', not watch"),
                Arguments.of("bad rule mode", HEAD + "  - id: a\n    effect: deny\n    family: net\n    mode: [monitor]\n",
                        6, 11, "'mode' is 'enforce' or 'monitor', not a list"),
                Arguments.of("mode on an allow rule", HEAD + "  - id: a\n    effect: allow\n    family: net\n    mode: monitor\n",
                        6, 11, "'mode' applies to deny rules"),
                Arguments.of("misspelt rule key", HEAD + "  - id: a\n    effect: deny\n    family: mcp\n    wehn: [mcp.tool.flagged]\n",
                        6, 5, "unknown key 'wehn' (did you mean 'when'?)"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void problemIsPlacedAndExplained(String name, String yaml, int line, int column, String message) {
        Problem p = onlyProblem(yaml);
        assertTrue(p.message().contains(message), () -> "message was: " + p.message());
        assertEquals("p.yaml:" + line + ":" + column, p.pos().toString(), () -> "for: " + p.message());
    }

    @Test
    void everyProblemIsReportedNotJustTheFirst() {
        PolicyException e = assertThrows(PolicyException.class, () -> PolicyLoader.loadText("p.yaml", HEAD
                + "  - {id: a, effect: permit, family: net}\n  - {id: b, effect: allow, family: nett}\n", null, Map.of()));
        assertEquals(List.of("p.yaml:3:21", "p.yaml:4:36"), e.problems().stream().map(p -> p.pos().toString()).toList());
    }

    @Test
    void includedFilesReportTheirOwnNamesAndMissingIncludesAreProblems(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("base.yaml"), "version: 1\nrules:\n  - {id: base, effect: allow, family: nett}\n");
        Files.writeString(dir.resolve("main.yaml"), "version: 1\ninclude: [base.yaml, gone.yaml, no-such-builtin]\n"
                + "rules:\n  - {id: a, effect: allow, family: net}\n");
        PolicyException e = assertThrows(PolicyException.class, () -> PolicyLoader.load(dir.resolve("main.yaml"), Map.of()));
        List<String> where = e.problems().stream().map(p -> p.pos().toString()).toList();
        assertTrue(where.contains(dir.resolve("base.yaml") + ":3:39"), where::toString);
        assertTrue(e.getMessage().contains("cannot read included file"), e::getMessage);
        assertTrue(e.getMessage().contains("no built-in policy named 'no-such-builtin'"), e::getMessage);
    }

    @Test
    void includeCyclesAreRefused(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("a.yaml"), "version: 1\ninclude: [b.yaml]\nrules:\n  - {id: a, effect: allow, family: net}\n");
        Files.writeString(dir.resolve("b.yaml"), "version: 1\ninclude: [a.yaml]\nrules:\n  - {id: b, effect: allow, family: file}\n");
        PolicyException e = assertThrows(PolicyException.class, () -> PolicyLoader.load(dir.resolve("a.yaml"), Map.of()));
        assertTrue(e.getMessage().contains("include cycle"), e::getMessage);
    }

    @Test
    void missingPolicyFileIsAProblemNotACrash(@TempDir Path dir) {
        PolicyException e = assertThrows(PolicyException.class, () -> PolicyLoader.load(dir.resolve("nope.yaml"), Map.of()));
        assertTrue(e.getMessage().contains("does not exist"));
    }

    @Test
    void versionIgnoresRuleOrderAndFollowsContent() throws Exception {
        String a = HEAD + "  - {id: a, effect: allow, family: net, hosts: [x.com]}\n  - {id: b, effect: deny, family: file, paths: [/s/**]}\n";
        String b = HEAD + "  - {id: b, effect: deny, family: file, paths: [/s/**]}\n  - {id: a, effect: allow, family: net, hosts: [x.com]}\n";
        String c = HEAD + "  - {id: b, effect: deny, family: file, paths: [/t/**]}\n  - {id: a, effect: allow, family: net, hosts: [x.com]}\n";
        String va = PolicyLoader.loadText("p", a, null, Map.of()).version();
        assertEquals(va, PolicyLoader.loadText("p", b, null, Map.of()).version());
        assertTrue(!va.equals(PolicyLoader.loadText("p", c, null, Map.of()).version()));
        assertEquals(64, va.length());
    }

    @Test
    void modelRulesMatchByProviderAndModel() throws Exception {
        Policy p = PolicyLoader.loadText("p", "version: 1\nrules:\n"
                + "  - {id: small, effect: allow, family: model, actions: [chat, stream], providers: [OPEN_AI], models: [\"gpt-4o-mini*\"]}\n"
                + "  - {id: large, effect: deny, family: model, models: [\"o1*\"]}\n", null, Map.of());
        Evaluator ev = new Evaluator();
        java.util.function.Function<Request, dev.agt.protocol.Decision> decide = r -> ev.evaluate(p, r, new Agent("a", "a", "0", "local", Map.of()), java.util.Set.of()).decision();
        assertEquals("small", decide.apply(Request.of("model", "chat", Map.of("provider", "OPEN_AI", "model", "gpt-4o-mini-2024"))).rule());
        assertEquals("large", decide.apply(Request.of("model", "chat", Map.of("provider", "OPEN_AI", "model", "o1-preview"))).rule());
        assertFalse(decide.apply(Request.of("model", "chat", Map.of("provider", "ANTHROPIC", "model", "gpt-4o-mini"))).allowed(),
                "another provider's model of the same name");
        assertFalse(decide.apply(Request.of("model", "embed", Map.of("provider", "OPEN_AI", "model", "gpt-4o-mini"))).allowed(),
                "an action the allow does not list");
    }

    @Test
    void everyPolicyCarriesTheUnknownServerRuleUnlessItsMainFileSwitchesIt(@TempDir Path dir) throws Exception {
        String rules = "rules:\n  - {id: all-mcp, effect: allow, family: mcp}\n";
        Map<String, Object> noServer = Map.of("tool", "echo", "transport", "com.acme.InProcessTransport");
        Policy plain = PolicyLoader.loadText("p", "version: 1\n" + rules, null, Map.of());
        Rule builtin = plain.rules().stream().filter(r -> r.id().equals("builtin.mcp-unknown-server")).findFirst().orElseThrow();
        assertTrue(builtin.deny() && builtin.when().equals(java.util.Set.of(Fact.MCP_SERVER_UNKNOWN)), builtin.toString());
        assertEquals("<builtin>/mcp-unknown-server.yaml", builtin.pos().file(), "a reviewer can tell where it comes from");
        assertEquals(Map.of("mcp-unknown-server", "enforce"), plain.builtinRules());
        assertTrue(builtin.matches("call", noServer, null, java.util.Set.of(Fact.MCP_SERVER_UNKNOWN)));
        assertFalse(plain.monitors(builtin));

        Policy off = PolicyLoader.loadText("p", "version: 1\nbuiltin_rules: {mcp-unknown-server: off}\n" + rules, null, Map.of());
        assertTrue(off.rules().stream().noneMatch(r -> r.id().startsWith("builtin.")), "switched off: not there at all");
        Policy monitor = PolicyLoader.loadText("p", "version: 1\nbuiltin_rules: {mcp-unknown-server: monitor}\n" + rules, null, Map.of());
        assertTrue(monitor.monitors(monitor.rules().stream().filter(r -> r.id().equals("builtin.mcp-unknown-server")).findFirst().orElseThrow()));
        Policy enforce = PolicyLoader.loadText("p", "version: 1\nbuiltin_rules: {mcp-unknown-server: enforce}\n" + rules, null, Map.of());
        // the switch is in the version when it moves from the default; the engine's own rule is not
        assertEquals(plain.version(), enforce.version());
        assertEquals(3, java.util.Set.of(plain.version(), off.version(), monitor.version()).size());

        // a rule of one's own that only restates it, or an allow it always beats, is pointed at the switch
        PolicyException twin = assertThrows(PolicyException.class, () -> PolicyLoader.loadText("p", "version: 1\nrules:\n"
                + "  - {id: mine, effect: deny, family: mcp, when: [mcp.server.unknown]}\n", null, Map.of()));
        assertTrue(twin.getMessage().contains("p:3:5: rule 'mine' matches exactly what rule 'builtin.mcp-unknown-server'")
                && twin.getMessage().contains("remove it (the built-in rule is in every policy)"), twin::getMessage);
        PolicyException beaten = assertThrows(PolicyException.class, () -> PolicyLoader.loadText("p", "version: 1\nrules:\n"
                + "  - {id: mine, effect: allow, family: mcp, when: [mcp.server.unknown]}\n", null, Map.of()));
        assertTrue(beaten.getMessage().contains("rule 'mine' can never allow: rule 'builtin.mcp-unknown-server'")
                && beaten.getMessage().contains("switch it with builtin_rules: {mcp-unknown-server: off}"), beaten::getMessage);

        // an included file cannot switch it off
        Files.writeString(dir.resolve("base.yaml"), "version: 1\nbuiltin_rules: {mcp-unknown-server: off}\nrules:\n  - {id: b, effect: allow, family: file}\n");
        Files.writeString(dir.resolve("main.yaml"), "version: 1\ninclude: [base.yaml]\n" + rules);
        PolicyException e = assertThrows(PolicyException.class, () -> PolicyLoader.load(dir.resolve("main.yaml"), Map.of()));
        assertEquals(dir.resolve("base.yaml") + ":2:1", e.problems().get(0).pos().toString(), e::getMessage);
        assertTrue(e.getMessage().contains("'builtin_rules' is set in the main policy file only"), e::getMessage);
    }

    @Test
    void onlyTheMainFileSetsThePolicyMode(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("base.yaml"), "version: 1\nmode: monitor\nrules:\n  - {id: base, effect: allow, family: file}\n");
        Files.writeString(dir.resolve("main.yaml"), "version: 1\ninclude: [base.yaml]\nrules:\n  - {id: a, effect: allow, family: net}\n");
        PolicyException e = assertThrows(PolicyException.class, () -> PolicyLoader.load(dir.resolve("main.yaml"), Map.of()));
        assertEquals(1, e.problems().size(), e::getMessage);
        assertEquals(dir.resolve("base.yaml") + ":2:1", e.problems().get(0).pos().toString());
        assertTrue(e.getMessage().contains("set in the main policy file only"), e::getMessage);
    }

    @Test
    void modesAreInTheVersionAndAPolicyWithoutModesKeepsItsVersion() throws Exception {
        String rules = "rules:\n  - {id: a, effect: deny, family: net, hosts: [x.com]}\n  - {id: b, effect: allow, family: net}\n";
        String plain = PolicyLoader.loadText("p", "version: 1\n" + rules, null, Map.of()).version();
        // the version this policy had before modes existed: modes must not move existing versions
        assertEquals("95f76be49ce6acaf6825ad53db97b08d4f21005d39cb0f3039a3b289e46df17e", plain);
        assertEquals(plain, PolicyLoader.loadText("p", "version: 1\nmode: enforce\n" + rules, null, Map.of()).version());
        String monitor = PolicyLoader.loadText("p", "version: 1\nmode: monitor\n" + rules, null, Map.of()).version();
        String ruleMonitor = PolicyLoader.loadText("p", "version: 1\n" + rules.replace("hosts: [x.com]", "hosts: [x.com], mode: monitor"),
                null, Map.of()).version();
        assertTrue(!plain.equals(monitor) && !plain.equals(ruleMonitor) && !monitor.equals(ruleMonitor));
    }

    @Test
    void policyTestFactsAreCheckedAndPlaced() throws Exception {
        PolicyException e = assertThrows(PolicyException.class, () -> PolicyTests.parse("t.yaml",
                "- request: {family: mcp, action: call, facts: [mcp.tool.flaged]}\n  expect: {effect: deny}\n"));
        assertEquals(1, e.problems().size(), e::getMessage);
        assertEquals("t.yaml:1:48: unknown fact 'mcp.tool.flaged' (did you mean 'mcp.tool.flagged'?)", e.problems().get(0).toString());
        List<PolicyTests.Case> cases = PolicyTests.parse("t.yaml",
                "- request: {family: mcp, action: call, tool: t, facts: [mcp.tool.unknown]}\n  expect: {effect: deny}\n");
        assertEquals(java.util.Set.of(Fact.MCP_TOOL_UNKNOWN), cases.get(0).steps().get(0).facts());
        assertEquals(Map.of("tool", "t"), cases.get(0).steps().get(0).request().target(), "facts are not a target field");
    }

    @Test
    void commandLineVarsOverrideFileVars() throws Exception {
        String y = "version: 1\nvars: {ws: /a}\nrules:\n  - {id: w, effect: allow, family: file, paths: [\"${ws}/**\"]}\n";
        Policy p = PolicyLoader.loadText("p", y, null, Map.of("ws", "/b"));
        Evaluator ev = new Evaluator();
        assertTrue(ev.decide(p, dev.agt.protocol.Request.of("file", "read", Map.of("path", "/b/x")), Agent.named("t")).allowed());
        assertTrue(!ev.decide(p, dev.agt.protocol.Request.of("file", "read", Map.of("path", "/a/x")), Agent.named("t")).allowed());
    }
}
