package dev.agt.engine.policy;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Facts the engine establishes about a request beyond its target fields, which rules test with
 * {@code when:}. They come from the engine's own state (the MCP tool scans and pins), never from
 * the agent: a request cannot claim or deny a fact.
 *
 * <p>For {@code mcp/list} a tool fact holds when it holds for any tool in the list; for
 * {@code mcp/call} it is looked up for the called {@code server} and {@code tool}.
 */
public enum Fact {
    /** The tool's latest scan found signs of poisoning (hidden text, injected instructions...). */
    MCP_TOOL_FLAGGED("mcp.tool.flagged"),
    /** The tool's latest fingerprint differs from the one pinned when it was first seen (a rug pull). */
    MCP_TOOL_CHANGED("mcp.tool.changed"),
    /** A call to a tool the engine never saw in a tools/list of that server (or no tool named at all). */
    MCP_TOOL_UNKNOWN("mcp.tool.unknown"),
    /**
     * The request names no server: the client's transport is one the interception rules could
     * not read a server from. The built-in rule {@code builtin.mcp-unknown-server} denies these.
     */
    MCP_SERVER_UNKNOWN("mcp.server.unknown"),
    /**
     * A tool call's result (reported at return) has signs of poisoning: instructions aimed at the
     * model, hidden characters, exfiltration instructions, secret paths. For tool and mcp calls.
     */
    TOOL_RESULT_FLAGGED("tool.result.flagged");

    private static final Map<String, Fact> BY_NAME = new LinkedHashMap<>();

    static {
        for (Fact f : values()) {
            BY_NAME.put(f.name, f);
        }
    }

    private final String name;

    Fact(String name) {
        this.name = name;
    }

    /** The families whose requests this fact is about. */
    public java.util.Set<dev.agt.protocol.Family> families() {
        return this == TOOL_RESULT_FLAGGED ? java.util.Set.of(dev.agt.protocol.Family.MCP, dev.agt.protocol.Family.TOOL)
                : java.util.Set.of(dev.agt.protocol.Family.MCP);
    }

    /** The name rules and tests write. */
    public String key() {
        return name;
    }

    /** The fact for its name, or null. */
    public static Fact of(String name) {
        return BY_NAME.get(name);
    }

    public static Set<String> names() {
        return BY_NAME.keySet();
    }
}
