package dev.agt.javaagent.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a denial message says the call was: people read it on the agent's console and in exceptions. */
class AnswersDescribeTest {
    @Test
    void mcpCallsNameTheirServerOrTheTransportThatCouldNotNameOne() {
        assertEquals("tool echo of http://127.0.0.1:8080/mcp",
                Answers.describe("mcp", Map.of("tool", "echo", "server", "http://127.0.0.1:8080/mcp", "transport", "x.WebClientStreamableHttpTransport")));
        assertEquals("tool echo of an unnamed server (transport com.acme.RelayTransport)",
                Answers.describe("mcp", Map.of("tool", "echo", "transport", "com.acme.RelayTransport")));
        assertEquals("tool list of an unnamed server (transport com.acme.RelayTransport)",
                Answers.describe("mcp", Map.of("transport", "com.acme.RelayTransport")));
        assertEquals("resource file:///etc/hostname of npx server", Answers.describe("mcp", Map.of("server", "npx server",
                "arguments", Map.of("uri", "file:///etc/hostname"))));
    }

    @Test
    void otherFamiliesAreNotTakenForMcp() {
        assertEquals("tool deploy", Answers.describe("tool", Map.of("tool", "deploy")), "a framework tool has no server");
        assertEquals("model gpt-4o-mini of OPEN_AI", Answers.describe("model", Map.of("provider", "OPEN_AI", "model", "gpt-4o-mini", "max_tokens", 100L)));
        assertEquals("/tmp/x.sock", Answers.describe("net", Map.of("transport", "unix", "path", "/tmp/x.sock")));
        assertEquals("10.0.0.1:53", Answers.describe("net", Map.of("ip", "10.0.0.1", "port", 53L, "transport", "udp")));
        assertEquals("example.org (93.184.216.34):443", Answers.describe("net", Map.of("host", "example.org", "ip", "93.184.216.34", "port", 443L)));
    }
}
