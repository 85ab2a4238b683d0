package dev.agt.engine.server;

import dev.agt.audit.AuditSink;
import dev.agt.audit.entry.DecisionEntry;
import dev.agt.audit.entry.EntryCodec;
import dev.agt.engine.mcp.McpFacts;
import dev.agt.engine.mcp.ToolPins;
import dev.agt.engine.policy.Agent;
import dev.agt.engine.policy.Delegated;
import dev.agt.engine.policy.Evaluator;
import dev.agt.engine.policy.Fact;
import dev.agt.engine.policy.Policy;
import dev.agt.engine.policy.RateLimiter;
import dev.agt.engine.session.SessionLabels;
import dev.agt.protocol.Family;
import dev.agt.protocol.Vocabulary;
import dev.agt.engine.session.KillSwitch;
import dev.agt.engine.session.SessionIdentity;
import dev.agt.identity.DelegationToken;
import dev.agt.protocol.Decision;
import dev.agt.protocol.Frame;
import dev.agt.protocol.FrameType;
import dev.agt.protocol.ProtocolException;
import dev.agt.protocol.Reasons;
import dev.agt.protocol.Request;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One DECIDE, from frame to reply: the request is read and checked, the session's identity
 * resolved against the registry in force, the kill switch and the chain's validity checked, the
 * policy in force evaluated, the decision staged as its log entry, and the reply queued only when
 * that entry is written (or a denial {@code audit-unavailable} when it cannot be). Every failure on
 * the way denies.
 *
 * <p>This is the per-call path: no locks (the policy and the registry are immutable values taken
 * from atomic references), no hand-off to another thread, and one entry map per decision. Keep it
 * that way; what is not needed per call belongs elsewhere.
 */
final class DecisionPipeline {
    private final Engine engine;
    final RateLimiter limiter = new RateLimiter(RateLimiter.DEFAULT_MAX_BUCKETS, System::nanoTime);
    private final Evaluator evaluator = new Evaluator(limiter);

    DecisionPipeline(Engine engine) {
        this.engine = engine;
    }

