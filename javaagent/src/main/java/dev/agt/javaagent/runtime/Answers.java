package dev.agt.javaagent.runtime;

import dev.agt.javaagent.flight.Flight;
import dev.agt.protocol.Decision;
import dev.agt.protocol.Outcome;
import dev.agt.protocol.OutcomeSpool;
import dev.agt.protocol.Reasons;
import dev.agt.protocol.Request;
import java.util.Map;

/**
 * Turns the engine's decision into what the hooked call does: go on (null) or the denial the
 * dispatcher throws. This is where the agent's own modes apply, and nowhere else: monitor mode
 * (the agent's or an interception rule's) lets a denial pass and reports it; {@code failMode=open}
 * lets a call pass only while the engine cannot be reached. Whatever the agent does on its own is
 * reported to the engine's log as a local outcome.
 */
final class Answers {
    private final Settings settings;
    private final OutcomeSpool outcomes;

    Answers(Settings settings, OutcomeSpool outcomes) {
        this.settings = settings;
        this.outcomes = outcomes;
    }

    /** Null to go on, else the denial as the dispatcher reports it: {rule, code, reason, seq, what}. */
    String[] answer(Decision d, Request request, boolean ruleMonitor) {
        String[] denial = route(d, request, ruleMonitor);
        Flight.decision(request, d, denial != null ? Flight.Verdict.DENIED : d.allowed() ? Flight.Verdict.ALLOWED
                : passedFailOpen(d, ruleMonitor) ? Flight.Verdict.PASSED_FAIL_OPEN : Flight.Verdict.PASSED_MONITOR, Answers::describe);
        return denial;
    }

    /** Whether a denial that was let through passed for failMode=open (else: for monitor mode), as {@link #route} decides. */
    private boolean passedFailOpen(Decision d, boolean ruleMonitor) {
        Options o = settings.options();
        return (d.code().equals(Reasons.ENGINE_UNREACHABLE) || d.code().equals(Reasons.TIMEOUT)) && !o.failClosed() && !o.monitor() && !ruleMonitor;
    }

    static String describe(Request r) {
        return r.family() + "/" + r.action() + " " + describe(r.family(), r.target());
    }

    private String[] route(Decision d, Request request, boolean ruleMonitor) {
        Options o = settings.options();
        String family = request.family();
        String act = request.action();
        Map<String, Object> target = request.target();
        if (d.allowed() && Reasons.MONITORED.equals(d.code()) && !o.quiet()) {
            System.err.println("agt: monitor mode (policy): would deny " + family + "/" + act + " " + describe(family, target) + " (rule " + d.rule() + ")");
        }
        if (d.allowed()) {
            return null;
        }
        boolean failure = d.rule().isEmpty();
        // failMode=open excuses only not reaching the engine; an engine that answered (even
        // audit-unavailable or refused) has decided, and its denial stands
        boolean unreachable = d.code().equals(Reasons.ENGINE_UNREACHABLE) || d.code().equals(Reasons.TIMEOUT);
        String what = family + "/" + act + " " + describe(family, target);
        boolean stopped = d.code().equals(Reasons.KILLED) || d.code().equals(Reasons.REVOKED) || d.code().equals(Reasons.REFUSED);
        if ((o.monitor() || ruleMonitor) && !stopped) { // a kill switch or a refused identity is never just watched
            System.err.println("agt: monitor mode" + (ruleMonitor && !o.monitor() ? " (interception rule)" : "") + ": would deny " + what
                    + " (" + (failure ? d.code() : "rule " + d.rule()) + ")");
            outcomes.report(d.auditSeq() >= 0 ? Outcome.passedMonitor(d.auditSeq(), d.code(), d.reason())
                    : Outcome.passedMonitor(d.code(), d.reason(), request));
            return null;
        }
        if (unreachable && !o.failClosed()) {
            outcomes.report(Outcome.passedFailOpen(d.code(), d.reason(), request));
            return null; // failMode=open: calls pass only while the engine cannot be reached
        }
        if (d.auditSeq() < 0) {
            outcomes.report(Outcome.deniedLocally(d.code(), d.reason(), request)); // unreachable, timeout, bad reply: the log learns later
        }
        return new String[] {d.rule(), d.code(), d.reason(), Long.toString(d.auditSeq()), what};
    }

    /** The call as people read it in a denial. */
    static String describe(String family, Map<String, Object> t) {
        if (family.equals("model")) {
            return "model " + t.get("model") + " of " + t.get("provider");
        }
        if (t.containsKey("executable")) {
            return String.valueOf(t.get("argv"));
        }
        if (t.containsKey("host")) {
            return t.get("host") + (t.containsKey("ip") && !t.get("ip").equals(t.get("host")) ? " (" + t.get("ip") + ")" : "")
                    + (t.containsKey("port") ? ":" + t.get("port") : "");
        }
        if (t.containsKey("ip")) {
            return t.get("ip") + (t.containsKey("port") ? ":" + t.get("port") : "");
        }
        if (t.containsKey("tool")) {
            return "tool " + t.get("tool") + (family.equals("mcp") ? server(t) : "");
        }
        if (family.equals("mcp")) {
            return (t.get("arguments") instanceof Map<?, ?> a && a.get("uri") != null ? "resource " + clip(String.valueOf(a.get("uri"))) : "tool list")
                    + server(t);
        }
        return t.containsKey("dest") ? t.get("path") + " -> " + t.get("dest") : String.valueOf(t.get("path"));
    }

    /** Which MCP server: its name, or the transport that could not name one. */
    private static String server(Map<String, Object> t) {
        if (t.containsKey("server")) {
            return " of " + clip(String.valueOf(t.get("server")));
        }
        return t.containsKey("transport") ? " of an unnamed server (transport " + clip(String.valueOf(t.get("transport"))) + ")" : " of an unnamed server";
    }

    private static String clip(String s) {
        return s.length() <= 120 ? s : s.substring(0, 60) + "..." + s.substring(s.length() - 57);
    }
}
