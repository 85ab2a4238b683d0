package dev.agt.engine.server;

import dev.agt.audit.entry.EngineEvent;
import java.time.Instant;

/**
 * The engine's state files (the kill switch, the MCP tool pin store) going bad and good again,
 * reported once each way rather than once per request: a broken file is written to the engine's
 * output and logged as {@code state-unavailable} when it is first seen (and again if the problem
 * changes), and a line says when it is usable again. The requests that need it are denied
 * meanwhile; that is the callers' part.
 */
final class StateProblems {
    private final Engine engine;
    /** The last kill switch problem reported. */
    private volatile String killSwitch;
    /** The last tool pin store problem reported. */
    private volatile String pinStore;

    StateProblems(Engine engine) {
        this.engine = engine;
    }

    /** The kill switch cannot be read: every call is denied until it can. */
    void killSwitch(String problem) {
        if (!problem.equals(killSwitch)) {
            killSwitch = problem;
            report(problem);
        }
    }

    /** The kill switch was read: says so once if it was broken before. */
    void killSwitchUsable() {
        if (killSwitch != null) {
            killSwitch = null;
            engine.log("the kill switch " + engine.kills().where() + " is usable again");
        }
    }

    /** The last session label store problem reported. */
    private volatile String labelStore;

    /** The session label store cannot be used: decisions under a policy with labels are denied until it can. */
    void labelStore(String problem) {
        if (!problem.equals(labelStore)) {
            labelStore = problem;
            report(problem);
        }
    }

    /** The tool pin store cannot be used: MCP requests are denied until it can. */
    void pinStore(String problem) {
        if (!problem.equals(pinStore)) {
            pinStore = problem;
            report(problem);
        }
    }

    /** The tool pin store was used: says so once if it was broken before. */
    void pinStoreUsable() {
        if (pinStore != null) {
            pinStore = null;
            engine.log("the tool pin store " + engine.mcp().pins().where() + " is usable again");
        }
    }

    void report(String problem) {
        engine.log(problem);
        engine.record(new EngineEvent.StateUnavailable(-1, Instant.now().toString(), problem));
    }
}
