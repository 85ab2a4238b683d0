package dev.agt.cli.report;

import dev.agt.cli.report.Report.Call;
import dev.agt.cli.report.Report.Outcome;
import dev.agt.cli.report.Report.Tally;
import java.util.List;
import java.util.Map;

/**
 * The report as Markdown, for pasting into tickets. Every value from the log goes through
 * {@link #md}: the log holds attacker-influenced text (URLs, arguments, tool descriptions), and
 * ticket systems render Markdown and some HTML, so table pipes, emphasis, links, code spans,
 * HTML and line breaks are all neutralised.
 */
public final class MarkdownReport {
    private MarkdownReport() {
    }

    public static String render(Report r) {
        StringBuilder b = new StringBuilder();
        b.append("# agt blocked-call report\n\n");
        b.append("- log: ").append(md(r.log())).append('\n');
        b.append("- generated: ").append(md(r.generated())).append('\n');
        b.append("- filters: ").append(r.window().describe().isEmpty() ? "none" : md(String.join(", ", r.window().describe()))).append("\n\n");
        Report.Check c = r.check();
        if (c.ok()) {
            b.append("> **Verified**").append(md(c.headline().substring("Verified".length()))).append('\n');
        } else {
            b.append("> **TAMPERED at #").append(c.firstBad()).append(": ").append(md(c.kind())).append("**: ").append(md(c.message()))
                    .append("\n>\n> The log does not verify. What follows is what it claims; entries from #").append(c.firstBad())
                    .append(" on are marked, and nothing here is evidence.\n");
        }
        c.warnings().forEach(w -> b.append(">\n> warning: ").append(md(w)).append('\n'));
        if (r.unreadable() > 0) {
            b.append(">\n> ").append(r.unreadable()).append(" unreadable line(s) skipped\n");
        }
        b.append('\n');

        Tally t = r.totals();
        b.append("## Summary\n\n| decisions | allowed | blocked | would block (monitor) |\n|---:|---:|---:|---:|\n");
        b.append("| ").append(t.total()).append(" | ").append(t.allowed()).append(" | ").append(t.blocked()).append(" | ")
                .append(t.wouldBlock()).append(" |\n\n");

        calls(b, r, Outcome.BLOCKED, "Blocked calls");
        calls(b, r, Outcome.WOULD_BLOCK, "Would-be blocks (monitor mode: let through)");
        if (r.calls().stream().anyMatch(x -> x.proof() != null)) {
            b.append("Inclusion proofs: `agt audit prove ").append(r.log().replaceAll("[`\\s]", "?")).append(" SEQ > proof.json`, checked offline with "
                    + "`agt audit check-proof proof.json --pubkey ENGINE.pub`. The HTML and JSON reports carry them.\n\n");
        }

        local(b, r.local());
        spend(b, r.spend());
        if (!r.labelOrigins().isEmpty()) {
            b.append("## Where the session labels came from\n\n| # | label | set by rule | agent | proof |\n|---|---|---|---|---|\n");
            r.labelOrigins().forEach(o -> b.append("| ").append(o.seq()).append(" | ").append(md(o.label())).append(" | ").append(md(o.rule()))
                    .append(" | ").append(md(o.agent())).append(" | ").append(o.proof() != null ? "checkpoint " + o.proof().get("tree_size")
                    : md(String.valueOf(o.proofNote()))).append(" |\n"));
            b.append("\n");
        }

        b.append("## Counts\n\n");
        for (String dim : Report.DIMENSIONS) {
            Map<String, Tally> byKey = r.counts().get(dim);
            b.append("### By ").append(dim).append("\n\n| ").append(dim).append(" | decisions | allowed | blocked | would block |\n|---|---:|---:|---:|---:|\n");
            byKey.forEach((k, v) -> b.append("| ").append(md(k)).append(" | ").append(v.total()).append(" | ").append(v.allowed()).append(" | ")
                    .append(v.blocked()).append(" | ").append(v.wouldBlock()).append(" |\n"));
            b.append('\n');
        }

        b.append("## Timeline (").append(Timeline.human(r.timeline().bucketSeconds())).append(" buckets)\n\n");
        b.append("| from | allowed | blocked | would block |\n|---|---:|---:|---:|\n");
        r.timeline().buckets().stream().filter(x -> x.allowed() + x.blocked() + x.wouldBlock() > 0).forEach(x ->
                b.append("| ").append(x.startIso()).append(" | ").append(x.allowed()).append(" | ").append(x.blocked()).append(" | ")
                        .append(x.wouldBlock()).append(" |\n"));
        b.append('\n');

        b.append("## Monitor mode\n\n");
        if (r.periods().isEmpty()) {
            b.append("No decision in this report was made in monitor mode: every denial was enforced.\n\n");
        } else {
            b.append("| scope | who | from | to | decisions | would block |\n|---|---|---|---|---:|---:|\n");
            r.periods().forEach(p -> b.append("| ").append(md(p.scope())).append(" | ").append(md(p.who())).append(" | ").append(md(p.from()))
                    .append(" | ").append(md(p.to())).append(" | ").append(p.decisions()).append(" | ").append(p.wouldBlock()).append(" |\n"));
            b.append('\n');
        }

        b.append("## Policy versions in force\n\n| version | mode | decisions | first decision | last decision | loaded |\n|---|---|---:|---|---|---|\n");
        r.policies().forEach(p -> b.append("| ").append(md(p.version())).append(" | ").append(md(String.join(", ", p.modes()))).append(" | ")
                .append(p.decisions()).append(" | ").append(md(p.firstDecision())).append(" | ").append(md(p.lastDecision())).append(" | ")
                .append(md(String.join("; ", p.loaded()))).append(" |\n"));
        b.append('\n');

        if (!r.events().isEmpty()) {
            b.append("## Engine and policy events\n\n| # | time | event | detail |\n|---:|---|---|---|\n");
            r.events().forEach(e -> b.append("| ").append(e.seq()).append(" | ").append(md(e.time())).append(" | ").append(md(e.event()))
                    .append(" | ").append(md(e.detail())).append(" |\n"));
            b.append('\n');
        }

        if (!r.tools().isEmpty()) {
            b.append("## Flagged MCP tools\n\n| first # | time | agent | server | tool | status | findings | entries |\n|---:|---|---|---|---|---|---|---:|\n");
            r.tools().forEach(x -> b.append("| ").append(x.seq()).append(" | ").append(md(x.time())).append(" | ").append(md(x.agent()))
                    .append(" | ").append(md(x.server())).append(" | ").append(md(x.tool())).append(" | ").append(md(x.status())).append(" | ")
                    .append(md(String.join("; ", x.findings()))).append(" | ").append(x.times()).append(" |\n"));
            b.append('\n');
        }
        return b.toString();
    }

