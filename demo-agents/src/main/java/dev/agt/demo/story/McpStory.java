package dev.agt.demo.story;

import dev.agt.demo.mcp.McpDemoServer;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.spec.McpSchema;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * An agent on the MCP Java SDK against the demo MCP server (stdio): a harmless tool, a reading
 * tool, a dangerous one, and one whose description hides instructions.
 *
 * <p>Args: WORKSPACE CLASSPATH (for the server) RECORD_FILE.
 */
public final class McpStory {
    public static void main(String[] args) {
        Path ws = Path.of(args[0]);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ServerParameters server = ServerParameters.builder(java).args("-cp", args[1], McpDemoServer.class.getName(), args[2]).build();
        try (McpSyncClient c = McpClient.sync(new StdioClientTransport(server, McpJsonDefaults.getMapper())).requestTimeout(Duration.ofSeconds(60))
                .build()) {
            c.initialize();
            try {
                InjectionStory.say("mcp: the server offers " + c.listTools().tools().stream().map(McpSchema.Tool::name).toList());
            } catch (RuntimeException e) {
                InjectionStory.say("mcp: listing the tools was blocked: " + ScriptedModel.oneLine(String.valueOf(e.getMessage())));
            }
            call(c, "echo", Map.of("text", "hello"));
            call(c, "read_file", Map.of("path", ws.resolve("work/notes.md").toString()));
            call(c, "weather", Map.of("city", "Oslo"));
            call(c, "run_command", Map.of("command", "rm -rf ~"));
        }
        System.exit(0);
    }

    static void call(McpSyncClient c, String tool, Map<String, Object> args) {
        try {
            McpSchema.CallToolResult r = c.callTool(new McpSchema.CallToolRequest(tool, args));
            StringBuilder b = new StringBuilder();
            r.content().forEach(x -> b.append(x instanceof McpSchema.TextContent t ? t.text() : ""));
            InjectionStory.say("mcp: " + tool + " -> " + ScriptedModel.oneLine(b.toString()));
        } catch (RuntimeException e) {
            InjectionStory.say("mcp: " + tool + " blocked: " + ScriptedModel.oneLine(String.valueOf(e.getMessage())));
        }
    }
}
