package dev.agt.engine.mcp;

import dev.agt.engine.policy.Fact;
import dev.agt.protocol.Request;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Establishes the facts of an {@code mcp} request and what the audit entry says about its tools.
 *
 * <p>{@code list} with {@code tools}: every tool is scanned and fingerprinted, compared with its
 * pin (new, pinned or changed), and the store records it (a first sight pins it) before the
 * request is decided, so the facts hold for the calls that follow even if this list is denied.
 * A fact holds for the list when it holds for any of its tools. {@code call}: the facts are
 * looked up for the called server and tool.
 *
 * <p>A request without a {@code server} (a transport the rules could not name a server for)
 * has {@code mcp.server.unknown} whatever its action. Its tool list is scanned but never pinned:
 * with no server to key them by, pins of different servers would mix; so its calls are always
 * {@code mcp.tool.unknown} too.
 */
public final class McpFacts {
    private final PinStore pins;

    /**
     * @param facts what holds for the request
     * @param audit the {@code mcp} part of the audit entry: {@code facts}, and {@code tools} (list)
     *              or {@code tool} (call)
     */
    public record Result(Set<Fact> facts, Map<String, Object> audit) {
    }

    public McpFacts(PinStore pins) {
        this.pins = pins;
    }

    public PinStore pins() {
        return pins;
    }

    /** For a request of family mcp whose target passed {@code Vocabulary.typeProblem} and {@code Vocabulary.incomplete}. */
    public Result establish(Request request) throws ToolPins.Unavailable {
        EnumSet<Fact> facts = EnumSet.noneOf(Fact.class);
        if (!(request.target().get("server") instanceof String s) || s.isEmpty()) {
            facts.add(Fact.MCP_SERVER_UNKNOWN);
        }
        Map<String, Object> audit = new LinkedHashMap<>();
        switch (request.action()) {
            case "list" -> list(request.target(), facts, audit);
            case "call" -> call(request.target(), facts, audit);
            default -> {
                // read and prompt: no facts beyond the server's
            }
        }
        return result(facts, audit);
    }

    private record Scanned(ListedTool tool, String fingerprint, List<Finding> findings) {
    }

    /** How a listed tool compares with its pin: new, pinned or changed. */
    private record Compared(String status, String pin) {
    }

    private void list(Map<String, Object> target, EnumSet<Fact> facts, Map<String, Object> audit) throws ToolPins.Unavailable {
        if (!target.containsKey("tools")) {
            return; // the request made before the list is sent: nothing to scan yet
        }
        String server = facts.contains(Fact.MCP_SERVER_UNKNOWN) ? null : (String) target.get("server");
        // scanning is the expensive part: done before taking the store's lock
        List<Scanned> scanned = new ArrayList<>();
        Map<String, Integer> times = new HashMap<>();
        for (ListedTool t : ListedTool.of(target.get("tools"))) {
            times.merge(t.name(), 1, Integer::sum);
        }
        Map<String, TreeSet<String>> codesByName = new HashMap<>();
        for (ListedTool t : ListedTool.of(target.get("tools"))) {
            List<Finding> findings = new ArrayList<>(ToolScanner.scan(t));
            if (times.get(t.name()) > 1) {
                // two tools of one name: which one the model sees is up to the client, so neither is trustworthy
                findings.add(new Finding("duplicate-name", "name", "the list names '" + ToolScanner.clip(t.name()) + "' " + times.get(t.name()) + " times"));
            }
            scanned.add(new Scanned(t, t.fingerprint(), List.copyOf(findings)));
            TreeSet<String> codes = codesByName.computeIfAbsent(t.name(), n -> new TreeSet<>());
            findings.forEach(f -> codes.add(f.code()));
        }
        String now = Instant.now().toString();
        List<Compared> compared = server == null ? unpinned(scanned) : pins.change(store -> {
            Map<ToolPins.Key, ToolPins.Pin> before = Map.copyOf(store);
            List<Compared> out = new ArrayList<>();
            for (Scanned s : scanned) {
                ToolPins.Key k = new ToolPins.Key(server, s.tool().name());
                ToolPins.Pin old = before.get(k);
                ToolPins.Pin cur = store.get(k);
                if (cur == null || cur == old) {
                    // the first occurrence of this name in the list updates the store
                    String pin = old == null ? s.fingerprint() : old.pin();
                    String pinnedAt = old == null ? now : old.pinnedAt();
                    String seenAt = old != null && old.seen().equals(s.fingerprint()) ? old.seenAt() : now;
                    cur = new ToolPins.Pin(pin, pinnedAt, s.fingerprint(), seenAt, List.copyOf(codesByName.get(s.tool().name())));
                    store.put(k, cur);
                }
                out.add(new Compared(!cur.pin().equals(s.fingerprint()) ? "changed" : old == null ? "new" : "pinned", cur.pin()));
            }
            return out;
        });
        List<Object> tools = new ArrayList<>();
        for (int i = 0; i < scanned.size(); i++) {
            Scanned s = scanned.get(i);
            String status = compared.get(i).status();
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("name", s.tool().name());
            t.put("fingerprint", s.fingerprint());
            t.put("status", status);
            if (status.equals("changed")) {
                t.put("pin", compared.get(i).pin());
                facts.add(Fact.MCP_TOOL_CHANGED);
            }
            List<Object> findings = new ArrayList<>();
            s.findings().forEach(f -> findings.add(f.toMap()));
            t.put("findings", findings);
            if (!findings.isEmpty()) {
                facts.add(Fact.MCP_TOOL_FLAGGED);
            }
            tools.add(t);
        }
        audit.put("tools", tools);
    }

    /** A list from no named server: scanned, compared with nothing, stored nowhere. */
    private static List<Compared> unpinned(List<Scanned> scanned) {
        List<Compared> out = new ArrayList<>();
        scanned.forEach(s -> out.add(new Compared("unpinned", s.fingerprint())));
        return out;
    }

    private void call(Map<String, Object> target, EnumSet<Fact> facts, Map<String, Object> audit) throws ToolPins.Unavailable {
        Map<String, Object> tool = new LinkedHashMap<>();
        ToolPins.Pin pin = !facts.contains(Fact.MCP_SERVER_UNKNOWN) && target.get("server") instanceof String server
                && target.get("tool") instanceof String name ? pins.get(server, name) : null;
        if (pin == null) {
            // never listed by that server, or no tool named: nothing vouches for what the model was told about it
            facts.add(Fact.MCP_TOOL_UNKNOWN);
            tool.put("status", "unknown");
        } else {
            tool.put("status", pin.changed() ? "changed" : "pinned");
            tool.put("pin", pin.pin());
            tool.put("fingerprint", pin.seen());
            tool.put("findings", pin.findings());
            if (pin.changed()) {
                facts.add(Fact.MCP_TOOL_CHANGED);
            }
            if (pin.flagged()) {
                facts.add(Fact.MCP_TOOL_FLAGGED);
            }
        }
        audit.put("tool", tool);
    }

    private static Result result(EnumSet<Fact> facts, Map<String, Object> audit) {
        List<Object> names = new ArrayList<>();
        facts.forEach(f -> names.add(f.key()));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("facts", names);
        out.putAll(audit);
        return new Result(Set.copyOf(facts), out);
    }
}
