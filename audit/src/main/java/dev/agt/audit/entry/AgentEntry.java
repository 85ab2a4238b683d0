package dev.agt.audit.entry;

import java.util.Map;

/** An entry made for one agent's session (a decision, or an outcome the agent reported): who, as reports show it. */
public interface AgentEntry {
    /** The session's agent fields as the engine logged them. */
    Map<String, Object> agent();

    /** The agent's name as reports show it (its id when it has no name). */
    default String agentName() {
        return Json.agentName(agent());
    }

    /** The agent's session number, or -1. */
    default long session() {
        return Json.number(agent().get("session"), -1);
    }
}
