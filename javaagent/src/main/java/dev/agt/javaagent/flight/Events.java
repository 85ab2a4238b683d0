package dev.agt.javaagent.flight;

import dev.agt.protocol.Decision;
import dev.agt.protocol.Reasons;
import dev.agt.protocol.Request;
import java.util.function.Function;
import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** The event types; loaded only where the {@code jdk.jfr} module is present (see {@link Flight}). */
final class Events {
    private Events() {
    }

    @Name("dev.agt.Decision")
    @Label("Governed Call")
    @Category({"agt", "Governance"})
    @Description("A call the agent intercepted and what was decided: the engine's answer and what the agent finally did with it")
    @StackTrace(false)
    static final class DecisionEvent extends Event {
        @Label("Family") @Description("file, net, process, native, mcp, tool or model")
        String family;
        @Label("Action")
        String action;
        @Label("Target") @Description("The call as people read it: a path, host:port, argv, a tool")
        String target;
        @Label("Effect") @Description("The engine's answer: allow or deny")
        String effect;
        @Label("Verdict") @Description("What the agent did: allowed, denied, passed-monitor, passed-fail-open")
        String verdict;
        @Label("Rule")
        String rule;
        @Label("Code") @Description("The reason code")
        String code;
        @Label("Audit Sequence") @Description("The decision's entry in the engine's signed log; -1 when the engine did not log it")
        long auditSeq;
        @Label("Policy") @Description("SHA-256 of the policy in force")
        String policy;
    }

    @Name("dev.agt.Denial")
    @Label("Blocked Call")
    @Category({"agt", "Governance"})
    @Description("A call the agent blocked, with the stack that made it")
    static final class DenialEvent extends Event {
        @Label("Family")
        String family;
        @Label("Action")
        String action;
        @Label("Target")
        String target;
        @Label("Rule")
        String rule;
        @Label("Code")
        String code;
        @Label("Reason")
        String reason;
        @Label("Audit Sequence")
        long auditSeq;
    }

    @Name("dev.agt.EngineRoundTrip")
    @Label("Engine Round Trip")
    @Category({"agt", "Governance"})
    @Description("One request to the policy engine and its answer, over the engine's Unix socket")
    @StackTrace(false)
    static final class RoundTripEvent extends Event {
        @Label("Family")
        String family;
        @Label("Action")
        String action;
        @Label("Code") @Description("The answer's reason code, or why there was none (engine-unreachable, timeout, ...)")
        String code;
        @Label("Answered") @Description("Whether the engine answered (false: the agent decided on a failure)")
        boolean answered;
        @Label("Audit Sequence")
        long auditSeq;
    }

    /** A target as a recording keeps it: recordings are shared, and an argv can hold anything. */
    private static String clip(String s) {
        return s.length() > 256 ? s.substring(0, 256) + "..." : s;
    }

    static Object roundTripStart() {
        RoundTripEvent e = new RoundTripEvent();
        if (!e.isEnabled()) {
            return null;
        }
        e.begin();
        return e;
    }

    static void roundTrip(Object started, Request request, Decision d) {
        RoundTripEvent e = (RoundTripEvent) started;
        e.end();
        if (e.shouldCommit()) {
            e.family = request.family();
            e.action = request.action();
            e.code = d.code();
            e.answered = !d.code().equals(Reasons.ENGINE_UNREACHABLE) && !d.code().equals(Reasons.TIMEOUT)
                    && !d.code().equals(Reasons.BAD_REPLY);
            e.auditSeq = d.auditSeq();
            e.commit();
        }
    }

    static void decision(Request request, Decision d, Flight.Verdict verdict, Function<Request, String> what) {
        DecisionEvent e = new DecisionEvent();
        if (e.shouldCommit()) {
            e.family = request.family();
            e.action = request.action();
            e.target = clip(what.apply(request));
            e.effect = d.allowed() ? "allow" : "deny";
            e.verdict = verdict.key;
            e.rule = d.rule();
            e.code = d.code();
            e.auditSeq = d.auditSeq();
            e.policy = d.policyVersion();
            e.commit();
        }
        if (verdict == Flight.Verdict.DENIED) {
            DenialEvent x = new DenialEvent();
            if (x.shouldCommit()) {
                x.family = request.family();
                x.action = request.action();
                x.target = clip(what.apply(request));
                x.rule = d.rule();
                x.code = d.code();
                x.reason = d.reason();
                x.auditSeq = d.auditSeq();
                x.commit();
            }
        }
    }
}
