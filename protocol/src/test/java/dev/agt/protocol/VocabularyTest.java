package dev.agt.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The request vocabulary: families and actions, field types, and what each family/action requires. */
class VocabularyTest {

    /** A target with every field the vocabulary requires of {@code family}/{@code action}, well-typed. */
    static Map<String, Object> complete(Family family, String action) {
        Map<String, Object> t = new LinkedHashMap<>();
        for (Vocabulary.Required r : Vocabulary.required(family, action)) {
            t.put(r.field().key(), switch (r.field().type()) {
                case STRING -> "x";
                case INTEGER, PORT, COUNT -> 1L;
                case USAGE -> Map.of("input", 1L);
                case STRINGS -> List.of("x");
                case TOOLS -> List.of(Map.of("name", "t"));
                case ANY -> r.key().map(k -> (Object) Map.of(k, "x")).orElse("x");
            });
        }
        return t;
    }

    @Test
    void theFamiliesAndTheirActionsAreTheDocumentedOnes() {
        assertEquals(List.of("file", "net", "process", "native", "mcp", "tool", "model"), Family.KEYS);
        assertEquals(Optional.of(Family.MCP), Family.of("mcp"));
        assertEquals(Optional.empty(), Family.of("MCP"), "wire names are lower case");
        assertTrue(Family.FILE.has("stat") && Family.NET.has("listen") && Family.PROCESS.has("signal") && Family.NATIVE.has("restricted"));
        assertFalse(Family.TOOL.has("list"));
    }

    @Test
    void whatEachMcpAndToolRequestRequires() {
        // an MCP server is not required: a request without one is the policy's to decide
        // (the built-in rule builtin.mcp-unknown-server denies it by default)
        assertEquals(List.of("tool"), keys(Family.MCP, "call"));
        assertEquals(List.of("tool"), keys(Family.MCP, "prompt"));
        assertEquals(List.of(), keys(Family.MCP, "list"), "before the list is sent there is nothing to carry");
        assertEquals(List.of("tools"), Vocabulary.required(Family.MCP, "list", true).stream().map(Vocabulary.Required::describe).toList(),
                "a list decided at return carries what came back");
        assertEquals(List.of("arguments.uri"), keys(Family.MCP, "read"));
        assertEquals(List.of("tool"), keys(Family.TOOL, "call"));
        assertEquals(List.of("provider", "model"), keys(Family.MODEL, "chat"));
        assertEquals(List.of("provider", "model"), keys(Family.MODEL, "stream"));
        assertEquals(List.of("path", "dest"), keys(Family.FILE, "rename"));
        assertEquals(List.of("executable"), keys(Family.PROCESS, "exec"));
        assertEquals(List.of(), keys(Family.NET, "connect"));
        assertEquals(List.of(), keys(Family.TOOL, "list"), "an action outside the family requires nothing (the policy denies it)");
    }

    private static List<String> keys(Family f, String action) {
        return Vocabulary.required(f, action).stream().map(Vocabulary.Required::describe).toList();
    }

    /**
     * Token counts are whole, non-negative and bounded: NaN, infinities, 1e309 (a double that
     * overflows to Infinity), -0.0, fractions, negatives, huge numbers and text are each refused,
     * so no count can make spending add up to less than it was.
     */
    @Test
    void tokenCountsAreWholeNonNegativeAndBounded() {
        for (Object bad : List.of(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.parseDouble("1e309"), -0.0d, 1.5d, 3.0d,
                -1L, TargetField.MAX_COUNT + 1, Long.MAX_VALUE, Long.MIN_VALUE, "100", "NaN", true)) {
            assertTrue(TargetField.MAX_TOKENS.problem(bad).isPresent(), "max_tokens " + bad);
            assertTrue(TargetField.USAGE.problem(Map.of("output", bad)).isPresent(), "usage.output " + bad);
            assertTrue(Vocabulary.typeProblem(Map.of("provider", "openai", "model", "m", "usage", Map.of("input", bad))).isPresent(), "usage " + bad);
        }
        assertEquals(Optional.empty(), TargetField.MAX_TOKENS.problem(0L));
        assertEquals(Optional.empty(), TargetField.USAGE.problem(Map.of("input", 12L, "output", TargetField.MAX_COUNT, "cached", 0L)));
        assertTrue(TargetField.USAGE.problem(Map.of("input", 1L, "reasoning", 2L)).orElseThrow().contains("unknown field 'reasoning'"));
        assertTrue(TargetField.USAGE.problem(List.of(1L)).isPresent());
    }

