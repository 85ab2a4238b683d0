package dev.agt.tests.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import dev.langchain4j.mcp.client.McpCallContext;
import dev.langchain4j.mcp.client.transport.McpOperationHandler;
import dev.langchain4j.mcp.client.transport.McpTransport;
import dev.langchain4j.mcp.protocol.McpClientMessage;
import dev.langchain4j.mcp.protocol.McpInitializeRequest;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;

/**
 * A LangChain4j MCP transport of the application's own: it relays to another transport, and
 * nothing in it tells an interception rule which server that is.
 */
public final class RelayMcpTransport implements McpTransport {
    private final McpTransport next;

    public RelayMcpTransport(McpTransport next) {
        this.next = next;
    }

    @Override
    public void start(McpOperationHandler handler) {
        next.start(handler);
    }

    @Override
    public CompletableFuture<JsonNode> initialize(McpInitializeRequest request) {
        return next.initialize(request);
    }

    @Override
    public CompletableFuture<JsonNode> executeOperationWithResponse(McpClientMessage message) {
        return next.executeOperationWithResponse(message);
    }

    @Override
    public CompletableFuture<JsonNode> executeOperationWithResponse(McpCallContext context) {
        return next.executeOperationWithResponse(context);
    }

    @Override
    public void executeOperationWithoutResponse(McpClientMessage message) {
        next.executeOperationWithoutResponse(message);
    }

    @Override
    public void executeOperationWithoutResponse(McpCallContext context) {
        next.executeOperationWithoutResponse(context);
    }

    @Override
    public void checkHealth() {
        next.checkHealth();
    }

    @Override
    public void onFailure(Runnable action) {
        next.onFailure(action);
    }

    @Override
    public void close() throws IOException {
        next.close();
    }
}
