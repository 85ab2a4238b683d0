package dev.agt.demo.transports;

import io.modelcontextprotocol.json.TypeRef;
import io.modelcontextprotocol.spec.McpClientTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import reactor.core.publisher.Mono;

/**
 * A client transport of the application's own, as teams write for in-process servers, test
 * harnesses, gateways or message buses: it relays every message to another transport it holds.
 * Nothing in it says which server it talks to in a way an interception rule could know to read.
 */
public final class RelayTransport implements McpClientTransport {
    private final McpClientTransport next;
    private long relayed;

    public RelayTransport(McpClientTransport next) {
        this.next = next;
    }

    @Override
    public Mono<Void> connect(Function<Mono<McpSchema.JSONRPCMessage>, Mono<McpSchema.JSONRPCMessage>> handler) {
        return next.connect(handler);
    }

    @Override
    public void setExceptionHandler(Consumer<Throwable> handler) {
        next.setExceptionHandler(handler);
    }

    @Override
    public Mono<Void> sendMessage(McpSchema.JSONRPCMessage message) {
        relayed++;
        return next.sendMessage(message);
    }

    @Override
    public Mono<Void> closeGracefully() {
        return next.closeGracefully();
    }

    @Override
    public <T> T unmarshalFrom(Object data, TypeRef<T> typeRef) {
        return next.unmarshalFrom(data, typeRef);
    }

    @Override
    public List<String> protocolVersions() {
        return next.protocolVersions();
    }

    /** How many messages went out through this transport. */
    public long relayed() {
        return relayed;
    }
}
