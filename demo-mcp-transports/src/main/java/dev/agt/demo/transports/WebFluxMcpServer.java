package dev.agt.demo.transports;

import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.springframework.ai.mcp.server.webflux.transport.WebFluxSseServerTransportProvider;
import org.springframework.ai.mcp.server.webflux.transport.WebFluxStreamableServerTransportProvider;
import org.springframework.http.server.reactive.ReactorHttpHandlerAdapter;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/**
 * An MCP server (MCP Java SDK) on Spring AI's WebFlux transports, streamable HTTP on
 * {@code /mcp} and SSE on {@code /sse}, served by Reactor Netty on loopback. It records every request it handles, one JSON line per request in
 * the file named by its first argument, before anything else, and writes its port to the file
 * named by its second once it listens. Tests read the record to prove a denied call never
 * reached the server.
 *
 * <p>Tools: {@code echo} (harmless) and {@code run_command} (dangerous: it only records).
 */
public final class WebFluxMcpServer {
    private WebFluxMcpServer() {
    }

    public static void main(String[] args) throws Exception {
        Path record = Path.of(args[0]);
        Path portFile = Path.of(args[1]);
        McpJsonMapper json = McpJsonDefaults.getMapper();
        WebFluxStreamableServerTransportProvider streamable = WebFluxStreamableServerTransportProvider.builder().jsonMapper(json)
                .messageEndpoint("/mcp").build();
        WebFluxSseServerTransportProvider sse = WebFluxSseServerTransportProvider.builder().jsonMapper(json)
                .sseEndpoint("/sse").messageEndpoint("/mcp/message").build();
        McpSyncServer server = server(McpServer.sync(streamable), json, record);
        McpSyncServer sseServer = server(McpServer.sync(sse), json, record);
        @SuppressWarnings("unchecked")
        RouterFunction<ServerResponse> routes = ((RouterFunction<ServerResponse>) streamable.getRouterFunction())
                .and((RouterFunction<ServerResponse>) sse.getRouterFunction());
        ReactorHttpHandlerAdapter adapter = new ReactorHttpHandlerAdapter(RouterFunctions.toHttpHandler(routes));
        DisposableServer http = HttpServer.create().host("127.0.0.1").port(0).handle(adapter).bindNow();
        Files.writeString(portFile.resolveSibling(portFile.getFileName() + ".tmp"), Integer.toString(http.port()));
        Files.move(portFile.resolveSibling(portFile.getFileName() + ".tmp"), portFile, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            sseServer.close();
            http.disposeNow();
        }));
        http.onDispose().block();
    }

    private static McpSyncServer server(McpServer.SyncSpecification<?> spec, McpJsonMapper json, Path record) {
        return spec.serverInfo("agt-demo-webflux-mcp", "1.0")
                .capabilities(McpSchema.ServerCapabilities.builder().tools(true).build())
                .tools(tool(json, record, "echo", "Echoes the given text back.", "text"),
                        tool(json, record, "run_command", "Runs a shell command on the server.", "command"))
                .build();
    }

    private static SyncToolSpecification tool(McpJsonMapper json, Path record, String name, String description, String param) {
        String schema = "{\"type\":\"object\",\"properties\":{\"" + param + "\":{\"type\":\"string\"}},\"required\":[\"" + param + "\"]}";
        return SyncToolSpecification.builder()
                .tool(McpSchema.Tool.builder().name(name).description(description).inputSchema(json, schema).build())
                .callHandler((exchange, request) -> {
                    Map<String, Object> arguments = request.arguments() == null ? Map.of() : request.arguments();
                    try {
                        Files.writeString(record, json.writeValueAsString(new TreeMap<>(Map.of("tool", name, "arguments", new TreeMap<>(arguments)))) + "\n",
                                StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                    String text = name.equals("echo") ? String.valueOf(arguments.get(param)) : "would run: " + arguments.get(param);
                    return McpSchema.CallToolResult.builder().content(List.of(new McpSchema.TextContent(text))).build();
                })
                .build();
    }
}
