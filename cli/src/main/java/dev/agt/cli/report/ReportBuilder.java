package dev.agt.cli.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agt.identity.CanonicalJson;
import dev.agt.audit.entry.DecisionEntry;
import dev.agt.audit.entry.EngineEvent;
import dev.agt.audit.entry.EntryCodec;
import dev.agt.audit.entry.LogEntry;
import dev.agt.audit.entry.MalformedEntryException;
import dev.agt.audit.entry.OutcomeEntry;
import dev.agt.audit.entry.OutcomeEvent;
import dev.agt.audit.log.LogFiles;
import dev.agt.audit.log.LogScan;
import dev.agt.audit.note.NoteKeys;
import dev.agt.audit.verify.ProofFiles;
import dev.agt.audit.verify.Verifier;
import dev.agt.cli.report.Report.Call;
import dev.agt.cli.report.Report.Event;
import dev.agt.cli.report.Report.FlaggedTool;
import dev.agt.cli.report.Report.Local;
import dev.agt.cli.report.Report.LocalOutcomes;
import dev.agt.cli.report.Report.Lost;
import dev.agt.cli.report.Report.MonitorPeriod;
import dev.agt.cli.report.Report.Outcome;
import dev.agt.cli.report.Report.PolicyVersion;
import dev.agt.cli.report.Report.Tally;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads a decision log into a {@link Report}. The log is verified first, with the audit
 * module's {@link Verifier}; when it holds, the entries are read through the same
 * {@link LogScan} (which rehashes and rechecks the chain as it goes), and every blocked call
 * gets its inclusion proof from {@link ProofFiles.Prover}, the code behind {@code agt audit
 * prove}. When it does not hold, every readable line is still read so the reviewer sees what
 * the log claims, the report says TAMPERED, entries from the first bad one on are marked, and
 * there are no proofs.
 */
public final class ReportBuilder {
    static final ObjectMapper JSON = new ObjectMapper();

