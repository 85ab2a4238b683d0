package dev.agt.cli.approvals;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agt.cli.report.ReportChromiumIT;
import dev.agt.engine.server.Engine;
import dev.agt.engine.server.EngineConfig;
import dev.agt.audit.FsyncPolicy;
import dev.agt.protocol.Decision;
import dev.agt.protocol.EngineAddress;
import dev.agt.protocol.EngineClient;
import dev.agt.protocol.Reasons;
import dev.agt.protocol.Request;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The approval page in a real browser: headless Chromium opens the address the engine printed
 * (its token becomes a cookie), shows the held call, and a click on Approve (a real form POST,
 * with the browser's own Origin and Sec-Fetch-Site headers) lets the held call go ahead. Driven
 * over the DevTools protocol; skipped, and saying so, when no Chromium is installed (.ci/run
 * installs Debian's).
 */
class ApprovalPageChromiumIT {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void aClickOnApproveLetsTheHeldCallGoAhead() throws Exception {
        Optional<Path> chromium = ReportChromiumIT.findChromium();
        Assumptions.assumeTrue(chromium.isPresent(), "SKIPPED: no chromium on the PATH (apt-get install -y chromium, as .ci/run does)");
        Files.writeString(dir.resolve("policy.yaml"), "version: 1\nrules:\n  - {id: pushes, effect: ask, family: process, executables: [/usr/bin/git], timeout: 60s}\n");
        Path sock = dir.resolve("e.sock");
        Engine engine = new Engine(new EngineConfig(dir.resolve("policy.yaml"), Map.of(), sock, null, null, dir.resolve("audit"),
                FsyncPolicy.INTERVAL, 0, false).withApprovalsPort(-1), new PrintStream(new ByteArrayOutputStream(), true));
        Process browser = null;
        try (engine) {
            engine.start();
            String url = Files.readString(dir.resolve("audit.state/approvals-page.token")).strip();
            EngineClient agent = EngineClient.connect(EngineAddress.parse(sock.toString()), "builder", Map.of(), 5000);
            CompletableFuture<Decision> push = CompletableFuture.supplyAsync(() -> agent.decide(
                    Request.of("process", "exec", Map.of("executable", "/usr/bin/git", "argv", List.of("git", "push"))), 2000));

            Path profile = Files.createDirectories(dir.resolve("profile"));
            browser = new ProcessBuilder(chromium.get().toString(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--user-data-dir=" + profile, "--remote-debugging-port=0", "about:blank").redirectErrorStream(true)
                    .redirectOutput(dir.resolve("chromium.log").toFile()).start();
            Path active = profile.resolve("DevToolsActivePort");
            for (int i = 0; i < 300 && !Files.exists(active); i++) {
                Thread.sleep(100);
            }
            assertTrue(Files.exists(active), "chromium did not open its DevTools port: " + Files.readString(dir.resolve("chromium.log")));
            int port = Integer.parseInt(Files.readAllLines(active).get(0).strip());
            HttpClient http = HttpClient.newHttpClient();
            JsonNode targets = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/json/list")).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            String ws = null;
            for (JsonNode t : targets) {
                if (t.path("type").asText().equals("page")) {
                    ws = t.path("webSocketDebuggerUrl").asText();
                }
            }
            assertTrue(ws != null, targets.toString());
            Cdp cdp = new Cdp(http, ws);
            // wait until the call is held and listed, then open the page the way a person would
            String held = null;
            for (int i = 0; i < 100 && held == null; i++) {
                cdp.call("Page.navigate", Map.of("url", url));
                Thread.sleep(300);
                String html = cdp.eval("document.documentElement.outerHTML");
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("id=\"(ap-[0-9a-f]{16})\"").matcher(html);
                held = m.find() ? m.group(1) : null;
            }
            assertTrue(held != null, "the page listed the held call");
            assertFalse(push.isDone());
            cdp.eval("document.querySelector('div.held input[name=reason]').value = 'clicked in chromium'; "
                    + "document.querySelector('div.held button.approve').click(); 'clicked'");
            Decision d;
            try {
                d = push.get(20, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                throw new AssertionError("the click did not decide the call; the browser shows: " + cdp.eval("document.documentElement.outerHTML"), e);
            }
            assertTrue(d.allowed(), d.toString());
            assertEquals(Reasons.APPROVED, d.code());
            assertTrue(d.reason().contains("page:") && d.reason().contains("clicked in chromium"), d.reason());
            agent.close();
        } finally {
            if (browser != null) {
                browser.destroyForcibly();
                browser.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** A minimal DevTools protocol client: one call at a time, replies matched by id. */
    static final class Cdp implements WebSocket.Listener {
        private final WebSocket socket;
        private final AtomicInteger ids = new AtomicInteger();
        private final LinkedBlockingQueue<JsonNode> replies = new LinkedBlockingQueue<>();
        private final StringBuilder partial = new StringBuilder();

        Cdp(HttpClient http, String url) throws Exception {
            socket = http.newWebSocketBuilder().buildAsync(URI.create(url), this).get(10, TimeUnit.SECONDS);
        }

        JsonNode call(String method, Map<String, Object> params) throws Exception {
            int id = ids.incrementAndGet();
            socket.sendText(JSON.writeValueAsString(Map.of("id", id, "method", method, "params", params)), true).get(10, TimeUnit.SECONDS);
            while (true) {
                JsonNode r = replies.poll(20, TimeUnit.SECONDS);
                if (r == null) {
                    throw new AssertionError("no reply to " + method);
                }
                if (r.path("id").asInt() == id) {
                    return r;
                }
            }
        }

        String eval(String expression) throws Exception {
            return call("Runtime.evaluate", Map.of("expression", expression, "returnByValue", true)).path("result").path("result").path("value").asText("");
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                try {
                    JsonNode n = JSON.readTree(partial.toString());
                    if (n.has("id")) {
                        replies.add(n);
                    }
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                partial.setLength(0);
            }
            ws.request(1);
            return null;
        }
    }
}
