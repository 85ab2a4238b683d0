package dev.agt.engine.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A small page on loopback where a person approves or denies held calls ({@code agt engine
 * --approvals-port N}). No external assets and no scripts. Who may use it: whoever holds the
 * page's token (256 random bits, printed once by the engine and written 0600 to
 * {@code STATE_DIR/approvals-page.token}); the token is exchanged for a cookie that is
 * {@code HttpOnly; SameSite=Strict}. Every decision is a POST that carries a second secret (the
 * form's CSRF token), from a page of this origin ({@code Origin} and {@code Sec-Fetch-Site}
 * checked when the browser sends them), to a {@code Host} that is this loopback address (no DNS
 * rebinding). The approver is logged as {@code page} and the engine's user.
 */
final class ApprovalPage implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Engine engine;
    private final HttpServer server;
    private final String token;
    private final String csrf;
    private final int port;

    ApprovalPage(Engine engine, int port, Path stateDir) throws IOException {
        this.engine = engine;
        SecureRandom random = new SecureRandom();
        byte[] t = new byte[32];
        random.nextBytes(t);
        token = HexFormat.of().formatHex(t);
        random.nextBytes(t);
        csrf = HexFormat.of().formatHex(t);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 16);
        this.port = server.getAddress().getPort();
        Files.createDirectories(stateDir);
        Path file = stateDir.resolve("approvals-page.token");
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, url() + "\n");
        server.createContext("/", this::handle);
        server.start();
    }

    /** The address to open, with the token that signs a person in. */
    String url() {
        return "http://127.0.0.1:" + port + "/?token=" + token;
    }

    private void handle(HttpExchange ex) throws IOException {
        try {
            String host = ex.getRequestHeaders().getFirst("Host");
            if (host == null || !(host.equals("127.0.0.1:" + port) || host.equals("localhost:" + port))) {
                send(ex, 421, "text/plain", "this page answers only as 127.0.0.1:" + port);
                return;
            }
            String path = ex.getRequestURI().getPath();
            Map<String, String> query = form(ex.getRequestURI().getRawQuery());
            if (ex.getRequestMethod().equals("GET") && path.equals("/") && query.containsKey("token")) {
                if (!same(query.get("token"), token)) {
                    send(ex, 403, "text/plain", "wrong token");
                    return;
                }
                // the token leaves the address bar: a cookie carries it from now on
                ex.getResponseHeaders().add("Set-Cookie", "agt_approvals=" + token + "; HttpOnly; SameSite=Strict; Path=/");
                ex.getResponseHeaders().add("Location", "/");
                send(ex, 303, "text/plain", "");
                return;
            }
            if (!signedIn(ex)) {
                send(ex, 401, "text/plain", "open the address the engine printed (it carries the page's token)");
                return;
            }
            if (ex.getRequestMethod().equals("GET") && path.equals("/")) {
                send(ex, 200, "text/html; charset=utf-8", page());
                return;
            }
            if (ex.getRequestMethod().equals("POST") && path.equals("/decide")) {
                String origin = ex.getRequestHeaders().getFirst("Origin");
                String site = ex.getRequestHeaders().getFirst("Sec-Fetch-Site");
                if (origin != null && !(origin.equals("http://127.0.0.1:" + port) || origin.equals("http://localhost:" + port))
                        || site != null && !site.equals("same-origin")) {
                    send(ex, 403, "text/plain", "cross-site request refused");
                    return;
                }
                byte[] body = ex.getRequestBody().readNBytes(16 * 1024);
                Map<String, String> f = form(new String(body, StandardCharsets.UTF_8));
                if (!same(f.getOrDefault("csrf", ""), csrf)) {
                    send(ex, 403, "text/plain", "the form's token is missing or wrong");
                    return;
                }
                String id = f.getOrDefault("id", "");
                String decision = f.getOrDefault("decision", "");
                if (!id.matches("ap-[0-9a-f]{16}") || !(decision.equals("approve") || decision.equals("deny"))) {
                    send(ex, 400, "text/plain", "a decision names an approval id and approve or deny");
                    return;
                }
                boolean approve = decision.equals("approve");
                String reason = f.getOrDefault("reason", "");
                reason = reason.length() > 1000 ? reason.substring(0, 1000) : reason;
                engine.approvals().resolve(id, new Approvals.Resolution(approve ? "approved" : "denied", "page:" + engine.engineUser, reason));
                ex.getResponseHeaders().add("Location", "/");
                send(ex, 303, "text/plain", "");
                return;
            }
            send(ex, 404, "text/plain", "not found");
        } finally {
            ex.close();
        }
    }

    private boolean signedIn(HttpExchange ex) {
        for (String cookie : ex.getRequestHeaders().getOrDefault("Cookie", java.util.List.of())) {
            for (String part : cookie.split(";")) {
                String p = part.trim();
                if (p.startsWith("agt_approvals=") && same(p.substring("agt_approvals=".length()), token)) {
                    return true;
                }
            }
        }
        return false;
    }

    private String page() throws IOException {
        StringBuilder b = new StringBuilder("<!doctype html><html><head><meta charset=\"utf-8\"><title>agt approvals</title>"
                + "<style>body{font:14px system-ui,sans-serif;margin:2em}pre{background:#f4f4f4;padding:.5em;white-space:pre-wrap}"
                + "div.held{border:1px solid #ccc;padding:1em;margin:1em 0}</style></head><body><h1>Calls held for approval</h1>");
        var pending = engine.approvals().list();
        if (pending.isEmpty()) {
            b.append("<p id=\"none\">No call is waiting.</p>");
        }
        for (Approvals.Pending p : pending) {
            b.append("<div class=\"held\" id=\"").append(h(p.id())).append("\"><p><b>").append(h(p.agent())).append("</b> held by rule <b>")
                    .append(h(p.rule())).append("</b> until ").append(h(Instant.ofEpochMilli(p.expires()).toString())).append("</p><pre>")
                    .append(h(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(p.request()))).append("</pre><p>digest <code>")
                    .append(h(p.digest())).append("</code></p><form method=\"post\" action=\"/decide\"><input type=\"hidden\" name=\"csrf\" value=\"")
                    .append(csrf).append("\"><input type=\"hidden\" name=\"id\" value=\"").append(h(p.id()))
                    .append("\"><input name=\"reason\" placeholder=\"reason\"> <button name=\"decision\" value=\"approve\" class=\"approve\">Approve</button>"
                            + " <button name=\"decision\" value=\"deny\" class=\"deny\">Deny</button></form></div>");
        }
        return b.append("</body></html>").toString();
    }

    private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", type);
        ex.getResponseHeaders().add("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'");
        ex.getResponseHeaders().add("X-Content-Type-Options", "nosniff");
        // same-origin, not no-referrer: under no-referrer a browser sends "Origin: null" on the form POST, which the origin check refuses
        ex.getResponseHeaders().add("Referrer-Policy", "same-origin");
        ex.getResponseHeaders().add("Cache-Control", "no-store");
        ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            ex.getResponseBody().write(bytes);
        }
    }

    private static Map<String, String> form(String raw) {
        Map<String, String> m = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return m;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            m.putIfAbsent(k, v);
        }
        return m;
    }

    private static boolean same(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    private static String h(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;").replace("'", "&#39;");
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
