package dev.agt.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The built-in rules name real classes, methods and members of the library versions we build against. */
class BuiltinRulesTest {

    @Test
    void everyBuiltInRuleFitsTheLibraryItNames() throws Exception {
        List<RuleChecker.Finding> findings = RuleChecker.check(BuiltinRules.parseSource(), getClass().getClassLoader());
        List<RuleChecker.Finding> errors = findings.stream().filter(RuleChecker.Finding::error).toList();
        assertTrue(errors.isEmpty(), errors.stream().map(Object::toString).collect(Collectors.joining("\n")));
    }

    @Test
    void theCheckerFindsWhatCannotWork() throws Exception {
        RuleSet set = RulesParser.parse("x.yaml", """
                version: 1
                rules:
                  - {id: no-class, class: com.example.Missing, method: run, param_count: 0, family: tool, action: call, target: {tool: this.name}}
                  - {id: no-method, class: io.modelcontextprotocol.client.McpAsyncClient, method: callTools, param_count: 1,
                     family: mcp, action: call, target: {tool: arg0.name, server: {const: s}}}
                  - {id: bad-step, class: io.modelcontextprotocol.client.McpAsyncClient, method: callTool,
                     params: [io.modelcontextprotocol.spec.McpSchema$CallToolRequest], family: mcp, action: call, target: {tool: arg0.nmae, server: {const: s}}}
                  - {id: wrong-kind, implements: io.modelcontextprotocol.client.McpAsyncClient, method: callTool, param_count: 1,
                     family: mcp, action: call, target: {tool: arg0.name, server: {const: s}}}
                """, false);
        List<String> errors = RuleChecker.check(set, getClass().getClassLoader()).stream().filter(RuleChecker.Finding::error)
                .map(Object::toString).toList();
        assertEquals(4, errors.size(), String.join("\n", errors));
        // each finding points at the part that is wrong: the class, the method, the target field
        assertTrue(errors.get(0).startsWith("x.yaml:3:27: rule no-class: class com.example.Missing is not on the class path"), errors.get(0));
        assertTrue(errors.get(1).startsWith("x.yaml:4:83: rule no-method: no method callTools") && errors.get(1).contains("did you mean 'callTool'?"),
                errors.get(1));
        assertTrue(errors.get(2).startsWith("x.yaml:7:114: ") && errors.get(2).contains("McpSchema$CallToolRequest has no method, getter or field 'nmae'"),
                errors.get(2));
        assertTrue(errors.get(3).contains("is a class, not an interface: use 'extends'"), errors.get(3));
    }
}
