package dev.agt.engine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.agt.protocol.Decision;
import dev.agt.protocol.EngineClient;
import dev.agt.protocol.Reasons;
import dev.agt.protocol.Request;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The approval page over real HTTP: only the token's holder gets in, a decision needs the form's
 * token and a same-origin request to the loopback host, and an approval there lets exactly the
 * held call through.
 */
class ApprovalPageTest {
    @RegisterExtension
    final EngineFixture f = new EngineFixture();

    final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

    HttpResponse<String> get(String url, String cookie) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).GET();
        if (cookie != null) {
            b.header("Cookie", cookie);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String base, String cookie, String origin, String form) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + "/decide")).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form));
        if (cookie != null) {
            b.header("Cookie", cookie);
        }
        if (origin != null) {
            b.header("Origin", origin);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void onlyTheTokensHolderDecidesAndOnlyThatCallGoesAhead() throws Exception {
        f.writePolicy("version: 1\nrules:\n  - {id: pushes, effect: ask, family: process, executables: [/usr/bin/git], timeout: 30s}\n");
        f.start(f.config().withApprovalsPort(-1));
        String url = f.engine().approvalPageUrl();
        String base = url.substring(0, url.indexOf("/?token="));
        EngineClient agent = f.client("builder");
        CompletableFuture<Decision> push = CompletableFuture.supplyAsync(() -> agent.decide(
                Request.of("process", "exec", Map.of("executable", "/usr/bin/git", "argv", List.of("git", "push"))), 2000));
        EngineFixture.waitFor("a held call", () -> f.engine().approvals().list(), l -> !l.isEmpty());
        String id = f.engine().approvals().list().get(0).id();

        assertEquals(401, get(base + "/", null).statusCode(), "no token, no page");
        assertEquals(403, get(base + "/?token=" + "0".repeat(64), null).statusCode());
        HttpResponse<String> in = get(url, null);
        assertEquals(303, in.statusCode());
        String setCookie = in.headers().firstValue("Set-Cookie").orElseThrow();
        assertTrue(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict"), setCookie);
        String cookie = setCookie.substring(0, setCookie.indexOf(';'));
        HttpResponse<String> page = get(base + "/", cookie);
        assertEquals(200, page.statusCode());
        assertTrue(page.body().contains(id) && page.body().contains("git") && !page.body().contains("<script"), page.body());
        assertTrue(page.headers().firstValue("Content-Security-Policy").orElse("").contains("default-src 'none'"));
        Matcher m = Pattern.compile("name=\"csrf\" value=\"([0-9a-f]{64})\"").matcher(page.body());
        assertTrue(m.find(), page.body());
        String csrf = m.group(1);

        assertEquals(401, post(base, null, null, "csrf=" + csrf + "&id=" + id + "&decision=approve").statusCode(), "no cookie");
        assertEquals(403, post(base, cookie, null, "id=" + id + "&decision=approve").statusCode(), "no form token");
        assertEquals(403, post(base, cookie, "http://evil.example", "csrf=" + csrf + "&id=" + id + "&decision=approve").statusCode(), "cross-site");
        assertEquals(421, rawHostStatus(base, "evil.example"), "a rebinding name for this address");
        assertFalse(push.isDone(), "none of those decided it");

        assertEquals(303, post(base, cookie, base, "csrf=" + csrf + "&id=" + id + "&decision=approve&reason=looks+right").statusCode());
        Decision d = push.get(10, TimeUnit.SECONDS);
        assertTrue(d.allowed() && d.code().equals(Reasons.APPROVED) && d.reason().contains("page:") && d.reason().contains("looks right"), d.toString());
        assertTrue(f.auditLines().stream().anyMatch(l -> "approval-decided".equals(l.path("event").asText()) && l.path("by").asText().startsWith("page:")));
        assertTrue(get(base + "/", cookie).body().contains("No call is waiting"));
    }

    /** A GET with another Host header, over a plain socket (HTTP clients will not send one that differs from the URL). */
    static int rawHostStatus(String base, String host) throws Exception {
        URI u = URI.create(base);
        try (Socket s = new Socket(u.getHost(), u.getPort())) {
            OutputStream out = s.getOutputStream();
            out.write(("GET / HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            String status = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
            return Integer.parseInt(status.substring(9, 12));
        }
    }
}