    void decide(Connection c, Frame f) {
        SessionIdentity identity = SessionAdmission.agentSession(c, f, "an admin session (admin: true) does not ask for decisions");
        if (identity == null) {
            return;
        }
        Request req;
        String usageProblem = null;
        try {
            req = Request.fromBody(f.body());
            Optional<String> bad = Vocabulary.typeProblem(req.target());
            if (bad.isPresent() && req.atReturn() && req.family().equals(Family.MODEL.key()) && req.target().containsKey("usage")) {
                // a model call that already happened, reporting usage that is not valid (NaN, negative,
                // fractional, huge, text): the report is refused and the call charged the worst case,
                // never less, so a crafted count cannot stretch a budget
                Map<String, Object> without = new java.util.LinkedHashMap<>(req.target());
                without.remove("usage");
                if (Vocabulary.typeProblem(without).isEmpty()) {
                    usageProblem = bad.get();
                    req = new Request(req.family(), req.action(), without, req.thread(), req.frames(), req.monitor(), true, req.trace());
                    bad = Optional.empty();
                }
            }
            if (bad.isPresent()) {
                throw new ProtocolException(Reasons.BAD_REQUEST, bad.get());
            }
        } catch (ProtocolException e) {
            engine.protocolError(c, e);
            c.refuse(f.id(), e.code(), e.getMessage());
            return;
        }
        engine.inFlight.incrementAndGet();
        Policy p = engine.policy();
        SessionIdentity.Resolved who = identity.resolve(engine.registry(), c.peerUser);
        Agent agent = who.agent();
        Evaluator.Outcome o;
        Map<String, Object> mcpFields = null;
        Map<String, Object> spendFields = null;
        Map<String, Object> labelFields = null;
        List<SessionLabels.Label> labelsSet = List.of();
        Set<Fact> facts = Set.of();
        int outOfScope = -1;
        if (engine.shuttingDown()) {
            o = failure(Reasons.SHUTTING_DOWN, "the engine is shutting down", p);
        } else if ((o = gate(identity, who, p)) != null) {
            // stopped before the policy: killed, revoked, expired, or the kill switch unreadable
        } else if ((o = Vocabulary.incomplete(req).map(why -> failure(Reasons.INCOMPLETE_REQUEST, why, p)).orElse(null)) != null) {
            // lacks a field its rules are written against (and MCP state must not see it either)
        } else if ((o = budgetFailure(engine.spend().overAll(p, agent), p)) != null) {
            // over a budget that covers every call of the agent
        } else {
            try {
                spendFields = engine.spend().settle(c, p, req); // a model call's usage, reported at return
                if (spendFields != null && usageProblem != null) {
                    spendFields.put("usage_invalid", usageProblem);
                }
                Delegated.Result outside = Delegated.outside(p, req, identity.scopes(), identity.who());
                if (outside != null) {
                    o = outside.outcome();
                    outOfScope = outside.link();
                } else {
                    if (req.family().equals(Family.MCP.key())) {
                        McpFacts.Result r = engine.mcp().establish(req);
                        facts = r.facts();
                        mcpFields = r.audit();
                        engine.problems.pinStoreUsable();
                    }
                    if (isResult(req)) {
                        // what a tool returned, before the application (and its model) gets it
                        List<dev.agt.engine.mcp.Finding> findings = dev.agt.engine.mcp.ToolScanner.scanResult(req.target().get("result"));
                        if (!findings.isEmpty()) {
                            java.util.EnumSet<Fact> more = java.util.EnumSet.of(Fact.TOOL_RESULT_FLAGGED);
                            more.addAll(facts);
                            facts = Set.copyOf(more);
                        }
                        mcpFields = mcpFields == null ? new java.util.LinkedHashMap<>() : new java.util.LinkedHashMap<>(mcpFields);
                        mcpFields.put("result", Map.of("findings", findings.stream().map(x -> (Object) x.toMap()).toList()));
                    }
                    if (p.usesLabels() && c.lineage() != null) {
                        synchronized (engine.lineageLock(c.lineage())) {
                            // read, evaluate, admit and set as one step per process tree
                            Labelled l = inSession(c, p, req, agent, facts, spendFields);
                            o = l.outcome();
                            spendFields = l.spend();
                            labelFields = l.audit();
                            labelsSet = l.set();
                        }
                    } else {
                        o = evaluator.evaluate(p, req, agent, facts);
                        if (o.decision().allowed()) {
                            ModelSpend.Admission a = engine.spend().admit(c, p, agent, req);
                            spendFields = spendFields != null ? spendFields : a.audit();
                            Evaluator.Outcome over = budgetFailure(a, p);
                            o = over != null ? over : o;
                        }
                    }
                    o = resultDefault(req, o, p);
                }
            } catch (ToolPins.Unavailable e) {
                engine.problems.pinStore(e.getMessage());
                o = failure(Reasons.STATE_UNAVAILABLE, e.getMessage(), p);

            } catch (RuntimeException e) {
                engine.counters.evaluationErrors.increment();
                o = failure(Reasons.EVALUATION_ERROR, "evaluation failed: " + e.getMessage(), p);
            }
        }
        if (o.ask() != null && o.decision().code().equals(Reasons.APPROVAL_REQUIRED)) {
            Evaluator.Outcome now = approval(c, f, req, who, identity, p, o, facts, mcpFields, spendFields, labelFields);
            if (now == null) {
                return; // held: the DECISION follows when a person decides or the rule's timeout passes
            }
            Approved a = approved(c, p, req, agent, facts, now, labelFields);
            o = a.outcome();
            labelFields = a.audit();
            labelsSet = a.set();
        }
        finish(c, f, req, who, p, o, outOfScope, identity, mcpFields, spendFields, labelFields, labelsSet, false);
    }

