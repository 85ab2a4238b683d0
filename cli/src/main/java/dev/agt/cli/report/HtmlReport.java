package dev.agt.cli.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.agt.cli.report.Report.Bucket;
import dev.agt.cli.report.Report.Call;
import dev.agt.cli.report.Report.MonitorPeriod;
import dev.agt.cli.report.Report.Outcome;
import dev.agt.cli.report.Report.Tally;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The report as one self-contained HTML file: inline CSS, a small script for sorting and
 * filtering, an inline SVG chart, and each blocked call's inclusion proof as a {@code data:}
 * link, so it works offline and from an e-mail attachment.
 *
 * <p>Everything from the log is attacker-influenced text (URLs, arguments, tool descriptions,
 * agent names) and goes through {@link #h} exactly once, into text or a quoted attribute; no
 * log value is ever written into the script, a style, a URL or an unquoted attribute. As a
 * second wall, the page carries a Content-Security-Policy that lets only its own script and
 * style run (by hash) and loads nothing: a value that escaped escaping would still be inert.
 */
public final class HtmlReport {
    private static final String CSS = resource("report.css");
    private static final String JS = resource("report.js");

    private HtmlReport() {
    }

    public static String render(Report r) {
        StringBuilder b = new StringBuilder(64 * 1024);
        Report.Check c = r.check();
        b.append("<!DOCTYPE html>\n<html lang=\"en\" data-status=\"").append(c.ok() ? "verified" : "tampered").append("\">\n<head>\n");
        b.append("<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        b.append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src '").append(sha256(CSS))
                .append("'; script-src '").append(sha256(JS)).append("'; img-src data:; base-uri 'none'; form-action 'none'\">\n");
        b.append("<meta name=\"referrer\" content=\"no-referrer\">\n");
        b.append("<title>").append(c.ok() ? "" : "TAMPERED - ").append("agt report: ").append(h(r.log())).append("</title>\n");
        b.append("<style>").append(CSS).append("</style>\n</head>\n<body>\n<main>\n");

        b.append("<header>\n<h1>Blocked-call report</h1>\n<p class=\"meta\">log <code>").append(h(r.log())).append("</code> &middot; generated ")
                .append(h(r.generated())).append(" &middot; filters: ")
                .append(r.window().describe().isEmpty() ? "none" : "<code>" + h(String.join(" ", r.window().describe())) + "</code>").append("</p>\n");
        b.append("<nav><a href=\"#summary\">Summary</a><a href=\"#timeline\">Timeline</a><a href=\"#calls\">Blocked calls</a>"
                + "<a href=\"#local\">On their own</a><a href=\"#counts\">Counts</a><a href=\"#monitor\">Monitor mode</a>"
                + "<a href=\"#policies\">Policy versions</a>")
                .append(r.events().isEmpty() ? "" : "<a href=\"#events\">Events</a>")
                .append(r.tools().isEmpty() ? "" : "<a href=\"#tools\">Flagged MCP tools</a>").append("</nav>\n</header>\n");

        banner(b, r);
        summary(b, r);
        timeline(b, r);
        calls(b, r);
        local(b, r.local());
        spend(b, r.spend());
        labelOrigins(b, r.labelOrigins());
        counts(b, r);
        monitor(b, r);
        policies(b, r);
        if (!r.events().isEmpty()) {
            b.append("<section id=\"events\">\n<h2>Engine and policy events</h2>\n<div class=\"table-wrap\"><table>\n")
                    .append("<thead><tr><th class=\"num\">#</th><th>time</th><th>event</th><th>detail</th></tr></thead>\n<tbody>\n");
            r.events().forEach(e -> b.append("<tr><td class=\"num\">").append(e.seq()).append("</td><td class=\"mono\">").append(h(e.time()))
                    .append("</td><td>").append(h(e.event())).append("</td><td class=\"mono\">").append(h(e.detail())).append("</td></tr>\n"));
            b.append("</tbody></table></div>\n</section>\n");
        }
        if (!r.tools().isEmpty()) {
            b.append("<section id=\"tools\">\n<h2>Flagged MCP tools</h2>\n<p class=\"sub\">Tools whose description or schema the engine "
                    + "flagged, whose fingerprint changed since it was pinned, or that were called without ever being listed.</p>\n")
                    .append("<div class=\"table-wrap\"><table>\n<thead><tr><th class=\"num\">first #</th><th>time</th><th>agent</th>"
                            + "<th>server</th><th>tool</th><th>status</th><th>findings</th><th class=\"num\">entries</th></tr></thead>\n<tbody>\n");
            r.tools().forEach(t -> {
                b.append("<tr><td class=\"num\">").append(t.seq()).append("</td><td class=\"mono\">").append(h(t.time())).append("</td><td>")
                        .append(h(t.agent())).append("</td><td class=\"mono\">").append(h(t.server())).append("</td><td class=\"mono\">")
                        .append(h(t.tool())).append("</td><td><span class=\"badge flag\">").append(h(t.status())).append("</span></td><td>");
                t.findings().forEach(f -> b.append("<div>").append(h(f)).append("</div>"));
                b.append("</td><td class=\"num\">").append(t.times()).append("</td></tr>\n");
            });
            b.append("</tbody></table></div>\n</section>\n");
        }

        b.append("<footer>\n<p>Each proof link downloads the document <code>agt audit prove</code> prints for that entry: the entry, "
                + "its Merkle audit path and the signed checkpoint. Anyone can check it offline: "
                + "<code>agt audit check-proof proof.json --pubkey ENGINE.pub</code>.</p>\n<p id=\"js-status\">Scripts are off: "
                + "the tables are complete but cannot be sorted or filtered.</p>\n</footer>\n");
        b.append("</main>\n<script>").append(JS).append("</script>\n</body>\n</html>\n");
        return b.toString();
    }

    private static void banner(StringBuilder b, Report r) {
        Report.Check c = r.check();
        if (c.ok()) {
            b.append("<section id=\"verification\" class=\"banner ok\">\n<p class=\"title\">&#10004; Verified up to checkpoint ")
                    .append(c.signedSize()).append("</p>\n<p>Entries #0..#").append(c.signedSize() - 1).append(" of ").append(c.entries())
                    .append(" are covered by ").append(c.checkpoints()).append(" signed checkpoint").append(c.checkpoints() == 1 ? "" : "s")
                    .append("; signer <code>").append(h(c.keyName())).append("</code> key id <code>").append(h(c.keyId()))
                    .append("</code>. Hashes, chain, Merkle roots and signatures all hold.</p>\n");
        } else {
            b.append("<section id=\"verification\" class=\"banner bad\" data-first-bad=\"").append(c.firstBad()).append("\">\n")
                    .append("<p class=\"title\">&#10006; TAMPERED at #").append(c.firstBad()).append(": ").append(h(c.kind())).append("</p>\n<p>")
                    .append(h(c.message())).append("</p>\n<p>This log does not verify against key <code>").append(h(c.keyName()))
                    .append("</code> (<code>").append(h(c.keyId())).append("</code>). The report shows what it claims, marks entries from #")
                    .append(c.firstBad()).append(" on, and has no proofs: nothing here is evidence.</p>\n");
        }
        if (!c.warnings().isEmpty() || r.unreadable() > 0) {
            b.append("<ul>");
            c.warnings().forEach(w -> b.append("<li>warning: ").append(h(w)).append("</li>"));
            if (r.unreadable() > 0) {
                b.append("<li>").append(r.unreadable()).append(" unreadable line(s) skipped</li>");
            }
            b.append("</ul>\n");
        }
        b.append("</section>\n");
    }

    private static void summary(StringBuilder b, Report r) {
        Tally t = r.totals();
        b.append("<section id=\"summary\">\n<h2>Summary</h2>\n<div class=\"cards\">\n");
        card(b, "", t.total(), "decisions", "total");
        card(b, "allowed", t.allowed(), "allowed", "allowed");
        card(b, "blocked", t.blocked(), "blocked", "blocked");
        card(b, "would", t.wouldBlock(), "would block (monitor mode let them through)", "would-block");
        card(b, "", r.counts().get("agent").size(), "agents", "agents");
        b.append("</div>\n</section>\n");
    }

    private static void card(StringBuilder b, String cls, long n, String label, String key) {
        b.append("<div class=\"card ").append(cls).append("\" data-total=\"").append(key).append("\"><div class=\"n\">").append(n)
                .append("</div><div class=\"l\">").append(label).append("</div></div>\n");
    }

    private static void timeline(StringBuilder b, Report r) {
        b.append("<section id=\"timeline\">\n<h2>Timeline</h2>\n");
        List<Bucket> buckets = r.timeline().buckets();
        if (buckets.isEmpty()) {
            b.append("<p class=\"empty\">No decisions in this report.</p>\n</section>\n");
            return;
        }
        long size = r.timeline().bucketSeconds();
        int w = 1000;
        int hgt = 220;
        int left = 48;
        int right = 12;
        int top = 10;
        int bottom = 28;
        double plotW = w - left - right;
        double plotH = hgt - top - bottom;
        long max = 1;
        for (Bucket x : buckets) {
            max = Math.max(max, x.allowed() + x.blocked() + x.wouldBlock());
        }
        double bw = plotW / buckets.size();
        long t0 = buckets.get(0).start();
        long t1 = t0 + size * buckets.size();
        b.append("<svg class=\"chart\" viewBox=\"0 0 ").append(w).append(' ').append(hgt)
                .append("\" role=\"img\" aria-label=\"allowed, blocked and would-be-blocked calls per ").append(Timeline.human(size)).append("\">\n");
        // monitor-mode periods behind the bars
        for (MonitorPeriod p : r.periods()) {
            Instant from = Window.time(p.from());
            Instant to = Window.time(p.to());
            if (from == null || to == null) {
                continue;
            }
            double x0 = left + plotW * (from.getEpochSecond() - t0) / (double) (t1 - t0);
            double x1 = left + plotW * (to.getEpochSecond() + 1 - t0) / (double) (t1 - t0);
            b.append("<rect class=\"monitor-band\" x=\"").append(fmt(x0)).append("\" y=\"").append(top).append("\" width=\"")
                    .append(fmt(Math.max(2, x1 - x0))).append("\" height=\"").append(fmt(plotH)).append("\"><title>monitor mode (")
                    .append(h(p.scope())).append(": ").append(h(p.who())).append("), ").append(h(p.from())).append(" .. ").append(h(p.to()))
                    .append("</title></rect>\n");
        }
        b.append("<line class=\"axis\" x1=\"").append(left).append("\" y1=\"").append(fmt(top + plotH)).append("\" x2=\"").append(w - right)
                .append("\" y2=\"").append(fmt(top + plotH)).append("\"/>\n");
        for (long v : max >= 2 ? new long[] {0, max / 2, max} : new long[] {0, max}) {
            double y = top + plotH - plotH * v / max;
            b.append("<text class=\"tick\" x=\"").append(left - 6).append("\" y=\"").append(fmt(y + 4)).append("\" text-anchor=\"end\">").append(v)
                    .append("</text>\n<line class=\"axis\" x1=\"").append(left).append("\" y1=\"").append(fmt(y)).append("\" x2=\"").append(w - right)
                    .append("\" y2=\"").append(fmt(y)).append("\"/>\n");
        }
        for (int i = 0; i < buckets.size(); i++) {
            Bucket x = buckets.get(i);
            double bx = left + i * bw + Math.min(1, bw * 0.1);
            double width = Math.max(1, bw - 2 * Math.min(1, bw * 0.1));
            double y = top + plotH;
            b.append("<g><title>").append(h(x.startIso())).append(" (").append(Timeline.human(size)).append("): ").append(x.allowed())
                    .append(" allowed, ").append(x.blocked()).append(" blocked, ").append(x.wouldBlock()).append(" would block</title>");
            long[] parts = {x.blocked(), x.wouldBlock(), x.allowed()};
            String[] cls = {"bar-blocked", "bar-would", "bar-allowed"};
            for (int k = 0; k < 3; k++) {
                if (parts[k] == 0) {
                    continue;
                }
                double ph = plotH * parts[k] / max;
                y -= ph;
                b.append("<rect class=\"").append(cls[k]).append("\" x=\"").append(fmt(bx)).append("\" y=\"").append(fmt(y)).append("\" width=\"")
                        .append(fmt(width)).append("\" height=\"").append(fmt(ph)).append("\"/>");
            }
            b.append("</g>\n");
        }
        int[] labelAt = buckets.size() == 1 ? new int[] {0} : new int[] {0, buckets.size() / 2, buckets.size() - 1};
        for (int i : labelAt) {
            String anchor = i == 0 ? "start" : i == buckets.size() - 1 ? "end" : "middle";
            double x = i == 0 ? left : i == buckets.size() - 1 ? w - right : left + (i + 0.5) * bw;
            b.append("<text class=\"tick\" x=\"").append(fmt(x)).append("\" y=\"").append(hgt - 8).append("\" text-anchor=\"").append(anchor)
                    .append("\">").append(h(label(buckets.get(i).startIso(), size))).append("</text>\n");
        }
        b.append("</svg>\n<p class=\"legend\"><span><i class=\"sw allowed\"></i>allowed</span><span><i class=\"sw blocked\"></i>blocked</span>"
                + "<span><i class=\"sw would\"></i>would block (monitor)</span><span><i class=\"sw band\"></i>monitor mode</span><span>one bar per ")
                .append(Timeline.human(size)).append(", times in UTC</span></p>\n</section>\n");
    }

    private static String label(String iso, long size) {
        String s = iso.replace('T', ' ').replace("Z", "");
        return size >= 86400 ? s.substring(0, 10) : size >= 60 ? s.substring(0, 16) : s;
    }

    private static void calls(StringBuilder b, Report r) {
        List<Call> calls = r.calls();
        long blocked = calls.stream().filter(c -> c.outcome() == Outcome.BLOCKED).count();
        b.append("<section id=\"calls\">\n<h2>Blocked calls <span class=\"sub\">").append(blocked).append(" blocked, ").append(calls.size() - blocked)
                .append(" would-be blocks let through by monitor mode</span></h2>\n");
        if (calls.isEmpty()) {
            b.append("<p class=\"empty\">No call was blocked or would have been.</p>\n");
        }
        b.append("<div class=\"filters\"").append(calls.isEmpty() ? " hidden" : "").append(">\n")
                .append("<input id=\"f-q\" type=\"search\" placeholder=\"filter: any text (path, host, rule, frame...)\" aria-label=\"filter text\">\n");
        select(b, "f-agent", "all agents", calls.stream().map(Call::agent).toList());
        select(b, "f-family", "all families", calls.stream().map(Call::family).toList());
        b.append("<select id=\"f-outcome\" aria-label=\"outcome\"><option value=\"\">blocked and would block</option>"
                + "<option value=\"blocked\">blocked only</option><option value=\"would-block\">would block only (monitor)</option></select>\n")
                .append("<span id=\"shown\">").append(calls.size()).append(" of ").append(calls.size()).append(" shown</span>\n</div>\n");
        b.append("<div class=\"table-wrap\"").append(calls.isEmpty() ? " hidden" : "").append("><table id=\"calls-table\">\n<thead><tr>")
                .append("<th class=\"num\" data-sort=\"num\">#</th><th data-sort=\"num\">time</th><th data-sort=\"text\">agent</th>")
                .append("<th data-sort=\"text\">call</th><th data-sort=\"text\">target</th><th data-sort=\"text\">rule</th>")
                .append("<th data-sort=\"text\">reason</th><th>calling code</th><th>proof</th></tr></thead>\n<tbody>\n");
        for (Call c : calls) {
            row(b, c);
        }
        b.append("</tbody></table></div>\n<p id=\"no-rows\" class=\"empty\" hidden>No call matches the filters.</p>\n")
                .append("<p class=\"sub\"><span class=\"badge blocked\">blocked</span> the call was denied and did not happen. "
                        + "<span class=\"badge would-block\">would block</span> a rule denied it, but monitor mode let it through.</p>\n</section>\n");
    }

    /** What the agents did on their own: a table of its own, outside the decision filters. */
    /** The entries that set the session labels blocked calls depended on, each with its proof. */
    private static void labelOrigins(StringBuilder b, List<Report.LabelOrigin> origins) {
        if (origins.isEmpty()) {
            return;
        }
        b.append("<section id=\"label-origins\"><h2>Where the session labels came from</h2>\n<table><thead><tr><th>#</th><th>label</th>"
                + "<th>set by rule</th><th>agent</th><th>proof</th></tr></thead>\n<tbody>\n");
        for (Report.LabelOrigin o : origins) {
            b.append("<tr><td>").append(o.seq()).append("</td><td>").append(h(o.label())).append("</td><td>").append(h(o.rule()))
                    .append("</td><td>").append(h(o.agent())).append("</td><td>");
            if (o.proof() != null) {
                b.append("<a class=\"proof\" download=\"agt-proof-").append(o.seq()).append(".json\" href=\"data:application/json;base64,")
                        .append(Base64.getEncoder().encodeToString(ReportBuilder.proofText(o.proof()).getBytes(StandardCharsets.UTF_8)))
                        .append("\">proof-").append(o.seq()).append(".json</a>");
            } else {
                b.append("<span class=\"sub\">").append(h(String.valueOf(o.proofNote()))).append("</span>");
            }
            b.append("</td></tr>\n");
        }
        b.append("</tbody></table></section>\n");
    }

    private static void spend(StringBuilder b, Report.Spend s) {
        if (s.isEmpty()) {
            return;
        }
        b.append("<section id=\"spend\">\n<h2>Spend on model calls</h2>\n<p class=\"sub\">What model calls under budgets cost, as the engine "
                + "settled them (usage at the policy's prices; a call without a usage report is charged the worst case).</p>\n");
        if (!s.byModel().isEmpty()) {
            b.append("<div class=\"table-wrap\"><table>\n<thead><tr><th>agent</th><th>provider</th><th>model</th><th class=\"num\">calls</th>"
                    + "<th class=\"num\">cost</th><th class=\"num\">without usage report</th></tr></thead>\n<tbody>\n");
            s.byModel().forEach(x -> b.append("<tr><td>").append(h(x.agent())).append("</td><td>").append(h(x.provider())).append("</td><td>")
                    .append(h(x.model())).append("</td><td class=\"num\">").append(x.calls()).append("</td><td class=\"num\">").append(h(s.amount(x.cost())))
                    .append("</td><td class=\"num\">").append(x.unreported()).append("</td></tr>\n"));
            b.append("</tbody></table></div>\n");
        }
        if (!s.overTime().isEmpty()) {
            b.append("<div class=\"table-wrap\"><table>\n<thead><tr><th>from</th><th class=\"num\">cost</th></tr></thead>\n<tbody>\n");
            s.overTime().forEach(x -> b.append("<tr><td class=\"mono\">").append(h(x.startIso())).append("</td><td class=\"num\">")
                    .append(h(s.amount(x.cost()))).append("</td></tr>\n"));
            b.append("</tbody></table></div>\n");
        }
        if (!s.budgets().isEmpty()) {
            b.append("<div class=\"table-wrap\"><table>\n<thead><tr><th>budget</th><th class=\"num\">calls refused</th><th class=\"num\">warnings</th>"
                    + "<th class=\"num\">spent at the last warning</th></tr></thead>\n<tbody>\n");
            s.budgets().forEach(x -> b.append("<tr><td>").append(h(x.account())).append("</td><td class=\"num\">").append(x.refused())
                    .append("</td><td class=\"num\">").append(x.warnings()).append("</td><td class=\"num\">")
                    .append(x.warnings() == 0 ? "" : h(s.amount(x.lastSpent()))).append("</td></tr>\n"));
            b.append("</tbody></table></div>\n");
        }
        b.append("</section>\n");
    }

    private static void local(StringBuilder b, Report.LocalOutcomes l) {
        b.append("<section id=\"local\">\n<h2>What the agents did on their own <span class=\"sub\">").append(l.outcomes().size())
                .append(" outcome").append(l.outcomes().size() == 1 ? "" : "s");
        if (l.lostTotal() > 0) {
            b.append(", ").append(l.lostTotal()).append(" lost");
        }
        b.append("</span></h2>\n");
        if (l.isEmpty()) {
            b.append("<p class=\"empty\">None: every call went as the engine decided.</p>\n</section>\n");
            return;
        }
        b.append("<p class=\"sub\">Calls that went otherwise than an engine decision says, or that the engine never decided, as the "
                + "agents reported them. <em>happened</em> is the agent's clock; a late report arrived after the engine was unreachable.</p>\n");
        if (!l.byKind().isEmpty()) {
            b.append("<div class=\"cards\">\n");
            l.byKind().forEach((k, n) -> b.append("<div class=\"card ").append(k.startsWith("passed") || k.equals("modified") ? "would" : "blocked")
                    .append("\" data-kind=\"").append(h(k)).append("\"><div class=\"n\">").append(n).append("</div><div class=\"l\">")
                    .append(h(Report.LocalOutcomes.meaning(k))).append("</div></div>\n"));
            b.append("</div>\n");
        }
        if (l.lostTotal() > 0) {
            b.append("<div class=\"banner bad\"><p class=\"title\">").append(l.lostTotal())
                    .append(" outcome(s) lost while the engine was unreachable</p><ul>");
            l.lost().forEach(x -> b.append("<li>#").append(x.seq()).append(" ").append(h(x.time())).append(": ").append(h(x.agent()))
                    .append(" lost ").append(x.dropped()).append(" (").append(h(x.droppedKinds().toString())).append("), gap since ")
                    .append(h(x.since())).append("</li>"));
            b.append("</ul></div>\n");
        }
        if (!l.outcomes().isEmpty()) {
            b.append("<div class=\"table-wrap\"><table id=\"local-table\">\n<thead><tr><th class=\"num\">#</th><th>time</th><th>agent</th>"
                    + "<th>call</th><th>target</th><th>outcome</th><th>reason</th><th>follows</th><th>happened</th></tr></thead>\n<tbody>\n");
            for (Report.Local x : l.outcomes()) {
                String cls = x.effect().equals("deny") ? "blocked" : "would-block";
                // data-entry, not data-seq: data-seq marks the rows of the blocked-call table that the filters act on
                b.append("<tr class=\"").append(cls).append(x.afterBreak() ? " after-break" : "").append("\" data-entry=\"").append(x.seq())
                        .append("\" data-kind=\"").append(h(x.kind())).append("\"><td class=\"num\">").append(x.seq());
                if (x.afterBreak()) {
                    b.append("<br><span class=\"badge break\">after the break</span>");
                }
                b.append("</td><td class=\"mono\">").append(h(x.time().replaceFirst("T", " "))).append("</td><td>").append(h(x.agent()))
                        .append("</td><td>").append(h(x.call())).append("</td><td class=\"target\"><code>").append(h(x.targetText()))
                        .append("</code></td><td><span class=\"badge ").append(cls).append("\">").append(h(x.kind())).append("</span><br><span class=\"sub\">")
                        .append(h(x.code())).append("</span></td><td class=\"reason\">").append(h(x.reason())).append("</td><td class=\"mono\">");
                if (x.follows() < 0) {
                    b.append("<span class=\"sub\">no decision</span>");
                } else {
                    b.append('#').append(x.follows());
                    if (!x.decided().isEmpty()) {
                        b.append("<br><span class=\"sub\">").append(h(x.decided())).append("</span>");
                    }
                }
                b.append("</td><td class=\"mono\">").append(h(x.at().replaceFirst("T", " ")));
                if (x.spooled()) {
                    b.append("<br><span class=\"badge monitor\">reported late</span>");
                }
                b.append("</td></tr>\n");
            }
            b.append("</tbody></table></div>\n");
        }
        if (!l.refused().isEmpty()) {
            b.append("<h3>Outcomes the engine refused</h3>\n<div class=\"table-wrap\"><table id=\"refused-table\">\n<thead><tr>"
                    + "<th class=\"num\">#</th><th>time</th><th>agent</th><th>code</th><th>reason</th></tr></thead>\n<tbody>\n");
            l.refused().forEach(x -> b.append("<tr><td class=\"num\">").append(x.seq()).append("</td><td class=\"mono\">").append(h(x.time()))
                    .append("</td><td>").append(h(x.agent())).append("</td><td class=\"mono\">").append(h(x.code())).append("</td><td>")
                    .append(h(x.reason())).append("</td></tr>\n"));
            b.append("</tbody></table></div>\n");
        }
        b.append("</section>\n");
    }

    private static void select(StringBuilder b, String id, String all, List<String> values) {
        b.append("<select id=\"").append(id).append("\" aria-label=\"").append(all).append("\"><option value=\"\">").append(all).append("</option>");
        new TreeSet<>(values).forEach(v -> b.append("<option value=\"").append(h(v)).append("\">").append(h(v)).append("</option>"));
        b.append("</select>\n");
    }

    private static void row(StringBuilder b, Call c) {
        boolean would = c.outcome() == Outcome.WOULD_BLOCK;
        b.append("<tr class=\"").append(c.outcome().key).append(c.afterBreak() ? " after-break" : "").append("\" data-seq=\"").append(c.seq())
                .append("\" data-outcome=\"").append(c.outcome().key).append("\" data-agent=\"").append(h(c.agent())).append("\" data-family=\"")
                .append(h(c.family())).append("\">");
        b.append("<td class=\"num\">").append(c.seq());
        if (c.afterBreak()) {
            b.append("<br><span class=\"badge break\">after the break</span>");
        }
        b.append("</td><td class=\"mono\" data-key=\"").append(c.seq()).append("\">").append(h(c.time().replaceFirst("T", " "))).append("</td>");
        b.append("<td>").append(h(c.agent()));
        if (c.agentMode().equals("monitor")) {
            b.append(" <span class=\"badge monitor\">monitor</span>");
        }
        b.append("</td><td><span class=\"badge ").append(c.outcome().key).append("\">").append(would ? "would block" : "blocked")
                .append("</span><br>").append(h(c.call())).append("</td>");
        b.append("<td class=\"target\" data-key=\"").append(h(c.targetText())).append("\"><code>").append(h(c.targetText())).append("</code>");
        c.notes().forEach(f -> b.append(" <span class=\"badge flag\">").append(h(f)).append("</span>"));
        b.append("<details><summary class=\"sub\">request</summary><pre>").append(h(pretty(c.target())));
        if (!c.thread().isEmpty()) {
            b.append("\nthread: ").append(h(c.thread()));
        }
        b.append("\npolicy: ").append(h(c.policy())).append(" (").append(h(c.policyMode())).append(")</pre></details></td>");
        b.append("<td class=\"mono\">").append(h(Report.ruleText(c.rule()))).append("<br><span class=\"sub\">")
                .append(h(c.code())).append("</span></td>");
        b.append("<td class=\"reason\">").append(h(c.reason()));
        if (would) {
            Map<String, Object> m = c.monitor();
            b.append("<br><span class=\"sub\">let through by monitor mode (").append(h(String.valueOf(m.get("by")))).append("); would deny: ")
                    .append(h(Report.ruleText(String.valueOf(m.get("rule"))))).append(" (").append(h(String.valueOf(m.get("code")))).append(") ")
                    .append(h(String.valueOf(m.get("reason")))).append("</span>");
        }
        b.append("</td><td class=\"frames mono\">");
        if (c.frames().isEmpty()) {
            b.append("<span class=\"sub\">none recorded</span>");
        } else {
            b.append(h(c.frames().get(0)));
            if (c.frames().size() > 1) {
                b.append("<details><summary class=\"sub\">").append(c.frames().size() - 1).append(" more</summary><ol class=\"frames\" start=\"2\">");
                c.frames().subList(1, c.frames().size()).forEach(f -> b.append("<li>").append(h(f)).append("</li>"));
                b.append("</ol></details>");
            }
        }
        b.append("</td><td>");
        if (c.proof() != null) {
            b.append("<a class=\"proof\" download=\"agt-proof-").append(c.seq()).append(".json\" href=\"data:application/json;base64,")
                    .append(Base64.getEncoder().encodeToString(ReportBuilder.proofText(c.proof()).getBytes(StandardCharsets.UTF_8)))
                    .append("\">proof-").append(c.seq()).append(".json</a><br><span class=\"sub\">checkpoint ").append(c.proof().get("tree_size"))
                    .append("</span>");
        } else {
            b.append("<span class=\"sub\">").append(h(c.proofNote())).append("</span>");
        }
        b.append("</td></tr>\n");
    }

    private static void counts(StringBuilder b, Report r) {
        b.append("<section id=\"counts\">\n<h2>Counts</h2>\n<div class=\"grid\">\n");
        for (String dim : Report.DIMENSIONS) {
            Map<String, Tally> byKey = r.counts().get(dim);
            b.append("<div><h3>by ").append(dim).append("</h3><table data-dimension=\"").append(dim).append("\"><thead><tr><th>").append(dim)
                    .append("</th><th class=\"num\">all</th><th class=\"num\">allowed</th><th class=\"num\">blocked</th><th class=\"num\">would block</th><th></th></tr></thead><tbody>\n");
            long max = byKey.values().stream().mapToLong(Tally::total).max().orElse(1);
            byKey.forEach((k, t) -> {
                b.append("<tr data-key=\"").append(h(k)).append("\"><td class=\"mono\">").append(h(k)).append("</td><td class=\"num\">").append(t.total())
                        .append("</td><td class=\"num\">").append(t.allowed()).append("</td><td class=\"num\">").append(t.blocked())
                        .append("</td><td class=\"num\">").append(t.wouldBlock()).append("</td><td>");
                miniBar(b, t, max);
                b.append("</td></tr>\n");
            });
            if (byKey.isEmpty()) {
                b.append("<tr><td colspan=\"6\" class=\"empty\">none</td></tr>\n");
            }
            b.append("</tbody></table></div>\n");
        }
        b.append("</div>\n</section>\n");
    }

    private static void miniBar(StringBuilder b, Tally t, long max) {
        b.append("<svg class=\"mini\" viewBox=\"0 0 100 10\" aria-hidden=\"true\">");
        double x = 0;
        long[] parts = {t.blocked(), t.wouldBlock(), t.allowed()};
        String[] cls = {"bar-blocked", "bar-would", "bar-allowed"};
        for (int k = 0; k < 3; k++) {
            double wd = 100.0 * parts[k] / Math.max(1, max);
            if (wd > 0) {
                b.append("<rect class=\"").append(cls[k]).append("\" x=\"").append(fmt(x)).append("\" y=\"0\" width=\"").append(fmt(wd))
                        .append("\" height=\"10\"/>");
                x += wd;
            }
        }
        b.append("</svg>");
    }

    private static void monitor(StringBuilder b, Report r) {
        b.append("<section id=\"monitor\">\n<h2>Monitor mode</h2>\n");
        if (r.periods().isEmpty()) {
            b.append("<p class=\"empty\">No decision in this report was made in monitor mode: every denial was enforced.</p>\n</section>\n");
            return;
        }
        b.append("<p class=\"sub\">While these held, denials were logged but not enforced: the calls went ahead. "
                        + "<strong>policy</strong>: the policy's <code>mode: monitor</code>; <strong>agent</strong>: an agent started in monitor mode; "
                        + "<strong>interception-rule</strong>: the agent's interception rule for the call was in monitor mode.</p>\n")
                .append("<div class=\"table-wrap\"><table id=\"monitor-table\">\n<thead><tr><th>scope</th><th>who</th><th>from</th><th>to</th>"
                        + "<th class=\"num\">decisions</th><th class=\"num\">would block</th></tr></thead>\n<tbody>\n");
        r.periods().forEach(p -> b.append("<tr><td><span class=\"badge monitor\">").append(h(p.scope())).append("</span></td><td class=\"mono\">")
                .append(h(p.who())).append("</td><td class=\"mono\">").append(h(p.from())).append("</td><td class=\"mono\">").append(h(p.to()))
                .append("</td><td class=\"num\">").append(p.decisions()).append("</td><td class=\"num\">").append(p.wouldBlock()).append("</td></tr>\n"));
        b.append("</tbody></table></div>\n</section>\n");
    }

    private static void policies(StringBuilder b, Report r) {
        b.append("<section id=\"policies\">\n<h2>Policy versions in force</h2>\n");
        if (r.policies().isEmpty()) {
            b.append("<p class=\"empty\">No policy version is named in this report's entries.</p>\n</section>\n");
            return;
        }
        b.append("<div class=\"table-wrap\"><table>\n<thead><tr><th>version (SHA-256)</th><th>mode</th><th class=\"num\">decisions</th>"
                + "<th>first decision</th><th>last decision</th><th>loaded</th></tr></thead>\n<tbody>\n");
        r.policies().forEach(p -> {
            b.append("<tr><td class=\"mono\" title=\"").append(h(p.version())).append("\">").append(h(ReportBuilder.shortVersion(p.version())))
                    .append("</td><td>");
            p.modes().forEach(m -> b.append(m.equals("monitor") ? "<span class=\"badge monitor\">monitor</span> " : h(m) + " "));
            b.append("</td><td class=\"num\">").append(p.decisions()).append("</td><td class=\"mono\">").append(h(p.firstDecision()))
                    .append("</td><td class=\"mono\">").append(h(p.lastDecision())).append("</td><td class=\"mono\">");
            p.loaded().forEach(l -> b.append("<div>").append(h(l)).append("</div>"));
            b.append("</td></tr>\n");
        });
        b.append("</tbody></table></div>\n</section>\n");
    }

    private static String pretty(Map<String, Object> m) {
        try {
            return ReportBuilder.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(m);
        } catch (JsonProcessingException e) {
            return String.valueOf(m);
        }
    }

    private static String fmt(double d) {
        return String.format(java.util.Locale.ROOT, "%.1f", d);
    }

    /** A value as HTML text or quoted-attribute content. */
    static String h(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(ch < 0x20 && ch != '\n' && ch != '\t' || ch == 0x7f ? '\ufffd' : ch);
            }
        }
        return b.toString();
    }

    static String sha256(String text) {
        try {
            return "sha256-" + Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String resource(String name) {
        try (InputStream in = HtmlReport.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
