package dev.agt.tests.mcp;

import java.nio.file.Files;
import java.util.Map;

/** Stands for a company's own tool framework, which no built-in rule knows: ops govern it with a rules file. */
public final class InHouseTools {
    private InHouseTools() {
    }

    public static String invoke(String tool, Map<String, Object> arguments) throws Exception {
        Files.writeString(McpClients.root.resolve("work/marker-inhouse-" + tool), String.valueOf(arguments));
        return tool + " done";
    }

    /**
     * Governed by a rule that reads the wrong key ({@code name}; this framework says {@code tool}):
     * the request lacks its tool, the agent sends it as read, and the engine denies and logs it.
     */
    public static String dispatch(Map<String, Object> call) throws Exception {
        Files.writeString(McpClients.root.resolve("work/marker-inhouse-dispatch"), String.valueOf(call));
        return "dispatched";
    }

    /** Governed by a rule in monitor mode: a would-be denial is logged, the call goes on. */
    public static String peek(String what) throws Exception {
        Files.writeString(McpClients.root.resolve("work/marker-inhouse-peek"), what);
        return "peeked at " + what;
    }
}
