package dev.agt.demo.transports;

import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpClientTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import org.springframework.ai.mcp.client.webflux.transport.WebClientStreamableHttpTransport;
import org.springframework.ai.mcp.client.webflux.transport.WebFluxSseClientTransport;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * MCP clients (MCP Java SDK) on transports the SDK does not ship, against one MCP server:
 * Spring AI's WebClient streamable-HTTP and WebFlux SSE transports, configured the way Spring
 * AI's MCP client starters configure them (a WebClient builder with the server's base URL), and
 * a custom {@link RelayTransport}. Each step prints {@code RESULT name OK|FAILED detail}.
 *
 * <p>Args: BASE_URL (for example http://127.0.0.1:8080).
 */
public final class TransportClients {
    private TransportClients() {
    }

    public static void main(String[] args) {
        String base = args[0];
        run("webclient", WebClientStreamableHttpTransport.builder(WebClient.builder().baseUrl(base)).endpoint("/mcp").build());
        run("webflux-sse", WebFluxSseClientTransport.builder(WebClient.builder().baseUrl(base)).sseEndpoint("/sse").build());
        RelayTransport relay = new RelayTransport(HttpClientStreamableHttpTransport.builder(base).endpoint("/mcp").build());
        run("custom", relay);
        System.out.println("RESULT custom.relayed OK " + relay.relayed());
        System.out.println("TRANSPORT CLIENTS DONE");
        System.exit(0);
    }

    private static void run(String name, McpClientTransport transport) {
        McpSyncClient c = McpClient.sync(transport).requestTimeout(Duration.ofSeconds(30)).build();
        try {
            step(name + ".initialize", () -> c.initialize().serverInfo().name());
            step(name + ".list", () -> c.listTools().tools().size() + " tools");
            step(name + ".echo", () -> text(c.callTool(new McpSchema.CallToolRequest("echo", Map.of("text", name + " hello")))));
            step(name + ".run_command", () -> text(c.callTool(new McpSchema.CallToolRequest("run_command", Map.of("command", "rm -rf ~")))));
        } finally {
            try {
                c.closeGracefully();
            } catch (RuntimeException e) {
                System.out.println("(closing " + name + ": " + e + ")");
            }
        }
    }

    static String text(McpSchema.CallToolResult r) {
        StringBuilder b = new StringBuilder(Boolean.TRUE.equals(r.isError()) ? "tool error: " : "");
        for (McpSchema.Content c : r.content()) {
            if (c instanceof McpSchema.TextContent t) {
                b.append(t.text());
            }
        }
        return b.toString();
    }

    static void step(String name, Callable<Object> action) {
        String line;
        try {
            line = "OK " + action.call();
        } catch (Throwable t) {
            StringBuilder b = new StringBuilder("FAILED");
            for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
                b.append(" | ").append(c.getClass().getName()).append(": ").append(c.getMessage());
            }
            line = b.toString();
        }
        System.out.println("RESULT " + name + " " + line.replace('\n', ' '));
    }
}
