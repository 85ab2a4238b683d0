package dev.agt.cli.report;

import java.util.List;
import java.util.Map;

/**
 * The facts of a blocked-call report, built once from the verified log by {@link ReportBuilder}
 * and rendered by {@link HtmlReport}, {@link MarkdownReport} and {@link JsonReport}: the three
 * formats print these and nothing else, so they cannot disagree.
 *
 * @param log         the audit directory, as given
 * @param generated   when the report was made (ISO-8601)
 * @param window      the filters applied
 * @param check       how verification went
 * @param totals      decisions in the window by outcome
 * @param counts      the same decisions by agent, family, rule and decision (effect and code)
 * @param timeline    decisions over time
 * @param calls       blocked calls and would-be blocks, in log order
 * @param periods     when monitor mode let would-be denials through
 * @param policies    the policy versions in force
 * @param events      engine and policy events in the window (start, stop, reloads, rejections, recovery)
 * @param tools       MCP tools the engine flagged (findings, changed or unknown)
 * @param local       what the agents did on their own, after or without an engine decision
 * @param spend       spending on model calls under budgets: per agent and model, over time, per budget
 * @param unreadable  lines that could not be read (only when the log does not verify)
 * @param labelOrigins the entries that set the session labels blocked calls' sessions held, with their inclusion proofs
 */