    private static void spend(StringBuilder b, Report.Spend s) {
        if (s.isEmpty()) {
            return; // no budgets in force, or no model call under them: nothing to say
        }
        b.append("## Spend on model calls\n\nWhat model calls under budgets cost, as the engine settled them (their usage at the prices of the "
                + "policy in force; a call without a usage report is charged the worst case).\n\n");
        if (!s.byModel().isEmpty()) {
            b.append("| agent | provider | model | calls | cost | without usage report |\n|---|---|---|---:|---:|---:|\n");
            s.byModel().forEach(x -> b.append("| ").append(md(x.agent())).append(" | ").append(md(x.provider())).append(" | ").append(md(x.model()))
                    .append(" | ").append(x.calls()).append(" | ").append(md(s.amount(x.cost()))).append(" | ").append(x.unreported()).append(" |\n"));
            b.append('\n');
        }
        if (!s.overTime().isEmpty()) {
            b.append("| from | cost |\n|---|---:|\n");
            s.overTime().forEach(x -> b.append("| ").append(md(x.startIso())).append(" | ").append(md(s.amount(x.cost()))).append(" |\n"));
            b.append('\n');
        }
        if (!s.budgets().isEmpty()) {
            b.append("| budget | calls refused | warnings | spent at the last warning |\n|---|---:|---:|---:|\n");
            s.budgets().forEach(x -> b.append("| ").append(md(x.account())).append(" | ").append(x.refused()).append(" | ").append(x.warnings())
                    .append(" | ").append(x.warnings() == 0 ? "" : md(s.amount(x.lastSpent()))).append(" |\n"));
            b.append('\n');
        }
    }

