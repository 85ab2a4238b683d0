package dev.agt.audit.entry;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What the engine records besides decisions and outcomes: entries of type {@code event}, told
 * apart by their {@code event} member. One record per kind, named after it ({@code engine-start}
 * is {@link EngineStart}); {@link OutcomeEvent} holds the two kinds about local outcomes, and
 * {@link Unknown} a kind this reader does not know. Every event's members sit at the top level
 * of the entry, beside {@code type}, {@code time} and {@code event}.
 */
public sealed interface EngineEvent extends LogEntry permits EngineEvent.EngineStart, EngineEvent.EngineStop, EngineEvent.LogRecovered,
        EngineEvent.SessionStart, EngineEvent.SessionRefused, EngineEvent.StateUnavailable, EngineEvent.KillSwitchChange,
        EngineEvent.PolicyLoaded, EngineEvent.PolicyRejected, EngineEvent.RegistryLoaded, EngineEvent.RegistryRejected, OutcomeEvent,
        EngineEvent.BudgetWarning, EngineEvent.SpendUnsettled, EngineEvent.LabelCleared, EngineEvent.ApprovalRequested,
        EngineEvent.ApprovalDecided, EngineEvent.BundleActivated, EngineEvent.BundleRefused, EngineEvent.WitnessRefused, EngineEvent.SharedRevocation, EngineEvent.Unknown {

    String TYPE = "event";

    /** The stored {@code event} member: which kind of event this is. */
    String event();

    @Override
    default String type() {
        return TYPE;
    }

    /**
     * {@code engine-start}: the engine is serving, with this policy, registry and kill switch.
     *
     * @param kill        the kill switch as it stood ({all, agents}), unless it could not be read
     * @param killProblem why the kill switch could not be read (then every call is denied)
     */
    record EngineStart(long seq, String time, String engine, String policy, String policyFile, long rules, String policyMode, String stateDir,
                       String auth, String registry, long registryAgents, Optional<Map<String, Object>> kill, Optional<String> killProblem)
            implements EngineEvent {
        public static final String EVENT = "engine-start";

        public EngineStart {
            Objects.requireNonNull(kill, "kill");
            Objects.requireNonNull(killProblem, "killProblem");
        }

        @Override
        public String event() {
            return EVENT;
        }
    }

    /** {@code engine-stop}: the engine stopped cleanly, having answered this many calls since it started. */
    record EngineStop(long seq, String time, String engine, long allowed, long denied) implements EngineEvent {
        public static final String EVENT = "engine-stop";

        @Override
        public String event() {
            return EVENT;
        }
    }

    /**
     * {@code log-recovered}: the previous run did not stop cleanly; what the log held and what was repaired.
     *
     * @param entries           entries found
     * @param tornBytesRemoved  bytes of a half-written last line, cut off
     * @param checkpointSize    entries the last signed checkpoint covers
     * @param checkpointMatched whether the entries match that checkpoint
     */
    record LogRecovered(long seq, String time, long entries, long tornBytesRemoved, long checkpointSize, boolean checkpointMatched)
            implements EngineEvent {
        public static final String EVENT = "log-recovered";

        @Override
        public String event() {
            return EVENT;
        }
    }

    /**
     * {@code session-start}: a session was established.
     *
     * @param agent the session's agent fields, as in decisions (stored at the top level of the entry)
     * @param admin an {@code agt} admin session, which asks for no decisions
     */
    record SessionStart(long seq, String time, Map<String, Object> agent, boolean admin) implements EngineEvent {
        public static final String EVENT = "session-start";

        public SessionStart {
            agent = Json.copy(agent);
        }

        @Override
        public String event() {
            return EVENT;
        }

        public String agentName() {
            return Json.agentName(agent);
        }
    }

    /**
     * {@code session-refused}: a handshake was refused, and why.
     *
     * @param name       the name the peer declared, when it got that far
     * @param uid        the peer's user ({@code ""} over TCP)
     * @param pid        the pid the peer declared, or -1
     * @param transport  {@code unix} or {@code tcp}
     * @param connection the connection's number
     * @param did        the DID the peer presented
     * @param chain      what could be read of its delegation chain, one summary (or {@code {malformed}}) a link; empty when none
     */
    record SessionRefused(long seq, String time, String code, String reason, Optional<String> name, String uid, long pid, String transport,
                          long connection, Optional<String> did, List<Object> chain) implements EngineEvent {
        public static final String EVENT = "session-refused";

        public SessionRefused {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(did, "did");
            chain = Json.copy(chain);
        }

        @Override
        public String event() {
            return EVENT;
        }
    }

    /**
     * {@code budget-warning}: a budget's spending crossed its soft threshold ({@code warn}) in its
     * current window. Amounts are micro-units of {@code currency}.
     *
     * @param subject whose spending: an agent id, a label's value, or {@code *} for the organisation
     */
    record BudgetWarning(long seq, String time, String budget, String subject, long spent, long warn, long limit, String currency)
            implements EngineEvent {
        public static final String EVENT = "budget-warning";

        @Override
        public String event() {
            return EVENT;
        }
    }

    /**
     * {@code spend-unsettled}: a session ended with model calls whose usage never came back (the
     * call failed, was cancelled, or the agent went away): each is charged its estimate. One event
     * per session, provider and model; amounts are micro-units of {@code currency}.
     *
     * @param agent   the agent's name, as decision entries give it
     * @param budgets the budget accounts charged ({@code budget:subject})
     */
    record SpendUnsettled(long seq, String time, String agent, long session, String provider, String model, long calls, long cost,
                          String currency, List<Object> budgets) implements EngineEvent {
        public static final String EVENT = "spend-unsettled";

        public SpendUnsettled {
            budgets = List.copyOf(budgets);
        }

        @Override
        public String event() {
            return EVENT;
        }
    }

    /**
     * {@code label-cleared}: an operator removed a session label from a lineage
     * ({@code agt session clear-label}).
     *
     * @param by      the operator (the engine user's name)
     * @param setBy   the audit entry that had set the label (-1 when unknown)
     * @param rule    the rule that had set it
     */
    record LabelCleared(long seq, String time, String lineage, String label, String by, long setBy, String rule) implements EngineEvent {
        public static final String EVENT = "label-cleared";

        @Override
        public String event() {
            return EVENT;
        }
    }

    /**
     * {@code approval-requested}: a rule with {@code effect: ask} holds a call for a person.
     *
     * @param digest  SHA-256 over the call (agent, rule, family, action, target): an approval lets only this call through
     * @param expires when the call is denied {@code approval-timeout} if no one decides (epoch ms)
     */
    record ApprovalRequested(long seq, String time, String id, String agent, long session, String rule, String digest,
                             Map<String, Object> request, long expires) implements EngineEvent {
        public static final String EVENT = "approval-requested";

        @Override
        public String event() {
            return EVENT;
        }
    }

    /**
     * {@code approval-decided}: how a held call ended.
     *
     * @param result approved, denied, timeout, stopped (the engine stopped) or restarted (found pending at start: denied)
     * @param by     who decided: the operator's user name, or {@code engine}
     */
    record ApprovalDecided(long seq, String time, String id, String result, String by, String reason) implements EngineEvent {
        public static final String EVENT = "approval-decided";

        @Override
        public String event() {
            return EVENT;
        }
    }

    /** {@code state-unavailable}: the kill switch or the tool pin store cannot be used (calls that need it are denied). */
    record StateUnavailable(long seq, String time, String problem) implements EngineEvent {
        public static final String EVENT = "state-unavailable";

        @Override
        public String event() {
            return EVENT;
        }
    }

    /**
     * {@code kill} or {@code revive}: the kill switch was changed.
     *
     * @param kill            {@code kill} (else {@code revive})
     * @param agent           the agent (name or DID) it was changed for; empty for {@code --all}
     * @param by              the user who changed it
     * @param changed         whether the switch changed (only changes are recorded)
     * @param state           the switch after the change ({all, agents})
     * @param sessionsStopped connected sessions it now stops
     */
    record KillSwitchChange(long seq, String time, boolean kill, Optional<String> agent, String by, boolean changed, Map<String, Object> state,
                            long sessionsStopped) implements EngineEvent {
        public static final String KILL = "kill";
        public static final String REVIVE = "revive";

        public KillSwitchChange {
            Objects.requireNonNull(agent, "agent");
            state = Json.copy(state);
        }

        @Override
        public String event() {
            return kill ? KILL : REVIVE;
        }

        /** Changed for every agent ({@code --all}). */
        public boolean all() {
            return agent.isEmpty();
        }
    }

    /** {@code policy-loaded}: a reload put {@code policy} in force in place of {@code previous}. */
    record PolicyLoaded(long seq, String time, String trigger, String policy, String previous, long rules, String policyMode)
            implements EngineEvent {
        public static final String EVENT = "policy-loaded";

        @Override
        public String event() {
            return EVENT;
        }
    }

    /** {@code policy-rejected}: a reload found these problems; {@code kept} stays in force. */
    record PolicyRejected(long seq, String time, String trigger, String kept, List<String> problems) implements EngineEvent {
        public static final String EVENT = "policy-rejected";

        public PolicyRejected {
            problems = Json.copy(problems);
        }

        @Override
        public String event() {
            return EVENT;
        }
    }

    /**
     * {@code bundle-activated}: a signed policy bundle was verified and its policy put in force.
     * {@code hash}: SHA-256 of its canonical manifest; {@code previous}: the bundle it replaced ("" for none).
     */
    record BundleActivated(long seq, String time, String trigger, String source, String hash, long version, String signedBy, String policy,
                           String previous) implements EngineEvent {
        public static final String EVENT = "bundle-activated";

        @Override
        public String event() {
            return EVENT;
        }
    }

    /**
     * {@code bundle-refused}: a fetched bundle was not activated (unsigned, a bad or foreign
     * signature, a changed file, a downgrade, an invalid policy, unreachable); {@code kept} is the
     * hash of the bundle still in force. {@code hash} and {@code version}: "" and -1 when unknown.
     */
    record BundleRefused(long seq, String time, String trigger, String source, String hash, long version, String reason, String kept)
            implements EngineEvent {
        public static final String EVENT = "bundle-refused";

        @Override
        public String event() {
            return EVENT;
        }
    }

    /**
     * {@code witness-refused}: a witness did not cosign checkpoint {@code size}: unreachable, or
     * refusing it (a fork or a rollback shows here first).
     */
    record WitnessRefused(long seq, String time, String witness, long size, String reason) implements EngineEvent {
        public static final String EVENT = "witness-refused";

        @Override
        public String event() {
            return EVENT;
        }
    }

    /**
     * {@code shared-revoke} / {@code shared-revoke-lifted}: this engine learned from the shared
     * state ({@code store}) that {@code agent} was revoked for the whole fleet, or no longer is.
     */
    record SharedRevocation(long seq, String time, boolean revoked, String agent, String by, String reason, String store) implements EngineEvent {
        public static final String REVOKED = "shared-revoke";
        public static final String LIFTED = "shared-revoke-lifted";

        @Override
        public String event() {
            return revoked ? REVOKED : LIFTED;
        }
    }

    /** {@code registry-loaded}: the agent registry was reloaded. */
    record RegistryLoaded(long seq, String time, String trigger, String registry, long agents, long revoked) implements EngineEvent {
        public static final String EVENT = "registry-loaded";

        @Override
        public String event() {
            return EVENT;
        }
    }

    /** {@code registry-rejected}: the registry file is invalid; the last good one (of {@code keptAgents} agents) stays. */
    record RegistryRejected(long seq, String time, String trigger, String registry, String problem, long keptAgents) implements EngineEvent {
        public static final String EVENT = "registry-rejected";

        @Override
        public String event() {
            return EVENT;
        }
    }

    /**
     * An event of a kind this reader does not know.
     *
     * @param fields every stored member but {@code seq} and {@code prev}, as read
     */
    record Unknown(long seq, Map<String, Object> fields) implements EngineEvent {
        public Unknown {
            fields = Json.copy(fields);
        }

        @Override
        public String event() {
            return fields.get("event") instanceof String s ? s : "";
        }

        @Override
        public String time() {
            return fields.get("time") instanceof String s ? s : "";
        }
    }
}