    @Test
    void aRequestWithoutARequiredFieldIsIncompleteAndSaysWhichAndWhy() {
        String why = Vocabulary.incomplete(Request.of("mcp", "call", Map.of("server", "s"))).orElseThrow();
        assertTrue(why.startsWith("mcp/call needs tool in its target"), why);
        assertTrue(why.contains("interception rule"), "it says where to look: " + why);
        assertEquals(Optional.of("file/rename needs path, dest in its target; the agent could not read them from the call"
                + " (check the interception rule that built the request)"), Vocabulary.incomplete(Request.of("file", "rename", Map.of())));
        assertEquals(Optional.empty(), Vocabulary.incomplete(Request.of("mcp", "call", Map.of("tool", "search"))), "no server: the policy decides");
        Request listed = new Request("mcp", "list", Map.of("server", "s"), "", List.of(), false, true);
        assertTrue(Vocabulary.incomplete(listed).orElseThrow().startsWith("mcp/list needs tools"), "a list at return without its tools");
        assertTrue(Vocabulary.incomplete(Request.of("mcp", "read", Map.of("server", "s", "arguments", Map.of("uri", 3L)))).isPresent(),
                "a uri that is not a string is no uri");
        assertTrue(Vocabulary.incomplete(Request.of("tool", "call", Map.of("tool", 7L))).isPresent(), "an ill-typed field does not count");
        assertEquals(Optional.empty(), Vocabulary.incomplete(Request.of("nope", "call", Map.of())), "outside the vocabulary: the policy's business");
    }

    @Test
    void everyCompleteRequestPassesAndDroppingAnyRequiredFieldFailsIt() {
        Random random = new Random(13);
        for (Family f : Family.values()) {
            for (String action : f.actions()) {
                Map<String, Object> t = complete(f, action);
                t.put("extra" + random.nextInt(100), "unrelated fields are carried, not required");
                assertEquals(Optional.empty(), Vocabulary.incomplete(Request.of(f.key(), action, t)), f.key() + "/" + action);
                assertEquals(Optional.empty(), Vocabulary.typeProblem(t), f.key() + "/" + action);
                for (Vocabulary.Required r : Vocabulary.required(f, action)) {
                    Map<String, Object> less = new LinkedHashMap<>(t);
                    less.remove(r.field().key());
                    String why = Vocabulary.incomplete(Request.of(f.key(), action, less)).orElseThrow();
                    assertTrue(why.contains(" " + r.describe()), why);
                }
            }
        }
    }

    @Test
    void aFieldOfTheVocabularyMustHaveItsType() {
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("port=\"22\"", "target field 'port' must be an integer 0-65535");
        expected.put("port=70000", "target field 'port' must be an integer 0-65535");
        expected.put("host=[a]", "target field 'host' must be a string");
        expected.put("argv=\"ls -l\"", "target field 'argv' must be a list of strings");
        expected.put("env=[1]", "target field 'env' must be a list of variable names");
        expected.put("pid=\"1\"", "target field 'pid' must be an integer");
        expected.put("tools={}", "target field 'tools' must be a list of tools ({name, description, schema})");
        expected.put("tools=[{name:x,schema:7}]", "target field 'tools' entry 0 field 'schema' must be a string");
        expected.put("tools=[{name:x,icon:y}]", "target field 'tools' entry 0 has unknown field 'icon' (fields: name, description, schema)");
        expected.put("tools=[{description:y}]", "target field 'tools' entry 0 needs 'name', a non-empty string");
        List<Map<String, Object>> targets = new ArrayList<>(List.of(
                Map.of("port", "22"), Map.of("port", 70000L), Map.of("host", List.of("a")), Map.of("argv", "ls -l"), Map.of("env", List.of(1L)),
                Map.of("pid", "1"), Map.of("tools", Map.of()), Map.of("tools", List.of(Map.of("name", "x", "schema", 7L))),
                Map.of("tools", List.of(Map.of("name", "x", "icon", "y"))), Map.of("tools", List.of(Map.of("description", "y")))));
        List<String> messages = new ArrayList<>(expected.values());
        for (int i = 0; i < targets.size(); i++) {
            assertEquals(Optional.of(messages.get(i)), Vocabulary.typeProblem(targets.get(i)), "case " + i);
        }
        assertEquals(Optional.empty(), Vocabulary.typeProblem(Map.of("arguments", List.of(1L, Map.of()), "port", 443L, "mine", 3L)),
                "arguments are any JSON, and a field outside the vocabulary any value");
    }
}