    /**
     * A call a rule holds for a person: allowed at once when an identical call's approval is
     * remembered; else held (null returned): the approval is recorded and logged, the agent told
     * to wait (HELD), and the decision made when it is approved, denied or times out. A kill
     * that comes while the call waits wins over an approval.
     */
    private Evaluator.Outcome approval(Connection c, Frame f, Request req, SessionIdentity.Resolved who, SessionIdentity identity, Policy p,
                                       Evaluator.Outcome o, Set<Fact> facts, Map<String, Object> mcpFields, Map<String, Object> spendFields,
                                       Map<String, Object> labelFields) {
        dev.agt.engine.policy.Rule rule = o.ask();
        String digest = Approvals.digest(who.agent().id(), rule.id(), req);
        Long until = engine.approvals().rememberedUntil(digest);
        if (until != null) {
            return new Evaluator.Outcome(new Decision(Decision.Effect.ALLOW, rule.id(), Reasons.APPROVED, "an identical call was approved; remembered until "
                    + Instant.ofEpochMilli(until), p.version(), -1), null, null);
        }
        Approvals.Pending held;
        try {
            held = engine.approvals().hold(digest, who.agent().name(), c.peerUser, rule.id(), logged(req), rule.ask().timeout().toMillis(),
                    rule.ask().remember().toMillis(), r -> {
                        Policy now = engine.policy();
                        Evaluator.Outcome later = gate(identity, identity.resolve(engine.registry(), c.peerUser), now);
                        if (later == null) {
                            later = new Evaluator.Outcome(r.approved()
                                    ? new Decision(Decision.Effect.ALLOW, rule.id(), Reasons.APPROVED, "approved by " + r.by()
                                            + (r.reason().isEmpty() ? "" : ": " + r.reason()), p.version(), -1)
                                    : new Decision(Decision.Effect.DENY, rule.id(), r.result().equals("timeout") ? Reasons.APPROVAL_TIMEOUT
                                            : Reasons.APPROVAL_DENIED, (r.result().equals("timeout") ? "" : "denied by " + r.by() + ": ")
                                            + r.reason(), p.version(), -1), null, null);
                        }
                        engine.record(new dev.agt.audit.entry.EngineEvent.ApprovalDecided(-1, Instant.now().toString(), r.id(), r.result(), r.by(),
                                r.reason()));
                        Approved a = approved(c, p, req, who.agent(), facts, later, labelFields);
                        finish(c, f, req, who, p, a.outcome(), -1, identity, mcpFields, spendFields, a.audit(), a.set(), true);
                    });
        } catch (dev.agt.engine.state.StateFile.Unavailable e) {
            engine.problems.report(e.getMessage());
            return failure(Reasons.STATE_UNAVAILABLE, e.getMessage(), p);
        }
        engine.record(new dev.agt.audit.entry.EngineEvent.ApprovalRequested(-1, Instant.now().toString(), held.id(), who.agent().name(), c.number,
                rule.id(), digest, logged(req), held.expires()));
        engine.log("call held for approval " + held.id() + ": " + who.agent().name() + " " + req.family() + "/" + req.action()
                + " (rule " + rule.id() + "); agt approvals approve|deny " + held.id());
        c.send(new Frame(FrameType.HELD, f.id(), Map.of("approval", held.id(), "until", held.expires())));
        return null;
    }