    private final Window window;
    private final Report.Check check;
    private Tally totals = Tally.ZERO;
    private final Map<String, Map<String, Tally>> counts = new LinkedHashMap<>();
    private final TreeMap<Long, long[]> perSecond = new TreeMap<>();
    private final List<Call> calls = new ArrayList<>();
    private final List<MonitorPeriod> periods = new ArrayList<>();
    private final Map<String, Period> agentPeriods = new LinkedHashMap<>();
    private final Map<String, Period> interceptionPeriods = new LinkedHashMap<>();
    private Period policyRun;
    private final Map<String, Version> versions = new LinkedHashMap<>();
    private final List<Event> events = new ArrayList<>();
    /** Label-origin entries of blocked calls: seq to {label, rule, agent}. */
    private final java.util.TreeMap<Long, String[]> originSeqs = new java.util.TreeMap<>();
    private List<Report.LabelOrigin> origins = List.of();
    private final Map<String, Flag> flags = new LinkedHashMap<>();
    private final List<Local> locals = new ArrayList<>();
    private final Map<String, Long> localKinds = new LinkedHashMap<>();
    private final List<Lost> lost = new ArrayList<>();
    private final List<Report.Refused> refused = new ArrayList<>();
    /** Recent decisions by sequence number, whatever the filters: the calls outcomes follow. */
    private final Map<Long, Decided> decided = new LinkedHashMap<>(1024, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Decided> eldest) {
            return size() > REMEMBERED;
        }
    };
    private long unreadable;

    /** Decisions remembered for the outcomes that follow them; an outcome follows its decision closely. */
    static final int REMEMBERED = 1 << 14;

    /** A decision as an outcome that follows it shows it. */
    private record Decided(String family, String action, String targetText, String summary) {
    }

    private ReportBuilder(Window window, Report.Check check) {
        this.window = window;
        this.check = check;
        Report.DIMENSIONS.forEach(d -> counts.put(d, new TreeMap<>()));
    }

    /**
     * @param key     the pinned public key
     * @param witness a witness copy of the checkpoints to verify against, or null
     */
    public static Report build(Path dir, NoteKeys.Verifier key, Path witness, Window window, Instant now) throws IOException {
        Verifier.Report v = Verifier.verify(dir, key, witness);
        Report.Check check = new Report.Check(v.ok(), v.entries(), v.checkpoints(), v.signedSize(), key.name(), v.keyId(),
                v.firstBad(), v.kind(), v.message(), List.copyOf(v.warnings()));
        ReportBuilder b = new ReportBuilder(window, check);
        if (v.ok()) {
            long upTo = v.entries();
            LogScan.scan(dir, Set.of(), (e, line) -> {
                if (e.seq() < upTo) {
                    b.take(line, false);
                }
            });
        } else {
            for (Path seg : LogFiles.segments(dir)) {
                try (BufferedReader in = Files.newBufferedReader(seg, StandardCharsets.UTF_8)) {
                    for (String line; (line = in.readLine()) != null; ) {
                        b.take(line.getBytes(StandardCharsets.UTF_8), true);
                    }
                }
            }
        }
        b.closePeriods();
        List<Call> proved = b.prove(dir, v);
        return new Report(dir.toString(), now.toString(), window, check, b.totals, b.counts, Timeline.of(b.perSecond), proved,
                List.copyOf(b.periods), b.policyVersions(), List.copyOf(b.events), b.flaggedTools(), b.localOutcomes(), b.spend(),
                b.unreadable, b.origins);
    }

    private void take(byte[] line, boolean unverified) {
        LogEntry e;
        try {
            e = EntryCodec.read(line);
        } catch (MalformedEntryException ex) {
            unreadable++;
            return;
        }
        if (e.seq() < 0) {
            unreadable++;
            return;
        }
        long seq = e.seq();
        boolean afterBreak = unverified && seq >= check.firstBad();
        Instant t = Window.time(e.time().isEmpty() ? null : e.time());
        if (e instanceof OutcomeEvent oe) {
            outcomeEvent(oe, t);
        } else if (e instanceof EngineEvent v) {
            event(v, seq, t);
        } else if (e instanceof DecisionEntry d) {
            remember(d, seq);
            decision(d, seq, t, afterBreak);
        } else if (e instanceof OutcomeEntry o) {
            outcome(o, t, afterBreak);
        }
        // an UnknownEntry (a type from a newer engine) has no place in the report
    }

    private static String or(String s, String otherwise) {
        return s.isEmpty() ? otherwise : s;
    }

    private void remember(DecisionEntry d, long seq) {
        DecisionEntry.Ruling r = d.ruling();
        String family = or(d.family(), "?");
        String action = or(d.action(), "?");
        decided.put(seq, new Decided(family, action, TargetText.of(family, action, JSON.valueToTree(d.target())),
                or(r.effect(), "?") + " by " + Report.ruleText(r.rule()) + " (" + r.code() + ")"
                        + r.sandbox().map(s -> ", only inside sandbox " + s).orElse("")));
    }

    /** An outcome entry: the call from its own request, or from the decision it follows when that was read. */
    private void outcome(OutcomeEntry o, Instant t, boolean afterBreak) {
        Decided d = o.followsDecision() ? decided.get(o.follows()) : null;
        String family;
        String action;
        String target;
        if (o.request().isPresent()) {
            JsonNode r = JSON.valueToTree(o.request().get());
            family = r.path("family").asText("?");
            action = r.path("action").asText("?");
            target = TargetText.of(family, action, r.path("target"));
        } else if (d != null) {
            family = d.family();
            action = d.action();
            target = d.targetText();
        } else {
            family = "?";
            action = "?";
            target = "(the decision it follows is not in what was read)";
        }
        if (!window.keeps(t, o.agentName(), family)) {
            return;
        }
        localKinds.merge(o.kind(), 1L, Long::sum);
        locals.add(new Local(o.seq(), o.time(), o.at(), o.agentName(), o.session(), o.kind(), o.effect(), o.code(), o.reason(), o.follows(),
                d == null ? "" : d.summary(), family + "/" + action, family, target, o.spooled(), afterBreak));
    }

    private void outcomeEvent(OutcomeEvent v, Instant t) {
        if (!window.inTime(t) || window.agent() != null && !window.agent().equals(v.agentName())) {
            return;
        }
        if (v.event().equals(OutcomeEvent.LOST)) {
            lost.add(new Lost(v.seq(), v.time(), v.agentName(), v.dropped(), v.held(), v.since(), v.droppedKinds()));
        } else {
            refused.add(new Report.Refused(v.seq(), v.time(), v.agentName(), v.code(), v.reason()));
        }
    }

    private LocalOutcomes localOutcomes() {
        Map<String, Long> byKind = new LinkedHashMap<>();
        LocalOutcomes.KINDS.keySet().forEach(k -> {
            if (localKinds.containsKey(k)) {
                byKind.put(k, localKinds.get(k));
            }
        });
        localKinds.forEach(byKind::putIfAbsent); // kinds from a newer agent, last
        return new LocalOutcomes(List.copyOf(locals), byKind, List.copyOf(lost), List.copyOf(refused));
    }

    // spend: per agent/provider/model {calls, cost, unreported}; per minute-aligned second cost; per budget account
    private final Map<List<String>, long[]> spendByModel = new TreeMap<>((a, b) -> String.join("\0", a).compareTo(String.join("\0", b)));
    private final TreeMap<Long, Long> spendPerSecond = new TreeMap<>();
    private final Map<String, long[]> budgetLines = new TreeMap<>();
    private String currency = "";

    private void spent(DecisionEntry d, Instant t) {
        Map<String, Object> s = d.spend().orElse(null);
        if (s == null) {
            return;
        }
        if (s.get("currency") instanceof String c && !c.isEmpty()) {
            currency = c;
        }
        if (s.get("cost") instanceof Number cost) {
            Map<String, Object> target = d.target();
            long[] row = spendByModel.computeIfAbsent(List.of(d.agentName(), String.valueOf(target.get("provider")), String.valueOf(target.get("model"))),
                    k -> new long[3]);
            row[0]++;
            row[1] = saturating(row[1], cost.longValue());
            row[2] += Boolean.FALSE.equals(s.get("usage_reported")) ? 1 : 0;
            if (t != null) {
                spendPerSecond.merge(t.getEpochSecond(), cost.longValue(), ReportBuilder::saturating);
            }
        }
        if (s.get("over") instanceof String account) {
            budgetLines.computeIfAbsent(account, k -> new long[3])[0]++;
        }
    }

    private static long saturating(long a, long b) {
        long x = a + b;
        return x < 0 ? Long.MAX_VALUE : x;
    }

    private Report.Spend spend() {
        List<Report.ModelSpend> rows = new ArrayList<>();
        spendByModel.forEach((k, v) -> rows.add(new Report.ModelSpend(k.get(0), k.get(1), k.get(2), v[0], v[1], v[2])));
        List<Report.SpendBucket> buckets = new ArrayList<>();
        Report.Timeline tl = Timeline.of(perSecond);
        long size = Math.max(1, tl.bucketSeconds());
        TreeMap<Long, Long> byBucket = new TreeMap<>();
        spendPerSecond.forEach((sec, cost) -> byBucket.merge(sec - Math.floorMod(sec, size), cost, ReportBuilder::saturating));
        byBucket.forEach((start, cost) -> buckets.add(new Report.SpendBucket(Instant.ofEpochSecond(start).toString(), cost)));
        List<Report.BudgetLine> lines = new ArrayList<>();
        budgetLines.forEach((account, v) -> lines.add(new Report.BudgetLine(account, v[0], v[1], v[2])));
        return new Report.Spend(currency, List.copyOf(rows), List.copyOf(buckets), List.copyOf(lines));
    }

    private void event(EngineEvent e, long seq, Instant t) {
        String kind = or(e.event(), "?");
        if (e instanceof EngineEvent.SessionStart || !window.inTime(t)) {
            return;
        }
        if (e instanceof EngineEvent.SpendUnsettled u) {
            // calls whose usage never came back, charged their estimates when the session ended
            long[] row = spendByModel.computeIfAbsent(List.of(u.agent(), u.provider(), u.model()), k -> new long[3]);
            row[0] += u.calls();
            row[1] = saturating(row[1], u.cost());
            row[2] += u.calls();
            if (t != null) {
                spendPerSecond.merge(t.getEpochSecond(), u.cost(), ReportBuilder::saturating);
            }
            currency = u.currency().isEmpty() ? currency : u.currency();
        }
        if (e instanceof EngineEvent.BudgetWarning w) {
            long[] line = budgetLines.computeIfAbsent(w.budget() + ":" + w.subject(), k -> new long[3]);
            line[1]++;
            line[2] = w.spent();
            currency = w.currency().isEmpty() ? currency : w.currency();
        }
        String time = e.time();
        StringBuilder detail = new StringBuilder();
        // every member but the common ones, in the stored (sorted) order, values as stored
        new TreeMap<>(EntryCodec.toMap(e)).forEach((k, v) -> {
            if (!Set.of("seq", "prev", "time", "type", "event").contains(k)) {
                detail.append(detail.length() == 0 ? "" : ", ").append(k).append('=')
                        .append(v instanceof Map<?, ?> || v instanceof List<?> ? CanonicalJson.string(v) : String.valueOf(v));
            }
        });
        events.add(new Event(seq, time, kind, TargetText.clip(detail.toString())));
        if (e instanceof EngineEvent.EngineStart s && !s.policy().isEmpty()) {
            policyLoaded(s.policy(), s.policyMode(), time + " " + kind);
        } else if (e instanceof EngineEvent.PolicyLoaded p && !p.policy().isEmpty()) {
            policyLoaded(p.policy(), p.policyMode(), time + " " + kind + (p.trigger().isEmpty() ? "" : " (" + p.trigger() + ")"));
        }
    }

    private void policyLoaded(String policy, String mode, String when) {
        Version v = versions.computeIfAbsent(policy, Version::new);
        v.modes.add(or(mode, "enforce"));
        v.loaded.add(when);
    }

    private void decision(DecisionEntry e, long seq, Instant t, boolean afterBreak) {
        String agent = e.agentName();
        String family = or(e.family(), "?");
        if (!window.keeps(t, agent, family)) {
            return;
        }
        spent(e, t);
        String time = e.time();
        String action = or(e.action(), "?");
        DecisionEntry.Ruling dec = e.ruling();
        String effect = or(dec.effect(), "?");
        Optional<DecisionEntry.Monitor> monitor = dec.monitor();
        Outcome outcome = monitor.isPresent() ? Outcome.WOULD_BLOCK : effect.equals("allow") ? Outcome.ALLOWED : Outcome.BLOCKED;
        String rule = dec.rule();
        String code = dec.code();

        totals = totals.plus(outcome);
        tally("agent", agent, outcome);
        tally("family", family, outcome);
        tally("rule", Report.ruleText(rule), outcome);
        tally("decision", effect + " " + code, outcome);
        if (t != null) {
            perSecond.computeIfAbsent(t.getEpochSecond(), k -> new long[3])[outcome.ordinal()]++;
        }

        String policy = e.policy();
        String policyMode = e.policyMode();
        String agentMode = e.agentMode();
        long session = e.session();
        if (!policy.isEmpty()) {
            Version v = versions.computeIfAbsent(policy, Version::new);
            if (!policyMode.isEmpty()) {
                v.modes.add(policyMode);
            }
            v.decisions++;
            v.first = v.first == null ? time : v.first;
            v.last = time;
        }
        boolean would = outcome == Outcome.WOULD_BLOCK;
        if (policyMode.equals("monitor")) {
            if (policyRun == null) {
                policyRun = new Period("policy", time);
            }
            policyRun.add(time, would);
            if (!policy.isEmpty()) {
                policyRun.versions.add(policy);
            }
        } else if (policyRun != null) {
            periods.add(policyRun.done());
            policyRun = null;
        }
        if (agentMode.equals("monitor")) {
            agentPeriods.computeIfAbsent(agent + " (session " + session + ")", k -> new Period("agent", time).named(k)).add(time, would);
        }
        if (would && "interception-rule".equals(monitor.get().by())) {
            interceptionPeriods.computeIfAbsent(agent, k -> new Period("interception-rule", time).named(k)).add(time, true);
        }

        List<String> notes = new ArrayList<>(mcp(e, seq, time, agent));
        labels(e, seq, time, agent, notes);
        if (outcome == Outcome.ALLOWED) {
            return;
        }
        // the entries that set the labels this blocked call's session held: their proofs go in the report too
        e.labels().ifPresent(l -> JSON.valueToTree(l).path("held").properties().forEach(h -> {
            long origin = h.getValue().path("seq").asLong(-1);
            if (origin >= 0) {
                originSeqs.putIfAbsent(origin, new String[] {h.getKey(), h.getValue().path("rule").asText(""), h.getValue().path("agent").asText("")});
            }
        }));
        JsonNode request = JSON.valueToTree(e.request());
        List<String> frames = new ArrayList<>();
        request.path("frames").forEach(f -> frames.add(f.asText()));
        Map<String, Object> target = e.target();
        Map<String, Object> mon = null;
        if (would) {
            DecisionEntry.Monitor m = monitor.get();
            mon = new LinkedHashMap<>(); // in the stored (sorted) order, as the report printed it before there were records
            mon.put("by", m.by());
            mon.put("code", m.code());
            mon.put("reason", m.reason());
            mon.put("rule", m.rule());
        }
        calls.add(new Call(seq, time, outcome, agent, agentMode, session, family, action, target,
                TargetText.of(family, action, request.path("target")), rule, code, dec.reason(), mon, List.copyOf(frames),
                request.path("thread").asText(""), policy, policyMode, notes, afterBreak, null, null));
    }

    private void tally(String dimension, String key, Outcome o) {
        counts.get(dimension).merge(key, Tally.ZERO.plus(o), (a, b) -> a.plus(o));
    }

    /**
     * The session labels the entry's session held (for its row: each with the entry that set it),
     * and the labels it set (on the timeline, as events).
     */
    private void labels(DecisionEntry e, long seq, String time, String agent, List<String> notes) {
        if (e.labels().isEmpty()) {
            return;
        }
        JsonNode l = JSON.valueToTree(e.labels().get());
        l.path("held").properties().forEach(h -> notes.add("session held " + h.getKey() + " (set by #" + h.getValue().path("seq").asLong(-1)
                + ", rule " + h.getValue().path("rule").asText("?") + ", agent " + h.getValue().path("agent").asText("?") + ")"));
        List<String> set = new ArrayList<>();
        l.path("set").forEach(x -> set.add(x.asText()));
        if (!set.isEmpty()) {
            events.add(new Report.Event(seq, time, "label-set", "labels " + set + " set on " + agent + "'s lineage by " + e.family() + "/" + e.action()
                    + " " + TargetText.of(e.family(), e.action(), JSON.valueToTree(e.target()))));
        }
    }

    /** The entry's MCP notes for its row; records flagged tools on the way. */
    private List<String> mcp(DecisionEntry e, long seq, String time, String agent) {
        if (e.mcp().isEmpty()) {
            return List.of();
        }
        JsonNode m = JSON.valueToTree(e.mcp().get());
        JsonNode target = JSON.valueToTree(e.target());
        String server = target.path("server").asText("");
        List<String> notes = new ArrayList<>();
        JsonNode call = m.get("tool");
        if (call != null && call.isObject()) {
            String status = call.path("status").asText("");
            List<String> findings = new ArrayList<>();
            call.path("findings").forEach(f -> findings.add(f.isObject() ? finding(f) : f.asText()));
            if (!status.equals("pinned") && !status.isEmpty()) {
                notes.add("tool " + status);
            }
            findings.forEach(f -> notes.add("finding: " + f));
            if (!notes.isEmpty()) {
                flag(seq, time, agent, server, target.path("tool").asText(""), status, findings);
            }
        }
        m.path("result").path("findings").forEach(f -> notes.add("result finding: " + (f.isObject() ? finding(f) : f.asText())));
        int flagged = 0;
        for (JsonNode tool : m.path("tools")) {
            String status = tool.path("status").asText("");
            List<String> findings = new ArrayList<>();
            tool.path("findings").forEach(f -> findings.add(f.isObject() ? finding(f) : f.asText()));
            if (!findings.isEmpty() || status.equals("changed")) {
                flagged++;
                flag(seq, time, agent, server, tool.path("name").asText(""), status, findings);
            }
        }
        if (flagged > 0) {
            notes.add(flagged + " flagged tool" + (flagged == 1 ? "" : "s") + " listed");
        }
        return List.copyOf(notes);
    }

    private static String finding(JsonNode f) {
        String field = f.path("field").asText("");
        String detail = f.path("detail").asText("");
        return f.path("code").asText("?") + (field.isEmpty() ? "" : " (" + field + ")") + (detail.isEmpty() ? "" : ": " + detail);
    }

    private void flag(long seq, String time, String agent, String server, String tool, String status, List<String> findings) {
        String key = server + '\0' + tool + '\0' + status + '\0' + String.join("\0", findings);
        flags.computeIfAbsent(key, k -> new Flag(new FlaggedTool(seq, time, agent, server, tool, status, List.copyOf(findings), 0))).times++;
    }

    private List<FlaggedTool> flaggedTools() {
        return flags.values().stream().map(f -> new FlaggedTool(f.first.seq(), f.first.time(), f.first.agent(), f.first.server(),
                f.first.tool(), f.first.status(), f.first.findings(), f.times)).toList();
    }

    private void closePeriods() {
        if (policyRun != null) {
            periods.add(policyRun.done());
            policyRun = null;
        }
        agentPeriods.values().forEach(p -> periods.add(p.done()));
        interceptionPeriods.values().forEach(p -> periods.add(p.done()));
        periods.sort(Comparator.comparing(MonitorPeriod::from));
    }

    private List<PolicyVersion> policyVersions() {
        return versions.values().stream().map(v -> new PolicyVersion(v.version, List.copyOf(v.modes), v.decisions, v.first, v.last,
                List.copyOf(v.loaded))).toList();
    }

    /** Adds inclusion proofs (verified logs only, entries a checkpoint covers), to blocked calls and to the entries that set their labels. */
    private List<Call> prove(Path dir, Verifier.Report v) {
        if (calls.isEmpty()) {
            return List.of();
        }
        List<Call> out = new ArrayList<>();
        if (!v.ok()) {
            for (Call c : calls) {
                out.add(with(c, null, "none: the log does not verify"));
            }
            List<Report.LabelOrigin> o = new ArrayList<>();
            originSeqs.forEach((seq, x) -> o.add(new Report.LabelOrigin(seq, x[0], x[1], x[2], null, "none: the log does not verify")));
            origins = List.copyOf(o);
            return out;
        }
        Set<Long> covered = new HashSet<>();
        calls.forEach(c -> {
            if (c.seq() < v.signedSize()) {
                covered.add(c.seq());
            }
        });
        originSeqs.keySet().forEach(seq -> {
            if (seq < v.signedSize()) {
                covered.add(seq);
            }
        });
        ProofFiles.Prover prover = null;
        String problem = null;
        if (!covered.isEmpty()) {
            try {
                prover = ProofFiles.Prover.open(dir, covered::contains);
            } catch (IOException e) {
                problem = "none: " + e.getMessage();
            }
        }
        for (Iterator<Call> it = calls.iterator(); it.hasNext(); ) {
            Call c = it.next();
            if (!covered.contains(c.seq())) {
                out.add(with(c, null, "none yet: not covered by a signed checkpoint"));
            } else if (prover == null) {
                out.add(with(c, null, problem));
            } else {
                try {
                    out.add(with(c, prover.inclusion(c.seq(), -1), null));
                } catch (ProofFiles.BadProofException | IOException | RuntimeException e) {
                    out.add(with(c, null, "none: " + e.getMessage()));
                }
            }
        }
        List<Report.LabelOrigin> o = new ArrayList<>();
        for (Map.Entry<Long, String[]> x : originSeqs.entrySet()) {
            long seq = x.getKey();
            Map<String, Object> proof = null;
            String note = null;
            if (!covered.contains(seq)) {
                note = "none yet: not covered by a signed checkpoint";
            } else if (prover == null) {
                note = problem;
            } else {
                try {
                    proof = prover.inclusion(seq, -1);
                } catch (ProofFiles.BadProofException | IOException | RuntimeException e) {
                    note = "none: " + e.getMessage();
                }
            }
            o.add(new Report.LabelOrigin(seq, x.getValue()[0], x.getValue()[1], x.getValue()[2], proof, note));
        }
        origins = List.copyOf(o);
        return out;
    }

    private static Call with(Call c, Map<String, Object> proof, String note) {
        return new Call(c.seq(), c.time(), c.outcome(), c.agent(), c.agentMode(), c.session(), c.family(), c.action(), c.target(),
                c.targetText(), c.rule(), c.code(), c.reason(), c.monitor(), c.frames(), c.thread(), c.policy(), c.policyMode(),
                c.notes(), c.afterBreak(), proof, note);
    }

    private static final class Period {
        final String scope;
        final String from;
        final Set<String> versions = new LinkedHashSet<>();
        String who;
        String to;
        long decisions;
        long wouldBlock;

        Period(String scope, String from) {
            this.scope = scope;
            this.from = from;
        }

        Period named(String name) {
            this.who = name;
            return this;
        }

        void add(String time, boolean would) {
            to = time;
            decisions++;
            wouldBlock += would ? 1 : 0;
        }

        MonitorPeriod done() {
            String name = who != null ? who : "policy " + String.join(", ", versions.stream().map(ReportBuilder::shortVersion).toList());
            return new MonitorPeriod(scope, name, from, to, decisions, wouldBlock);
        }
    }

    private static final class Version {
        final String version;
        final Set<String> modes = new LinkedHashSet<>();
        final List<String> loaded = new ArrayList<>();
        long decisions;
        String first;
        String last;

        Version(String version) {
            this.version = version;
        }
    }

    private static final class Flag {
        final FlaggedTool first;
        long times;

        Flag(FlaggedTool first) {
            this.first = first;
        }
    }

    /** A proof document as {@code agt audit prove} prints it. */
    static String proofText(Map<String, Object> proof) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(proof) + System.lineSeparator();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The first 12 hex digits of a policy version, as the engine prints it. */
    static String shortVersion(String v) {
        return v.length() > 12 ? v.substring(0, 12) : v;
    }
}
