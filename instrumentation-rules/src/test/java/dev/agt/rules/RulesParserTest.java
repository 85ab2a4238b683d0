package dev.agt.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class RulesParserTest {
    static final String GOOD = """
            version: 1
            rules:
              - id: acme.run
                description: our tool framework
                class: com.acme.tools.Runner
                method: run
                params: [java.lang.String, java.util.Map]
                family: tool
                action: call
                target:
                  tool: arg0
                  arguments: arg1
              - id: acme.list
                implements: com.acme.tools.Catalog
                method: list
                param_count: 0
                at: return
                family: mcp
                action: list
                mode: monitor
                target:
                  server: ["${this.url}", "${this.command} ${this.args}"]
                  tools: {value: result, each: {name: this.name, schema: {value: this.schema, as: json_text}}}
            """;

    @Test
    void readsAValidFile() throws Exception {
        RuleSet set = RulesParser.parse("rules.yaml", GOOD, false);
        assertEquals(2, set.rules().size());
        InterceptRule run = set.rules().get(0);
        assertEquals(ClassSelector.Kind.EXACT, run.selector().kind());
        assertEquals(List.of("java.lang.String", "java.util.Map"), run.params());
        assertTrue(run.matchesMethod("run", List.of("java.lang.String", "java.util.Map")));
        assertTrue(!run.matchesMethod("run", List.of("java.lang.String")));
        InterceptRule list = set.rules().get(1);
        assertEquals(InterceptRule.At.RETURN, list.at());
        assertEquals(InterceptRule.Mode.MONITOR, list.mode());
        assertEquals(2, list.target().get("server").alternatives().size());
        assertEquals("rules.yaml:13:5", list.origin());
    }

    static final String RULE = """
            version: 1
            rules:
              - id: r
                class: com.acme.X
                method: run
                param_count: 1
                family: tool
                action: call
                target: {tool: arg0}
            """;

    /**
     * Each broken rule is refused at the place a person must look: the case replaces one line of
     * RULE (by its key), and the problem must sit on that line, at the column of {@code at}.
     */
    @ParameterizedTest
    @MethodSource("broken")
    void refusesWithLineAndColumn(String key, String replacement, String at, String message) {
        List<String> lines = new java.util.ArrayList<>(RULE.lines().toList());
        int line = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).trim().replaceFirst("^- ", "").startsWith(key + ":")) {
                line = i;
            }
        }
        String indent = lines.get(line).substring(0, lines.get(line).indexOf(key));
        lines.set(line, indent + replacement);
        String text = String.join("\n", lines) + "\n";
        int column = lines.get(line).indexOf(at) + 1;
        RulesException e = assertThrows(RulesException.class, () -> RulesParser.parse("r.yaml", text, false), text);
        String want = "r.yaml:" + (line + 1) + ":" + column + ": ";
        String all = e.problems().stream().map(Object::toString).collect(Collectors.joining("\n"));
        assertTrue(e.problems().stream().anyMatch(p -> p.toString().startsWith(want) && p.message().contains(message)),
                "want " + want + "..." + message + "\ngot:\n" + all + "\nfor:\n" + text);
    }

    static Stream<Arguments> broken() {
        return Stream.of(
                Arguments.of("class", "clas: com.acme.X", "clas", "unknown key 'clas' (did you mean 'class'?)"),
                Arguments.of("class", "class: \"*\"", "\"*\"", "would select every class"),
                Arguments.of("class", "class: java.io.File", "java.io.File", "JDK classes are governed by the agent's own hooks"),
                Arguments.of("class", "class: dev.agt.javaagent.AgtAgent", "dev.agt", "its own classes never"),
                Arguments.of("class", "class: \"com.acme..X\"", "\"com", "is not a Java class name"),
                Arguments.of("method", "method: \"<init>\"", "\"<init>", "constructors and static initializers cannot be intercepted"),
                Arguments.of("param_count", "params: [\"String[[]\"]", "\"String", "a parameter type is a Java type name"),
                Arguments.of("param_count", "param_count: 300", "300", "'param_count' must be a whole number from 0 to 255"),
                Arguments.of("family", "family: tools", "tools", "unknown family 'tools' (did you mean 'tool'?)"),
                Arguments.of("action", "action: exec", "exec", "family tool has no action 'exec'"),
                Arguments.of("target", "target: {tool: arg2}", "arg2", "the method has 1 parameter"),
                Arguments.of("target", "target: {tool: result.name}", "result", "only rules with 'at: return' have one"),
                Arguments.of("target", "target: {tool: self.name}", "self", "must start with this, result or argN"),
                Arguments.of("target", "target: {tool: \"arg0.na-me\"}", "\"arg0", "is not a member name"),
                Arguments.of("target", "target: {tool: \"${arg0.name\"}", "\"${", "unclosed '${'"),
                Arguments.of("target", "target: {Tool: arg0}", "Tool", "must be lower case letters"),
                Arguments.of("target", "target: {tool: {value: arg0, as: xml}}", "xml", "'as' is value, string, json"),
                Arguments.of("target", "target: {tools: {value: arg0, each: {name: arg0.name}}}", "arg0.name", "inside 'each', paths start"),
                Arguments.of("target", "target: 7", "7", "'target' is a non-empty mapping"),
                Arguments.of("target", "target: {name: arg0}", "{name", "target has no 'tool': a tool/call request needs tool"),
                Arguments.of("action", "mode: audit", "audit", "'mode' is enforce, monitor or off"),
                Arguments.of("action", "at: finally", "finally", "'at' is 'entry' (decide before the method runs, the default), 'return'"));
    }

    @Test
    void aToolListRuleNeedsItsToolsOnlyWhenItDecidesAtReturn() throws RulesException {
        String entry = "version: 1\nrules:\n  - {id: l, class: com.acme.Client, method: list, param_count: 0, family: mcp, action: list,"
                + " target: {server: this.url}}\n";
        assertEquals(1, RulesParser.parse("entry.yaml", entry, false).rules().size(), "before the request is sent there is no list yet");
        RulesException atReturn = assertThrows(RulesException.class, () -> RulesParser.parse("return.yaml",
                entry.replace("action: list,", "action: list, at: return,"), false));
        assertTrue(atReturn.getMessage().contains("target has no 'tools': a mcp/list request needs tools"), atReturn.getMessage());
        String noServer = "version: 1\nrules:\n  - {id: c, class: com.acme.Client, method: call, param_count: 1, family: mcp, action: call,"
                + " target: {tool: arg0}}\n";
        assertEquals(1, RulesParser.parse("call.yaml", noServer, false).rules().size(),
                "a rule that reads no server is valid: the engine's builtin.mcp-unknown-server decides its calls");
    }

    @Test
    void aCompletionCallbackReadsItsArgumentsAndIsHeldToTheRequirementsOfAFinishedCall() throws RulesException {
        String stream = "version: 1\nrules:\n  - {id: s, class: com.acme.Handler, method: onComplete, params: [com.acme.Response],"
                + " at: completion, family: model, action: stream, target: {provider: this.p, model: this.m,"
                + " usage: {fields: {input: arg0.in, output: arg0.out}}}}\n";
        InterceptRule r = RulesParser.parse("s.yaml", stream, false).rules().get(0);
        assertEquals(InterceptRule.At.COMPLETION, r.at());
        assertTrue(r.at().afterCall(), "its request describes a call already made, like a result");
        assertTrue(!InterceptRule.At.ENTRY.afterCall());
        RulesException result = assertThrows(RulesException.class, () -> RulesParser.parse("s.yaml",
                stream.replace("input: arg0.in", "input: result.in"), false));
        assertTrue(result.getMessage().contains("a completion callback's outcome is its argument"), result.getMessage());
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.DataOutputStream out = new java.io.DataOutputStream(bytes)) {
            RulesCodec.write(RulesParser.parse("s.yaml", stream, false), out);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        try (java.io.DataInputStream in = new java.io.DataInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
            assertEquals(InterceptRule.At.COMPLETION, RulesCodec.read(in).rules().get(0).at(), "the compiled built-in form keeps it");
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void duplicateIdsAndEmptyFilesAreRefused() {
        RulesException dup = assertThrows(RulesException.class, () -> RulesParser.parse("d.yaml", """
                version: 1
                rules:
                  - {id: a, class: com.acme.X, method: run, param_count: 0, family: tool, action: call, target: {tool: this.name}}
                  - {id: a, class: com.acme.Y, method: run, param_count: 0, family: tool, action: call, target: {tool: this.name}}
                """, false));
        assertTrue(dup.getMessage().contains("d.yaml:4:10: duplicate rule id 'a' (first at line 3)"), dup.getMessage());
        RulesException empty = assertThrows(RulesException.class, () -> RulesParser.parse("e.yaml", "", false));
        assertTrue(empty.getMessage().contains("e.yaml:1:1: the rules file is empty"), empty.getMessage());
        RulesException version = assertThrows(RulesException.class, () -> RulesParser.parse("v.yaml", "version: 2\nrules: []\n", false));
        assertTrue(version.getMessage().contains("v.yaml:1:10: unsupported version"), version.getMessage());
        RulesException syntax = assertThrows(RulesException.class, () -> RulesParser.parse("s.yaml", "version: 1\nrules: [\n", false));
        assertTrue(syntax.getMessage().startsWith("s.yaml:"), syntax.getMessage());
    }

    @Test
    void builtInRulesParseAndSurviveTheirCompiledForm() throws Exception {
        RuleSet source = BuiltinRules.parseSource();
        assertTrue(source.rules().size() >= 6);
        assertTrue(source.rules().stream().allMatch(InterceptRule::builtin));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        RulesCodec.write(source, new DataOutputStream(bytes));
        RuleSet back = RulesCodec.read(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        assertEquals(source, back);
        assertEquals(source, BuiltinRules.load(), "the compiled built-in rules in the jar are the current source");
    }
}