    private static void local(StringBuilder b, Report.LocalOutcomes l) {
        b.append("## What the agents did on their own (").append(l.outcomes().size()).append(")\n\n");
        if (l.isEmpty()) {
            b.append("None: every call went as the engine decided.\n\n");
            return;
        }
        b.append("Calls that went otherwise than an engine decision says, or that the engine never decided, as the agents reported "
                + "them (their clock in *happened*).\n\n");
        if (!l.byKind().isEmpty()) {
            b.append("| outcome | calls | meaning |\n|---|---:|---|\n");
            l.byKind().forEach((k, n) -> b.append("| ").append(md(k)).append(" | ").append(n).append(" | ")
                    .append(md(Report.LocalOutcomes.meaning(k))).append(" |\n"));
            b.append('\n');
        }
        if (l.lostTotal() > 0) {
            b.append("**").append(l.lostTotal()).append(" outcome(s) lost** while the engine was unreachable (the agent's spool was full); "
                    + "what they were is not known beyond their kind:\n\n| # | time | agent | lost | by kind | gap since |\n|---:|---|---|---:|---|---|\n");
            l.lost().forEach(x -> b.append("| ").append(x.seq()).append(" | ").append(md(x.time())).append(" | ").append(md(x.agent()))
                    .append(" | ").append(x.dropped()).append(" | ").append(md(x.droppedKinds().toString())).append(" | ").append(md(x.since()))
                    .append(" |\n"));
            b.append('\n');
        }
        if (!l.outcomes().isEmpty()) {
            b.append("| # | time | agent | call | target | outcome | code | reason | follows | happened |\n")
                    .append("|---:|---|---|---|---|---|---|---|---|---|\n");
            for (Report.Local x : l.outcomes()) {
                b.append("| ").append(x.seq()).append(x.afterBreak() ? " (after the break)" : "").append(" | ").append(md(x.time())).append(" | ")
                        .append(md(x.agent())).append(" | ").append(md(x.call())).append(" | ").append(md(x.targetText())).append(" | ")
                        .append(md(x.kind())).append(" (").append(x.effect().equals("deny") ? "denied" : "went ahead").append(") | ")
                        .append(md(x.code())).append(" | ").append(md(x.reason())).append(" | ")
                        .append(x.follows() < 0 ? "no decision" : "#" + x.follows() + (x.decided().isEmpty() ? "" : ": " + md(x.decided())))
                        .append(" | ").append(md(x.at())).append(x.spooled() ? " (reported late)" : "").append(" |\n");
            }
            b.append('\n');
        }
        if (!l.refused().isEmpty()) {
            b.append("Outcomes the engine refused (malformed, or naming another agent's decision):\n\n| # | time | agent | code | reason |\n")
                    .append("|---:|---|---|---|---|\n");
            l.refused().forEach(x -> b.append("| ").append(x.seq()).append(" | ").append(md(x.time())).append(" | ").append(md(x.agent()))
                    .append(" | ").append(md(x.code())).append(" | ").append(md(x.reason())).append(" |\n"));
            b.append('\n');
        }
    }

    private static void calls(StringBuilder b, Report r, Outcome outcome, String title) {
        List<Call> rows = r.calls().stream().filter(c -> c.outcome() == outcome).toList();
        b.append("## ").append(title).append(" (").append(rows.size()).append(")\n\n");
        if (rows.isEmpty()) {
            b.append("None.\n\n");
            return;
        }
        boolean would = outcome == Outcome.WOULD_BLOCK;
        b.append("| # | time | agent | call | target | rule | reason | ").append(would ? "monitor | " : "").append("calling code | proof |\n");
        b.append("|---:|---|---|---|---|---|---|").append(would ? "---|" : "").append("---|---|\n");
        for (Call c : rows) {
            b.append("| ").append(c.seq()).append(c.afterBreak() ? " (after the break)" : "").append(" | ").append(md(c.time())).append(" | ")
                    .append(md(c.agent())).append(c.agentMode().equals("monitor") ? " (monitor)" : "").append(" | ").append(md(c.call()))
                    .append(" | ").append(md(c.targetText())).append(c.notes().isEmpty() ? "" : " [" + md(String.join("; ", c.notes())) + "]")
                    .append(" | ").append(md(Report.ruleText(c.rule()))).append(" (").append(md(c.code())).append(") | ").append(md(c.reason())).append(" | ");
            if (would) {
                Map<String, Object> m = c.monitor();
                b.append("by ").append(md(String.valueOf(m.get("by")))).append(": would deny by ").append(md(Report.ruleText(String.valueOf(m.get("rule")))))
                        .append(" (").append(md(String.valueOf(m.get("code")))).append(") | ");
            }
            b.append(md(String.join(" < ", c.frames()))).append(" | ")
                    .append(c.proof() != null ? "checkpoint " + c.proof().get("tree_size") : md(c.proofNote())).append(" |\n");
        }
        b.append('\n');
    }

    /** A log value as inert Markdown table text. */
    static String md(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '|' -> b.append("\\|");
                case '\n', '\r', '\t' -> b.append(' ');
                case '\\', '`', '*', '_', '[', ']', '~' -> b.append('\\').append(ch);
                default -> b.append(Character.isISOControl(ch) ? ' ' : ch);
            }
        }
        return b.toString();
    }
}
