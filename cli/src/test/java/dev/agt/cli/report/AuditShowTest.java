package dev.agt.cli.report;

import static dev.agt.cli.report.ReportFixture.agt;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agt.cli.report.ReportFixture.Run;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code agt audit show} on the report's fixture log: outcome entries in one line each with the
 * decision they follow, the lost and refused outcomes, and the filters, which judge an outcome
 * by what finally happened and by the call it is about.
 */
class AuditShowTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;
    ReportFixture log;

    @BeforeEach
    void writeLog() throws Exception {
        log = new ReportFixture(tmp).write();
    }

    List<String> show(String... filters) {
        List<String> args = new ArrayList<>(List.of("audit", "show", log.audit.toString()));
        args.addAll(List.of(filters));
        Run run = agt(args.toArray(String[]::new));
        assertEquals(0, run.exit(), run.err());
        return Arrays.asList(run.out().split("\n"));
    }

    static String line(List<String> lines, long seq) {
        return lines.stream().filter(l -> l.startsWith("#" + seq + " ")).findFirst().orElseThrow(() -> new AssertionError("no #" + seq + " in " + lines));
    }

    ReportFixture.Local local(String kind) {
        return log.locals.stream().filter(l -> l.kind().equals(kind)).findFirst().orElseThrow();
    }

    @Test
    void outcomesAreShownWithTheDecisionTheyFollow() {
        List<String> all = show();
        long sandbox = local("overridden").seq();
        String o = line(all, sandbox);
        assertTrue(o.contains("  researcher  process/exec  /usr/bin/python3  DENY  outcome overridden (sandbox-unavailable)  follows #"
                + (sandbox - 1) + "  -- sandbox strict cannot be set up"), o);
        String unseen = line(all, local("denied-locally").seq());
        assertTrue(unseen.contains("mcp/call  {\"server\":\"npx notes-server\"}  DENY  outcome denied-locally (unbuildable-request)  no decision"), unseen);
        String late = line(all, local("passed-fail-open").seq());
        assertTrue(late.contains("net/connect  api.openai.com:443  ALLOW  outcome passed-fail-open (engine-unreachable)  no decision"
                + "  spooled, happened 2026-11-27T10:01:11.000Z  after a gap since 2026-11-27T10:01:10.000Z: 1 held, 2 lost"), late);
        String lost = line(all, local("passed-fail-open").seq() - 1);
        assertTrue(lost.contains("event outcomes-lost  researcher: 2 outcome(s) lost while the engine was unreachable (since "
                + "2026-11-27T10:01:10.000Z) {passed-fail-open=2}"), lost);
        assertTrue(all.stream().anyMatch(l -> l.contains("event outcome-refused  helper: not-own-decision: #" + (sandbox - 1)
                + " is a decision of another agent")), String.join("\n", all));
    }

    @Test
    void filtersJudgeAnOutcomeByWhatFinallyHappenedAndTheCallItIsAbout() throws Exception {
        // --effect: what finally happened, so the overridden allow is a deny, and the passes are allows
        List<String> denied = show("--effect", "deny");
        assertTrue(denied.stream().anyMatch(l -> l.startsWith("#" + local("overridden").seq() + " ")));
        assertTrue(denied.stream().anyMatch(l -> l.startsWith("#" + local("denied-locally").seq() + " ")));
        assertTrue(denied.stream().noneMatch(l -> l.startsWith("#" + local("passed-fail-open").seq() + " ")));
        assertTrue(denied.stream().noneMatch(l -> l.startsWith("#" + (local("overridden").seq() - 1) + " ")), "the decision itself allowed");
        List<String> allowed = show("--effect", "allow");
        assertTrue(allowed.stream().anyMatch(l -> l.startsWith("#" + local("passed-monitor").seq() + " ")));

        // --family: an outcome without a request of its own is about the call of the decision it follows
        List<Long> process = show("--family", "process").stream().map(l -> Long.parseLong(l.substring(1, l.indexOf(' ')))).toList();
        assertTrue(process.contains(local("overridden").seq()), process.toString());
        assertTrue(process.stream().noneMatch(s -> log.locals.stream().anyMatch(l -> l.seq() == s && !l.kind().equals("overridden"))),
                "no outcome about another family: " + process);
        List<String> file = show("--family", "file", "--agent", "scout");
        assertTrue(file.stream().anyMatch(l -> l.startsWith("#" + local("passed-monitor").seq() + " ")), String.join("\n", file));

        // --json: the stored lines
        List<String> json = show("--family", "process", "--json");
        JsonNode o = JSON.readTree(json.get(json.size() - 1));
        assertEquals("outcome", o.path("type").asText());
        assertEquals(local("overridden").seq() - 1, o.path("follows").asLong());
    }
}