public record Report(String log, String generated, Window window, Check check, Tally totals, Map<String, Map<String, Tally>> counts,
                     Timeline timeline, List<Call> calls, List<MonitorPeriod> periods, List<PolicyVersion> policies,
                     List<Event> events, List<FlaggedTool> tools, LocalOutcomes local, Spend spend, long unreadable,
                     List<LabelOrigin> labelOrigins) {

    /**
     * An entry that set a session label a blocked call's session held: the decision the blocking
     * depended on, with its inclusion proof (or why there is none).
     */
    public record LabelOrigin(long seq, String label, String rule, String agent, Map<String, Object> proof, String proofNote) {
    }

    /** The dimensions of {@link #counts}, in the order they are shown. */
    public static final List<String> DIMENSIONS = List.of("agent", "family", "rule", "decision");

    /** A rule id for people: failures and default denials have none. */
    public static String ruleText(String rule) {
        return rule == null || rule.isEmpty() ? "(no rule)" : rule;
    }

    /**
     * What verification found. {@code ok}: every entry, the chain, every checkpoint and signature
     * hold; otherwise {@code firstBad}, {@code kind} and {@code message} say where and what.
     */
    public record Check(boolean ok, long entries, int checkpoints, long signedSize, String keyName, String keyId,
                        long firstBad, String kind, String message, List<String> warnings) {

        /** One line, the same in every format. */
        public String headline() {
            if (ok) {
                return "Verified up to checkpoint " + signedSize + " (entries #0.." + (signedSize - 1) + " of " + entries
                        + "), signer " + keyName + " key id " + keyId;
            }
            return "TAMPERED at #" + firstBad + ": " + kind + ": " + message;
        }
    }

    /** Decisions by outcome: went ahead, blocked, or let through by monitor mode although a rule would deny. */
    public record Tally(long total, long allowed, long blocked, long wouldBlock) {
        static final Tally ZERO = new Tally(0, 0, 0, 0);

        Tally plus(Outcome o) {
            return new Tally(total + 1, allowed + (o == Outcome.ALLOWED ? 1 : 0), blocked + (o == Outcome.BLOCKED ? 1 : 0),
                    wouldBlock + (o == Outcome.WOULD_BLOCK ? 1 : 0));
        }
    }

    /** How a decision turned out for the call. */
    public enum Outcome {
        ALLOWED("allowed"), BLOCKED("blocked"), WOULD_BLOCK("would-block");

        public final String key;

        Outcome(String key) {
            this.key = key;
        }
    }

    /** Buckets of {@code bucketSeconds} from {@code start} (epoch seconds), oldest first. */
    public record Timeline(long bucketSeconds, List<Bucket> buckets) {
    }

    public record Bucket(long start, String startIso, long allowed, long blocked, long wouldBlock) {
    }

    /**
     * One blocked call or would-be block.
     *
     * @param target     the request's target fields as logged
     * @param targetText the target in one line, for people
     * @param monitor    {@code decision.monitor} for a would-be block (by, rule, code, reason), else null
     * @param notes      what the engine noted: about the MCP tool (status other than pinned, finding codes) and the
     *                   session labels the session held (each with the entry that set it)
     * @param afterBreak the entry is at or after the first bad entry of a log that does not verify
     * @param proof      the inclusion proof document ({@code agt audit prove}), or null
     * @param proofNote  why there is no proof, when there is none
     */
    public record Call(long seq, String time, Outcome outcome, String agent, String agentMode, long session, String family,
                       String action, Map<String, Object> target, String targetText, String rule, String code, String reason,
                       Map<String, Object> monitor, List<String> frames, String thread, String policy, String policyMode,
                       List<String> notes, boolean afterBreak, Map<String, Object> proof, String proofNote) {

        /** {@code family/action}. */
        public String call() {
            return family + "/" + action;
        }
    }

    /**
     * A stretch of time in which denials were not enforced.
     *
     * @param scope {@code policy} (the policy's mode: monitor), {@code agent} (an agent that declared monitor mode,
     *              per session) or {@code interception-rule} (the agent's interception rule for the call was in monitor mode)
     * @param who   the policy version(s), or the agent and session
     */
    public record MonitorPeriod(String scope, String who, String from, String to, long decisions, long wouldBlock) {
    }

    /**
     * A policy version seen in the window.
     *
     * @param loaded when and how the engine took it up (engine-start, policy-loaded) within the window
     */
    public record PolicyVersion(String version, List<String> modes, long decisions, String firstDecision, String lastDecision,
                                List<String> loaded) {
    }

    /**
     * What the agents did on their own (outcome entries): calls they denied with no decision or
     * against an allow, let through while the engine was unreachable ({@code failMode=open}) or
     * in monitor mode, or let through changed. The totals above count engine decisions; these say
     * where the call then went otherwise.
     *
     * @param outcomes the outcome entries in the window, in log order
     * @param byKind   how many of each kind, in {@link #KINDS} order (kinds with none are left out)
     * @param lost     the agents' reports of outcomes they could not keep while the engine was unreachable
     * @param refused  outcomes the engine refused: malformed, or naming a decision that was not the agent's
     */
    public record LocalOutcomes(List<Local> outcomes, Map<String, Long> byKind, List<Lost> lost, List<Refused> refused) {
        /** The kinds in the order a reviewer reads them, with what each means. */
        public static final Map<String, String> KINDS = kinds();

        private static Map<String, String> kinds() {
            Map<String, String> m = new java.util.LinkedHashMap<>();
            m.put("denied-locally", "denied by the agent, with no engine decision");
            m.put("overridden", "denied by the agent although the engine allowed it");
            m.put("passed-fail-open", "passed because of failMode=open: the engine was unreachable");
            m.put("passed-monitor", "passed in monitor mode although denied");
            m.put("modified", "let through changed from what was decided");
            return java.util.Collections.unmodifiableMap(m);
        }

        /** What a kind means, for people. */
        public static String meaning(String kind) {
            return KINDS.getOrDefault(kind, "an outcome this report does not know");
        }

        public long lostTotal() {
            return lost.stream().mapToLong(Lost::dropped).sum();
        }

        public boolean isEmpty() {
            return outcomes.isEmpty() && lost.isEmpty() && refused.isEmpty();
        }
    }

    /**
     * One outcome entry.
     *
     * @param at         when it happened, by the agent's clock
     * @param effect     what finally happened to the call: allow (it went ahead) or deny
     * @param follows    the decision it follows, or -1
     * @param decided    that decision in a few words ({@code allow by rule X (code)}), when it is in the log read; else empty
     * @param call       {@code family/action}, from the outcome's request or the decision's; {@code ?} when neither was read
     * @param spooled    delivered late, after the engine was unreachable
     * @param afterBreak the entry is at or after the first bad entry of a log that does not verify
     */
    public record Local(long seq, String time, String at, String agent, long session, String kind, String effect, String code,
                        String reason, long follows, String decided, String call, String family, String targetText, boolean spooled,
                        boolean afterBreak) {
    }

    /** An agent's spool was full while the engine was unreachable: {@code dropped} outcomes are gone. */
    public record Lost(long seq, String time, String agent, long dropped, long held, String since, Map<String, Long> droppedKinds) {
    }

    /** An OUTCOME the engine did not log as one. */
    public record Refused(long seq, String time, String agent, String code, String reason) {
    }

    /** An engine or policy event: what happened, in one line. */
    /**
     * Spending on model calls, from the costs the engine settled and logged ({@code spend.cost}
     * on model requests decided at return, and on holds a session left), in micro-units.
     *
     * @param currency the policy's currency (the last seen; empty when no spend was logged)
     * @param byModel  per agent, provider and model: calls settled, their cost, and how many had no usage report (charged the worst
     *                 case, or their estimate when their session ended first)
     * @param overTime cost per timeline bucket (the timeline's bucket length)
     * @param budgets  per budget account: calls refused, warnings logged
     */
    public record Spend(String currency, List<ModelSpend> byModel, List<SpendBucket> overTime, List<BudgetLine> budgets) {
        public boolean isEmpty() {
            return byModel.isEmpty() && budgets.isEmpty();
        }

        /** Micro-units for people: {@code 0.492 USD}. */
        public String amount(long micros) {
            return java.math.BigDecimal.valueOf(micros, 6).stripTrailingZeros().toPlainString() + (currency.isEmpty() ? "" : " " + currency);
        }
    }

    public record ModelSpend(String agent, String provider, String model, long calls, long cost, long unreported) {
    }

    public record SpendBucket(String startIso, long cost) {
    }

    /** A budget account ({@code budget:subject}): model calls it refused and warnings it raised, with the spent amount the last warning gave. */
    public record BudgetLine(String account, long refused, long warnings, long lastSpent) {
    }

    public record Event(long seq, String time, String event, String detail) {
    }

    /**
     * An MCP tool the engine flagged when it was listed or called (findings, a changed
     * fingerprint, or a call to a tool never listed), once per server, tool, status and
     * findings: first seen at {@code seq}, {@code times} entries in all.
     */
    public record FlaggedTool(long seq, String time, String agent, String server, String tool, String status, List<String> findings,
                              long times) {
    }
}
