package dev.agt.cli.suggest;

import dev.agt.engine.policy.Agent;
import dev.agt.protocol.Request;
import java.time.Instant;
import java.util.Map;

/**
 * What the log shows one agent doing to one target, however many times: the request (reduced to
 * the target fields a suggestion reads), how often it was allowed, how often it was a would-be
 * denial of an agent in monitor mode (the call went ahead), how often it was denied while
 * enforcing, and when it was first and last seen.
 */
final class Observed {
    final String agentName;
    final String agentId;
    final Request request;
    long allowed;
    long monitorDenied;
    long enforceDenied;
    /** The latest enforced denial's rule and reason code, e.g. {@code default-deny (default-deny)}. */
    String deniedBy = "";
    private Instant first;
    private Instant last;
    private String firstText = "";
    private String lastText = "";

    Observed(String agentName, String agentId, Request request) {
        this.agentName = agentName;
        this.agentId = agentId;
        this.request = request;
    }

    void seen(String time) {
        Instant t;
        try {
            t = Instant.parse(time);
        } catch (RuntimeException e) {
            return; // a time we cannot read does not move first/last seen
        }
        if (first == null || t.isBefore(first)) {
            first = t;
            firstText = time;
        }
        if (last == null || t.isAfter(last)) {
            last = t;
            lastText = time;
        }
    }

    /** Calls that went ahead: allowed, or denied only on paper (monitor mode). */
    long observed() {
        return allowed + monitorDenied;
    }

    long total() {
        return allowed + monitorDenied + enforceDenied;
    }

    Instant first() {
        return first;
    }

    Instant last() {
        return last;
    }

    String firstText() {
        return firstText;
    }

    String lastText() {
        return lastText;
    }

    String family() {
        return request.family();
    }

    String action() {
        return request.action();
    }

    Map<String, Object> target() {
        return request.target();
    }

    Agent agent() {
        return new Agent(agentId, agentName, "", "", Map.of());
    }

    /** One line for comments: {@code file/read /srv/work/a.txt}. */
    String describe() {
        Map<String, Object> t = request.target();
        String what;
        if (t.get("path") instanceof String p && !"net".equals(family())) {
            what = p + (t.get("dest") instanceof String d ? " -> " + d : "");
        } else if (t.get("host") instanceof String h) {
            what = h + (t.get("port") != null ? ":" + t.get("port") : "");
        } else if (t.get("path") instanceof String p) {
            what = "unix:" + p;
        } else if (t.get("executable") instanceof String x) {
            what = x + (t.get("argv") != null ? " " + t.get("argv") : "");
        } else if (t.get("server") instanceof String s) {
            what = s + (t.get("tool") instanceof String tool ? " " + tool : "");
        } else if (t.get("tool") instanceof String tool) {
            what = tool;
        } else {
            what = t.toString();
        }
        return family() + "/" + action() + " " + what;
    }
}
