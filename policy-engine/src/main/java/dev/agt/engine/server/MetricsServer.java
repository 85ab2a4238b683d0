package dev.agt.engine.server;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Map;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/** Prometheus text-format metrics on loopback only, from the JDK's own HTTP server. */
final class MetricsServer implements AutoCloseable {
    private final HttpServer server;

    MetricsServer(Engine engine, int port) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 16);
        server.createContext("/metrics", ex -> {
            byte[] body = render(engine).getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    static String render(Engine engine) {
        Counters c = engine.counters();
        StringBuilder b = new StringBuilder();
        b.append("# HELP agt_decisions_total Decisions returned to agents, by effect.\n");
        b.append("# TYPE agt_decisions_total counter\n");
        b.append("agt_decisions_total{effect=\"allow\"} ").append(c.allowed.sum()).append('\n');
        b.append("agt_decisions_total{effect=\"deny\"} ").append(c.denied.sum()).append('\n');
        b.append("# HELP agt_audit_failures_total Decisions denied because the audit log could not be written.\n");
        b.append("# TYPE agt_audit_failures_total counter\n");
        b.append("agt_audit_failures_total ").append(c.auditFailures.sum()).append('\n');
        b.append("# HELP agt_evaluation_errors_total Evaluations that failed and so denied.\n");
        b.append("# TYPE agt_evaluation_errors_total counter\n");
        b.append("agt_evaluation_errors_total ").append(c.evaluationErrors.sum()).append('\n');
        b.append("# HELP agt_protocol_errors_total Connections closed for breaking the wire protocol.\n");
        b.append("# TYPE agt_protocol_errors_total counter\n");
        b.append("agt_protocol_errors_total ").append(c.protocolErrors.sum()).append('\n');
        b.append("# HELP agt_outcomes_total Local outcomes agents reported (what they did on their own), by result.\n");
        b.append("# TYPE agt_outcomes_total counter\n");
        b.append("agt_outcomes_total{result=\"logged\"} ").append(c.outcomes.sum()).append('\n');
        b.append("agt_outcomes_total{result=\"refused\"} ").append(c.outcomesRefused.sum()).append('\n');
        b.append("# HELP agt_policy_reloads_total Policy reloads by result.\n");
        b.append("# TYPE agt_policy_reloads_total counter\n");
        b.append("agt_policy_reloads_total{result=\"loaded\"} ").append(c.reloadsOk.sum()).append('\n');
        b.append("agt_policy_reloads_total{result=\"rejected\"} ").append(c.reloadsRejected.sum()).append('\n');
        b.append("# HELP agt_connections_total Connections accepted since the engine started.\n");
        b.append("# TYPE agt_connections_total counter\n");
        b.append("agt_connections_total ").append(c.connectionsTotal.sum()).append('\n');
        b.append("# HELP agt_connections Open agent connections.\n");
        b.append("# TYPE agt_connections gauge\n");
        b.append("agt_connections ").append(engine.connectionCount()).append('\n');
        b.append("# HELP agt_policy_info The policy in force.\n");
        b.append("# TYPE agt_policy_info gauge\n");
        b.append("agt_policy_info{version=\"").append(engine.policy().version()).append("\"} 1\n");
        Witnessing witnessing = engine.witnessing();
        if (witnessing != null) {
            b.append("# HELP agt_witnessed_size The largest checkpoint size cosigned by the required number of witnesses (-1: none yet).\n");
            b.append("# TYPE agt_witnessed_size gauge\n");
            b.append("agt_witnessed_size ").append(witnessing.witnessedSize()).append('\n');
        }
        Bundles.Active bundle = engine.bundle();
        if (bundle != null) {
            b.append("# HELP agt_bundle_info The signed policy bundle in force.\n");
            b.append("# TYPE agt_bundle_info gauge\n");
            b.append("agt_bundle_info{hash=\"").append(bundle.hash()).append("\",signed_by=\"").append(bundle.signedBy()).append("\"} 1\n");
            b.append("# HELP agt_bundle_version The version of the signed policy bundle in force.\n");
            b.append("# TYPE agt_bundle_version gauge\n");
            b.append("agt_bundle_version ").append(bundle.version()).append('\n');
        }
        Map<dev.agt.engine.spend.Ledger.Account, dev.agt.engine.spend.Ledger.Balance> spend = engine.spend().ledger().balances();
        if (!spend.isEmpty()) {
            String currency = engine.policy().spend().currency();
            b.append("# HELP agt_spend Spending on model calls in the budget's current window, in the policy's currency.\n");
            b.append("# TYPE agt_spend gauge\n");
            spend.forEach((a, bal) -> b.append("agt_spend").append(labels(a, currency)).append(' ').append(units(bal.spent())).append('\n'));
            b.append("# HELP agt_spend_held Estimates held for model calls in flight, in the policy's currency.\n");
            b.append("# TYPE agt_spend_held gauge\n");
            spend.forEach((a, bal) -> b.append("agt_spend_held").append(labels(a, currency)).append(' ').append(units(bal.held())).append('\n'));
            b.append("# HELP agt_budget_limit A budget's hard limit, in the policy's currency.\n");
            b.append("# TYPE agt_budget_limit gauge\n");
            spend.forEach((a, bal) -> b.append("agt_budget_limit").append(labels(a, currency)).append(' ').append(units(a.budget().limit())).append('\n'));
        }
        return b.toString();
    }

    private static String labels(dev.agt.engine.spend.Ledger.Account a, String currency) {
        return "{budget=\"" + escape(a.budget().id()) + "\",per=\"" + a.budget().per().name().toLowerCase(java.util.Locale.ROOT) + "\",subject=\""
                + escape(a.subject()) + "\",currency=\"" + escape(currency) + "\"}";
    }

    private static String units(long micros) {
        return java.math.BigDecimal.valueOf(micros, 6).stripTrailingZeros().toPlainString();
    }

    /** A label value as the Prometheus text format writes it: backslash, quote and newline escaped. */
    static String escape(String v) {
        return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
