package dev.agt.tests.labels;

import dev.agt.demo.mcp.McpDemoServer;
import dev.agt.tests.catalogue.Denials;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.spec.McpSchema;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;

/**
 * Runs inside a JVM with the agent: launches {@code touch BEFORE}, then asks a real MCP server
 * (the demo server, on stdio, through the MCP Java SDK's sync client) to read a file whose text
 * is a prompt injection, then launches {@code touch FILE} for each further file
 * ({@link HeldLaunches}). Prints {@code RESULT mcp:read_file OK|DENIED detail} for the read.
 *
 * <p>Args: SERVER_CLASSPATH RECORD POISONED_FILE BEFORE FILE...
 */
public final class McpThenLaunches {
    private McpThenLaunches() {
    }

    public static void main(String[] args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        HeldLaunches.touch(args[3]);
        ServerParameters server = ServerParameters.builder(java).args("-cp", args[0], McpDemoServer.class.getName(), args[1]).build();
        try (McpSyncClient c = McpClient.sync(new StdioClientTransport(server, McpJsonDefaults.getMapper())).requestTimeout(Duration.ofSeconds(60)).build()) {
            c.initialize();
            String line;
            try {
                McpSchema.CallToolResult r = c.callTool(new McpSchema.CallToolRequest("read_file", Map.of("path", args[2])));
                line = "OK " + ((McpSchema.TextContent) r.content().get(0)).text();
            } catch (Throwable t) {
                Throwable d = Denials.find(t);
                line = d != null ? "DENIED " + d.getMessage() : "ERROR " + t;
            }
            System.out.println("RESULT mcp:read_file " + line.replace('\n', ' '));
            System.out.flush();
        }
        HeldLaunches.main(Arrays.copyOfRange(args, 4, args.length));
    }
}