    /** Logs the decision and answers the agent once it is written. */
    private void finish(Connection c, Frame f, Request req, SessionIdentity.Resolved who, Policy p, Evaluator.Outcome o, int outOfScope,
                        SessionIdentity identity, Map<String, Object> mcpFields, Map<String, Object> spendFields, Map<String, Object> labelFields,
                        List<SessionLabels.Label> labelsSet, boolean later) {
        Decision d = o.decision();
        Decision decided = d;
        Optional<DecisionEntry.Link> link = Optional.empty();
        if (outOfScope >= 0) {
            DelegationToken token = identity.verified().orElseThrow().links().get(outOfScope);
            link = Optional.of(new DecisionEntry.Link(outOfScope + 1, token.parent(), token.child(), token.scope().toJson()));
        }
        // sandbox: the launch runs inside this profile
        DecisionEntry.Ruling ruling = new DecisionEntry.Ruling(d.allowed() ? "allow" : "deny", d.rule(), d.code(), d.reason(),
                Optional.ofNullable(d.sandbox()), monitor(o, c, req), link);
        DecisionEntry entry = new DecisionEntry(-1, Instant.now().toString(), engine.agentFields(c, who), logged(req), ruling,
                Optional.ofNullable(mcpFields), Optional.ofNullable(spendFields), Optional.ofNullable(labelFields), d.policyVersion(), p.mode().key());
        List<SessionLabels.Label> setHere = labelsSet;
        String lineage = c.lineage();
        AuditSink.Completion answer = (seq, err) -> {
            Decision out;
            if (err == null) {
                out = decided.withAuditSeq(seq);
                engine.owners().decided(seq, c.owner()); // before the agent can name it in an outcome
                if (!setHere.isEmpty()) {
                    engine.labels().origin(lineage, setHere, seq); // each label points at the entry that set it
                }
            } else {
                engine.counters.auditFailures.increment();
                out = new Decision(Decision.Effect.DENY, "", Reasons.AUDIT_UNAVAILABLE,
                        "the decision could not be written to the audit log (" + err.getMessage() + ")", decided.policyVersion(), -1);
            }
            (out.allowed() ? engine.counters.allowed : engine.counters.denied).increment();
            c.queue(new Frame(FrameType.DECISION, f.id(), out.toBody()));
            engine.inFlight.decrementAndGet();
        };
        if (later) {
            c.decideLater(EntryCodec.toMap(entry), answer);
        } else {
            c.stage(EntryCodec.toMap(entry), answer);
        }
    }

    /**
     * What stops a session before its request reaches the policy, or null: the kill switch (or a
     * kill switch file that cannot be read: fail closed), a revoked or removed identity in its
     * chain, an expired chain. The clock read for the expiry is the only one outside the rate
     * limiter; it does not touch the policy's semantics, which stay deterministic.
     */
    private Evaluator.Outcome gate(SessionIdentity identity, SessionIdentity.Resolved who, Policy p) {
        KillSwitch.State ks;
        try {
            ks = engine.kills().state();
            engine.problems.killSwitchUsable();
        } catch (KillSwitch.Unavailable e) {
            engine.problems.killSwitch(e.getMessage());
            return failure(Reasons.STATE_UNAVAILABLE, e.getMessage(), p);
        }
        String stopped = ks.which(who.handles());
        if (stopped != null) {
            return failure(Reasons.KILLED, stopped.equals("*") ? "every agent was stopped with 'agt kill --all'"
                    : "agent " + stopped + " was stopped with 'agt kill'" + (stopped.equals(identity.declaredName())
                    || identity.verified().map(v -> v.presented().equals(stopped)).orElse(false) ? "" : " (this agent acts for it)"), p);
        }
        String revoked = engine.kills().revoked(who.handles());
        if (revoked != null) {
            return failure(Reasons.REVOKED, revoked + " was revoked for the whole fleet in " + engine.kills().where()
                    + (revoked.equals(identity.declaredName()) || identity.verified().map(v -> v.presented().equals(revoked)).orElse(false)
                    ? "" : " (this agent acts for it)"), p);
        }
        if (who.code() != null) {
            return failure(who.code(), who.reason(), p);
        }
        if (System.currentTimeMillis() / 1000 >= identity.expires()) {
            return failure(Reasons.EXPIRED, "the delegation chain expired at " + Instant.ofEpochSecond(identity.expires()), p);
        }
        return null;
    }

