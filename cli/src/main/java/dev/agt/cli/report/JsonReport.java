package dev.agt.cli.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.agt.cli.report.Report.Call;
import dev.agt.cli.report.Report.Tally;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The report as JSON for tools: every fact of {@link Report}, with snake_case keys as in the log. */
public final class JsonReport {
    /** The document's {@code format}; bump the number when a field changes meaning. */
    public static final String FORMAT = "agt-report/1";

    private JsonReport() {
    }

    public static String render(Report r) {
        try {
            return ReportBuilder.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(toMap(r)) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static Map<String, Object> toMap(Report r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", FORMAT);
        m.put("log", r.log());
        m.put("generated", r.generated());
        Map<String, Object> filters = new LinkedHashMap<>();
        filters.put("since", r.window().since() == null ? null : r.window().since().toString());
        filters.put("until", r.window().until() == null ? null : r.window().until().toString());
        filters.put("agent", r.window().agent());
        filters.put("family", r.window().family());
        m.put("filters", filters);
        m.put("verification", check(r.check()));
        m.put("totals", tally(r.totals()));
        Map<String, Object> counts = new LinkedHashMap<>();
        r.counts().forEach((dim, byKey) -> {
            Map<String, Object> k = new LinkedHashMap<>();
            byKey.forEach((key, t) -> k.put(key, tally(t)));
            counts.put("by_" + dim, k);
        });
        m.put("counts", counts);
        Map<String, Object> timeline = new LinkedHashMap<>();
        timeline.put("bucket_seconds", r.timeline().bucketSeconds());
        List<Object> buckets = new ArrayList<>();
        r.timeline().buckets().forEach(b -> {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("start", b.startIso());
            x.put("allowed", b.allowed());
            x.put("blocked", b.blocked());
            x.put("would_block", b.wouldBlock());
            buckets.add(x);
        });
        timeline.put("buckets", buckets);
        m.put("timeline", timeline);
        m.put("calls", r.calls().stream().map(JsonReport::call).toList());
        m.put("monitor_periods", r.periods().stream().map(p -> {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("scope", p.scope());
            x.put("who", p.who());
            x.put("from", p.from());
            x.put("to", p.to());
            x.put("decisions", p.decisions());
            x.put("would_block", p.wouldBlock());
            return x;
        }).toList());
        m.put("policy_versions", r.policies().stream().map(p -> {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("version", p.version());
            x.put("modes", p.modes());
            x.put("decisions", p.decisions());
            x.put("first_decision", p.firstDecision());
            x.put("last_decision", p.lastDecision());
            x.put("loaded", p.loaded());
            return x;
        }).toList());
        m.put("events", r.events().stream().map(e -> {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("seq", e.seq());
            x.put("time", e.time());
            x.put("event", e.event());
            x.put("detail", e.detail());
            return x;
        }).toList());
        m.put("flagged_tools", r.tools().stream().map(t -> {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("seq", t.seq());
            x.put("time", t.time());
            x.put("agent", t.agent());
            x.put("server", t.server());
            x.put("tool", t.tool());
            x.put("status", t.status());
            x.put("findings", t.findings());
            x.put("times", t.times());
            return x;
        }).toList());
        m.put("local_outcomes", local(r.local()));
        Map<String, Object> spend = new LinkedHashMap<>();
        spend.put("currency", r.spend().currency());
        // ordered maps: the same log gives the same bytes
        spend.put("by_model", r.spend().byModel().stream().map(x -> (Object) ordered("agent", x.agent(), "provider", x.provider(), "model", x.model(),
                "calls", x.calls(), "cost_micros", x.cost(), "without_usage", x.unreported())).toList());
        spend.put("over_time", r.spend().overTime().stream().map(x -> (Object) ordered("from", x.startIso(), "cost_micros", x.cost())).toList());
        spend.put("budgets", r.spend().budgets().stream().map(x -> (Object) ordered("account", x.account(), "refused", x.refused(),
                "warnings", x.warnings(), "spent_at_last_warning_micros", x.lastSpent())).toList());
        m.put("spend", spend);
        m.put("label_origins", r.labelOrigins().stream().map(x -> {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("seq", x.seq());
            o.put("label", x.label());
            o.put("rule", x.rule());
            o.put("agent", x.agent());
            o.put("proof", x.proof());
            o.put("proof_note", x.proofNote());
            return (Object) o;
        }).toList());
        m.put("unreadable_lines", r.unreadable());
        return m;
    }

    private static Map<String, Object> ordered(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }

    static Map<String, Object> local(Report.LocalOutcomes l) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("by_kind", l.byKind());
        m.put("lost_total", l.lostTotal());
        m.put("outcomes", l.outcomes().stream().map(x -> {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("seq", x.seq());
            o.put("time", x.time());
            o.put("happened", x.at());
            o.put("agent", x.agent());
            o.put("session", x.session());
            o.put("kind", x.kind());
            o.put("effect", x.effect());
            o.put("code", x.code());
            o.put("reason", x.reason());
            o.put("follows", x.follows() < 0 ? null : x.follows());
            o.put("decided", x.decided());
            o.put("call", x.call());
            o.put("family", x.family());
            o.put("target_text", x.targetText());
            o.put("spooled", x.spooled());
            o.put("after_break", x.afterBreak());
            return o;
        }).toList());
        m.put("lost", l.lost().stream().map(x -> {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("seq", x.seq());
            o.put("time", x.time());
            o.put("agent", x.agent());
            o.put("dropped", x.dropped());
            o.put("held", x.held());
            o.put("since", x.since());
            o.put("dropped_kinds", x.droppedKinds());
            return o;
        }).toList());
        m.put("refused", l.refused().stream().map(x -> {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("seq", x.seq());
            o.put("time", x.time());
            o.put("agent", x.agent());
            o.put("code", x.code());
            o.put("reason", x.reason());
            return o;
        }).toList());
        return m;
    }

    static Map<String, Object> check(Report.Check c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("status", c.ok() ? "verified" : "tampered");
        m.put("headline", c.headline());
        m.put("entries", c.entries());
        m.put("checkpoints", c.checkpoints());
        m.put("signed_size", c.signedSize());
        m.put("key_name", c.keyName());
        m.put("key_id", c.keyId());
        if (!c.ok()) {
            m.put("first_bad_seq", c.firstBad());
            m.put("problem", c.kind());
            m.put("message", c.message());
        }
        m.put("warnings", c.warnings());
        return m;
    }

    static Map<String, Object> tally(Tally t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("decisions", t.total());
        m.put("allowed", t.allowed());
        m.put("blocked", t.blocked());
        m.put("would_block", t.wouldBlock());
        return m;
    }

    static Map<String, Object> call(Call c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("seq", c.seq());
        m.put("time", c.time());
        m.put("outcome", c.outcome().key);
        m.put("agent", c.agent());
        m.put("agent_mode", c.agentMode());
        m.put("session", c.session());
        m.put("family", c.family());
        m.put("action", c.action());
        m.put("target", c.target());
        m.put("target_text", c.targetText());
        m.put("rule", c.rule());
        m.put("code", c.code());
        m.put("reason", c.reason());
        m.put("monitor", c.monitor());
        m.put("frames", c.frames());
        m.put("thread", c.thread());
        m.put("policy", c.policy());
        m.put("policy_mode", c.policyMode());
        m.put("notes", c.notes());
        m.put("after_break", c.afterBreak());
        m.put("proof", c.proof());
        m.put("proof_note", c.proofNote());
        return m;
    }
}
