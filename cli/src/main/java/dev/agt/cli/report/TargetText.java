package dev.agt.cli.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** A request target in one line for people, per family (the full fields stay in the report beside it). */
final class TargetText {
    static final int MAX = 400;

    private TargetText() {
    }

    static String of(String family, String action, JsonNode t) {
        String s = switch (family) {
            case "file", "native" -> text(t, "path") + (t.has("dest") ? " -> " + text(t, "dest") : "");
            case "net" -> net(t);
            case "process" -> process(t);
            case "mcp" -> action.equals("list")
                    ? server(t) + (t.has("tools") ? " (lists " + t.path("tools").size() + " tools)" : " (asked for its tool list)")
                    : server(t) + " > " + text(t, "tool") + args(t);
            case "tool" -> text(t, "tool") + args(t);
            case "model" -> text(t, "provider") + " " + text(t, "model") + (t.has("endpoint") ? " at " + text(t, "endpoint") : "")
                    + (t.has("max_tokens") ? " (max " + text(t, "max_tokens") + " tokens)" : "")
                    + (t.has("usage") ? " used " + t.path("usage").toString() : "");
            default -> t.toString();
        };
        if (s.isBlank()) {
            s = t.toString();
        }
        return clip(s);
    }

    /** The MCP server, or what the agent could say of a transport that named none. */
    private static String server(JsonNode t) {
        if (t.has("server")) {
            return text(t, "server");
        }
        return "[no server named; transport " + (t.has("transport") ? text(t, "transport") : "unknown")
                + (t.has("endpoint") ? ", endpoint " + text(t, "endpoint") : "") + "]";
    }

    private static String net(JsonNode t) {
        if (t.has("url")) {
            return (t.has("method") ? text(t, "method") + " " : "") + text(t, "url");
        }
        if ("unix".equals(t.path("transport").asText())) {
            return "unix:" + text(t, "path");
        }
        StringBuilder b = new StringBuilder();
        if ("udp".equals(t.path("transport").asText())) {
            b.append("udp ");
        }
        b.append(t.has("host") ? text(t, "host") : text(t, "ip"));
        if (t.has("port")) {
            b.append(':').append(text(t, "port"));
        }
        if (t.has("ip") && t.has("host") && !text(t, "ip").equals(text(t, "host"))) {
            b.append(" (").append(text(t, "ip")).append(')');
        }
        return b.toString();
    }

    private static String process(JsonNode t) {
        JsonNode argv = t.path("argv");
        if (argv.isArray() && argv.size() > 0) {
            List<String> words = new ArrayList<>();
            for (JsonNode a : argv) {
                String w = a.asText();
                words.add(w.isEmpty() || w.matches(".*[\\s'\"].*") ? "'" + w.replace("'", "'\\''") + "'" : w);
            }
            String exe = text(t, "executable");
            String line = String.join(" ", words);
            return exe.isEmpty() || exe.endsWith("/" + argv.get(0).asText()) || exe.equals(argv.get(0).asText()) ? line : line + "  [" + exe + "]";
        }
        return text(t, "executable");
    }

    private static String args(JsonNode t) {
        JsonNode a = t.get("arguments");
        return a == null || a.isNull() ? "" : " " + (a.isTextual() ? a.asText() : a.toString());
    }

    private static String text(JsonNode t, String field) {
        JsonNode v = t.get(field);
        return v == null || v.isNull() ? "" : v.isValueNode() ? v.asText() : v.toString();
    }

    static String clip(String s) {
        return s.length() <= MAX ? s : s.substring(0, MAX) + "... (" + s.length() + " chars)";
    }
}