    /** A tool or MCP call's result, reported at return with what it returned. */
    /**
     * The request as the log keeps it. A tool's result is not copied into the log: it is what the
     * tool read or fetched (a secret, a customer's record) and may be large; the entry keeps its
     * SHA-256 and size, and the findings of its scan say what was wrong with it.
     */
    static Map<String, Object> logged(Request req) {
        Map<String, Object> body = req.toBody();
        if (!isResult(req)) {
            return body;
        }
        Map<String, Object> target = new java.util.LinkedHashMap<>(req.target());
        Object result = target.get("result");
        byte[] bytes = result instanceof String s ? s.getBytes(java.nio.charset.StandardCharsets.UTF_8) : dev.agt.identity.CanonicalJson.bytes(result);
        try {
            target.put("result", Map.of("sha256", java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes)),
                    "bytes", (long) bytes.length));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        body.put("target", target);
        return body;
    }

    private static boolean isResult(Request req) {
        return req.atReturn() && req.action().equals("call") && (req.family().equals(Family.TOOL.key()) || req.family().equals(Family.MCP.key()))
                && req.target().containsKey("result");
    }

    /**
     * The result of a call that was allowed when it was made goes to the application unless a
     * rule decides it (a deny with {@code when: [tool.result.flagged]}, an allow that labels the
     * session): no rule deciding it is not a reason to withhold it.
     */
    private static Evaluator.Outcome resultDefault(Request req, Evaluator.Outcome o, Policy p) {
        if (!isResult(req) || !o.decision().rule().equals(Reasons.DEFAULT_DENY)) {
            return o;
        }
        return new Evaluator.Outcome(new Decision(Decision.Effect.ALLOW, "", Reasons.ALLOWED,
                "the result of a call allowed when it was made; no rule decides it", p.version(), -1), null, null);
    }

    /** A call a person approved (now or earlier, remembered): the outcome, and the labels it set. */
    private record Approved(Evaluator.Outcome outcome, Map<String, Object> audit, List<SessionLabels.Label> set) {
    }

    /**
     * An approved call goes ahead like an allowed one: it sets the labels of the rules that match
     * it (the ask rule's and every allow rule's), under its lineage's lock, before the answer. A
     * label that cannot be kept denies the call ({@code state-unavailable}).
     */
    private Approved approved(Connection c, Policy p, Request req, Agent agent, Set<Fact> facts, Evaluator.Outcome o, Map<String, Object> labelFields) {
        if (!o.decision().code().equals(Reasons.APPROVED) || !p.usesLabels() || c.lineage() == null) {
            return new Approved(o, labelFields, List.of());
        }
        synchronized (engine.lineageLock(c.lineage())) {
            long now = System.currentTimeMillis();
            try {
                Map<String, SessionLabels.Label> held = engine.labels().of(c.lineage(), now);
                Labelled l = setLabels(c, p, req, agent, facts, held, o, null, now);
                return new Approved(o, l.audit(), l.set());
            } catch (dev.agt.engine.state.StateFile.Unavailable e) {
                engine.problems.labelStore(e.getMessage());
                return new Approved(failure(Reasons.STATE_UNAVAILABLE, e.getMessage(), p), labelFields, List.of());
            }
        }
    }

    /** A decision under a policy that uses session labels: the outcome, and what the entry says about spend and labels. */
    private record Labelled(Evaluator.Outcome outcome, Map<String, Object> spend, Map<String, Object> audit, List<SessionLabels.Label> set) {
    }

    /**
     * Decides with the session's labels (its lineage's, in force now); when the rule that decided
     * sets labels, sets them before the answer, so the next call of any process of the lineage
     * sees them. Called under the lineage's lock.
     */
    private Labelled inSession(Connection c, Policy p, Request req, Agent agent, Set<Fact> facts, Map<String, Object> spendFields) {
        try {
            return labelled(c, p, req, agent, facts, spendFields);
        } catch (dev.agt.engine.state.StateFile.Unavailable e) {
            // the labels cannot be read or the ones this call sets cannot be kept: fail closed
            engine.problems.labelStore(e.getMessage());
            return new Labelled(failure(Reasons.STATE_UNAVAILABLE, e.getMessage(), p), spendFields, null, List.of());
        }
    }

    private Labelled labelled(Connection c, Policy p, Request req, Agent agent, Set<Fact> facts, Map<String, Object> spendFields)
            throws dev.agt.engine.state.StateFile.Unavailable {
        long now = System.currentTimeMillis();
        Map<String, SessionLabels.Label> held = engine.labels().of(c.lineage(), now);
        Evaluator.Outcome o = evaluator.evaluate(p, req, agent, facts, held.keySet());
        Map<String, Object> spend = spendFields;
        if (o.decision().allowed()) {
            ModelSpend.Admission a = engine.spend().admit(c, p, agent, req);
            spend = spend != null ? spend : a.audit();
            Evaluator.Outcome over = budgetFailure(a, p);
            o = over != null ? over : o;
        }
        return setLabels(c, p, req, agent, facts, held, o, spend, now);
    }

    /**
     * Sets the labels the decision {@code o} sets (none unless the call goes ahead or a rule
     * denies it) and says for the log what the session held and what was set.
     */
    private Labelled setLabels(Connection c, Policy p, Request req, Agent agent, Set<Fact> facts, Map<String, SessionLabels.Label> held,
                               Evaluator.Outcome o, Map<String, Object> spend, long now) throws dev.agt.engine.state.StateFile.Unavailable {
        List<dev.agt.engine.policy.SessionTerms.Setting> sets = evaluator.labelsSet(p, req, agent, facts, held.keySet(), o.decision());
        List<SessionLabels.Label> set = sets.isEmpty() ? List.of() : engine.labels().set(c.lineage(), sets, agent.name(), now);
        Map<String, Object> audit = new java.util.LinkedHashMap<>();
        Map<String, Object> h = new java.util.TreeMap<>();
        held.forEach((name, l) -> h.put(name, l.toMap()));
        audit.put("held", h);
        if (!set.isEmpty()) {
            audit.put("set", set.stream().map(l -> (Object) l.name()).toList());
        }
        return new Labelled(o, spend, audit, set);
    }

    private static Evaluator.Outcome budgetFailure(ModelSpend.Admission a, Policy p) {
        return a == null || a.refusal() == null ? null : failure(a.code(), a.refusal(), p);
    }

    private static Evaluator.Outcome failure(String code, String reason, Policy p) {
        return new Evaluator.Outcome(new Decision(Decision.Effect.DENY, "", code, reason, p.version(), -1), null, null);
    }

    /**
     * {@code decision.monitor}: present exactly when a denial was not enforced, whichever mode
     * caused it, so a report finds every would-be denial in one place. {@code by}: {@code rule} or
     * {@code policy} when the policy's monitor mode made the engine answer allow (the denial it
     * stands for follows), {@code agent} when the engine answered deny to an agent that declared
     * monitor mode in its HELLO and lets every call through (the denial is the decision itself),
     * {@code interception-rule} when the request says its interception rule is in monitor mode.
     */
    private static Optional<DecisionEntry.Monitor> monitor(Evaluator.Outcome o, Connection c, Request req) {
        Decision would;
        String by;
        if (o.monitored() != null) {
            would = o.monitored();
            by = o.monitoredBy();
        } else if (!o.decision().allowed() && "monitor".equals(c.mode())) {
            would = o.decision();
            by = "agent";
        } else if (!o.decision().allowed() && req.monitor()) {
            would = o.decision();
            by = "interception-rule"; // the agent's rule for this call is in monitor mode: it lets the call through
        } else {
            return Optional.empty();
        }
        return Optional.of(new DecisionEntry.Monitor(by, would.rule(), would.code(), would.reason()));
    }
}
