package dev.agt.audit.entry;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The engine's decision on one request: an entry of type {@code decision}.
 *
 * <pre>
 * {type: "decision", time,
 *  agent: {id, name, uid, pid, auth, session, mode, [did, declared_name, labels, root, chain]},
 *  request: {family, action, target: {...}, [thread], [frames], [monitor], ...as the agent sent it},
 *  decision: {effect, rule, code, reason, [sandbox], [monitor: {by, rule, code, reason}],
 *             [link: {index, parent, child, scope}]},
 *  [mcp: {...what the engine established about the MCP server and tool}],
 *  [spend: {currency, estimate | cost (micro-units), budgets, usage_reported}],
 *  policy, policy_mode}
 * </pre>
 *
 * <p>{@code agent}, {@code request} and {@code mcp} stay maps: their members depend on the
 * family and on how the agent was authenticated, and the request's vocabulary belongs to the
 * wire protocol, not to the log. The record takes the maps as given and does not copy them: the
 * engine builds them fresh for each decision, and a copy on the decision path would be paid on
 * every call.
 *
 * @param seq        the entry's sequence number ({@code -1} before it is appended)
 * @param time       when the engine logged it (ISO-8601)
 * @param agent      the session's agent fields
 * @param request    the request as the agent sent it
 * @param ruling     what the engine answered
 * @param mcp        for MCP requests: what the engine established about the server and the tool
 * @param spend      for model calls under budgets: the estimate held before the call, or the cost settled at return
 * @param labels     under a policy that uses session labels: the labels the session held ({@code held}: name to the
 *                   entry that set it) and those this decision set ({@code set})
 * @param policy     the version of the policy in force
 * @param policyMode the policy's mode, {@code enforce} or {@code monitor}
 */
public record DecisionEntry(long seq, String time, Map<String, Object> agent, Map<String, Object> request, Ruling ruling,
                            Optional<Map<String, Object>> mcp, Optional<Map<String, Object>> spend, Optional<Map<String, Object>> labels,
                            String policy, String policyMode)
        implements LogEntry, AgentEntry {

    public static final String TYPE = "decision";

    public DecisionEntry {
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(agent, "agent");
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(ruling, "ruling");
        Objects.requireNonNull(mcp, "mcp");
        Objects.requireNonNull(spend, "spend");
        Objects.requireNonNull(labels, "labels");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(policyMode, "policyMode");
    }

    /**
     * The {@code decision} member.
     *
     * @param effect  {@code allow} or {@code deny}
     * @param rule    the rule that decided, {@code ""} when none did (a default, or a failure before the policy)
     * @param code    the reason code
     * @param reason  the engine's sentence
     * @param sandbox the sandbox profile an allowed launch runs inside
     * @param monitor present exactly when a denial was not enforced
     * @param link    the delegation link whose scope the request fell outside of
     */
    public record Ruling(String effect, String rule, String code, String reason, Optional<String> sandbox, Optional<Monitor> monitor,
                         Optional<Link> link) {
        public Ruling {
            Objects.requireNonNull(effect, "effect");
            Objects.requireNonNull(rule, "rule");
            Objects.requireNonNull(code, "code");
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(sandbox, "sandbox");
            Objects.requireNonNull(monitor, "monitor");
            Objects.requireNonNull(link, "link");
        }

        public boolean allowed() {
            return "allow".equals(effect);
        }
    }

    /**
     * {@code decision.monitor}: the denial that was logged and not enforced.
     *
     * @param by     {@code rule} or {@code policy} (the policy's monitor mode), {@code agent} (the
     *               agent declared monitor mode), {@code interception-rule} (the agent's rule for
     *               the call is in monitor mode)
     * @param rule   the rule that would have denied
     * @param code   its reason code
     * @param reason its sentence
     */
    public record Monitor(String by, String rule, String code, String reason) {
    }

    /**
     * {@code decision.link}: the delegation link whose scope the request fell outside of.
     *
     * @param index  the link's place in the chain, from 1
     * @param parent the delegating DID
     * @param child  the delegate's DID
     * @param scope  the link's scope as the token states it
     */
    public record Link(long index, String parent, String child, Map<String, Object> scope) {
    }

    @Override
    public String type() {
        return TYPE;
    }

    /** The agent's declared mode: {@code monitor} when its denials were logged, not enforced. */
    public String agentMode() {
        return agent.get("mode") instanceof String m ? m : "enforce";
    }

    /** The request's family, {@code ""} when the request does not say. */
    public String family() {
        return request.get("family") instanceof String s ? s : "";
    }

    /** The request's action, {@code ""} when the request does not say. */
    public String action() {
        return request.get("action") instanceof String s ? s : "";
    }

    /** The request's target, empty when it has none. */
    @SuppressWarnings("unchecked")
    public Map<String, Object> target() {
        return request.get("target") instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }
}
