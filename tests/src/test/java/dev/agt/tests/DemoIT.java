package dev.agt.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code agt demo} end to end: its exit code, what it printed, and the decisions its report holds. */
class DemoIT {
    static final Path DEMO_JAR = Path.of(System.getProperty("agt.demo.jar", "../demo-agents/target/agt-demo-agents.jar")).toAbsolutePath().normalize();

    @TempDir
    Path dir;

    @Test
    void theDemoBlocksTheAttackAndProvesIt() throws Exception {
        Path report = dir.resolve("report.json");
        Agt.Result r = Agt.run(dir, "demo", "--out", report.toString(), "--agent-jar", JavaagentIT.AGENT.toString(), "--demo-jar", DEMO_JAR.toString());
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("The attack was blocked at every step, the work got done, and the log proves it."), r.toString());
        assertTrue(r.out().contains("DENY  no-secrets") && r.out().contains("research-assistant"), "decisions are shown as they happen:\n" + r.out());
        JsonNode rep = new ObjectMapper().readTree(Files.readString(report));
        String all = rep.toString();
        Set<String> rules = new HashSet<>();
        rep.findValues("rule").forEach(n -> rules.add(n.asText()));
        for (String rule : new String[] {"no-secrets", "no-shells", "no-poisoned-tools", "mcp-no-commands", "default-deny"}) {
            assertTrue(rules.contains(rule), "the report holds a blocked call by " + rule + ":\n" + all);
        }
        assertEquals("verified", rep.path("verification").path("status").asText(), "the report says the log verified:\n" + all);
        assertTrue(rep.path("flagged_tools").toString().contains("weather"), "the poisoned tool is in the report:\n" + all);
        // the label story: the exfiltration after the notes were read is refused because of that read, and the report says so
        assertTrue(all.contains("session held internal (set by #") && all.contains("rule team-notes"), "the label's origin is in the report:\n" + all);
        // the approval: the worker's launch waited for a person, and the report says who approved it
        assertTrue(r.out().contains("a person reviews held call ap-"), r.toString());
        assertTrue(all.contains("approval-decided") && all.contains("reviewed in the demo"), "the approval is on the report's timeline:\n" + all);
        // the spend story: the runaway summarizer's twelve calls, what they cost, and the budget that stopped it
        assertTrue(r.out().contains("summarizer: stopped after 12 of 50 rounds") && r.out().contains("past its warning threshold"), r.toString());
        JsonNode spend = rep.path("spend");
        assertEquals("USD", spend.path("currency").asText(), spend.toString());
        assertTrue(spend.path("by_model").toString().contains("{\"agent\":\"nightly-summarizer\",\"provider\":\"OPEN_AI\",\"model\":\"gpt-4o-mini\","
                + "\"calls\":12,\"cost_micros\":8550,\"without_usage\":0}"), spend.toString());
        assertTrue(spend.path("budgets").toString().contains("{\"account\":\"nightly-team:nightly\",\"refused\":1,\"warnings\":1,"
                + "\"spent_at_last_warning_micros\":5805}"), spend.toString());
    }
}
