package dev.agt.cli.ocsf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agt.audit.log.LogFollower;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Maps decision-log entries to OCSF events (schema 1.8.0), one class per call family:
 *
 * <pre>
 * file              File System Activity (1001)   read 2, write 3, create 1, delete 4, rename 5, attr 6, stat 8, list 2, link 99
 * net connect/send/listen  Network Activity (4001)  connect 1 Open, send 6 Traffic, listen 7 Listen
 * net resolve       DNS Activity (4003)           1 Query
 * process           Process Activity (1007)       exec 1 Launch, signal 99 Other
 * native            Module Activity (1005)        load 1 Load, restricted 3 Invoke
 * mcp, tool, model  API Activity (6003)           mcp list/read 2 Read, mcp call/prompt and tool call 99 Other, model 1 Create
 * </pre>
 *
 * The security-control profile carries what agt decided ({@code action_id} 1 Allowed, 2 Denied,
 * 3 Observed for a denial only logged in monitor mode, 4 Modified; {@code disposition_id} 1
 * Allowed, 2 Blocked, 17 Logged); {@code status_id} says whether the call went ahead. Model
 * calls use the ai_operation profile ({@code ai_model}, token counts in {@code message_context}).
 *
 * <p>Every event carries the entry's sequence number ({@code metadata.sequence}, and
 * {@code metadata.uid} = origin#seq) and the signed checkpoint that first covers it
 * ({@code unmapped.agt.checkpoint}: origin, size, root), so a SIEM record leads back to
 * {@code agt audit prove DIR SEQ --checkpoint SIZE}. What OCSF has no attribute for (the rule,
 * the policy's hash, the agent's identity) is under {@code unmapped.agt}.
 *
 * <p>Engine events (start, stop, kill switch, reloads) are not calls and are not mapped; an
 * export says how many it passed over.
 */
public final class Ocsf {
    public static final String SCHEMA_VERSION = "1.8.0";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String productVersion;
    private final String hostname;

    /**
     * @param productVersion agt's version, as {@code metadata.product.version}
     * @param hostname       the host the engine and its agents run on ({@code device.hostname})
     */
    public Ocsf(String productVersion, String hostname) {
        this.productVersion = productVersion;
        this.hostname = hostname;
    }

    /** The class an entry of {@code family}/{@code action} maps to. */
    static int classUid(String family, String action) {
        return switch (family) {
            case "file" -> 1001;
            case "native" -> 1005;
            case "process" -> 1007;
            case "net" -> action.equals("resolve") ? 4003 : 4001;
            default -> 6003; // mcp, tool, model, and a family this version does not know
        };
    }

    private static int activity(String family, String action) {
        return switch (family) {
            case "file" -> switch (action) {
                case "create" -> 1;
                case "read", "list" -> 2;
                case "write" -> 3;
                case "delete" -> 4;
                case "rename" -> 5;
                case "attr" -> 6;
                case "stat" -> 8;
                default -> 99;
            };
            case "native" -> action.equals("load") ? 1 : action.equals("restricted") ? 3 : 99;
            case "process" -> action.equals("exec") ? 1 : 99;
            case "net" -> switch (action) {
                case "connect" -> 1;
                case "send" -> 6;
                case "listen" -> 7;
                case "resolve" -> 1;
                default -> 99;
            };
            case "mcp" -> action.equals("list") || action.equals("read") ? 2 : 99;
            case "model" -> 1;
            default -> 99;
        };
    }

    private static String activityName(int classUid, int activity, String action) {
        String name = switch (classUid * 100 + activity) {
            case 100101 -> "Create";
            case 100102 -> "Read";
            case 100103 -> "Update";
            case 100104 -> "Delete";
            case 100105 -> "Rename";
            case 100106 -> "Set Attributes";
            case 100108 -> "Get Attributes";
            case 100501 -> "Load";
            case 100503 -> "Invoke";
            case 100701 -> "Launch";
            case 400101 -> "Open";
            case 400106 -> "Traffic";
            case 400107 -> "Listen";
            case 400301 -> "Query";
            case 600301 -> "Create";
            case 600302 -> "Read";
            default -> null;
        };
        return name != null ? name : Character.toUpperCase(action.charAt(0)) + action.substring(1);
    }

    private static String className(int classUid) {
        return switch (classUid) {
            case 1001 -> "File System Activity";
            case 1005 -> "Module Activity";
            case 1007 -> "Process Activity";
            case 4001 -> "Network Activity";
            case 4003 -> "DNS Activity";
            default -> "API Activity";
        };
    }

    private static String categoryName(int category) {
        return switch (category) {
            case 1 -> "System Activity";
            case 4 -> "Network Activity";
            default -> "Application Activity";
        };
    }

    /**
     * The OCSF event for one entry, or empty for an entry that is not about a call (engine events).
     *
     * @param seq        the entry's sequence number
     * @param entry      the entry as stored
     * @param decisionOf for an outcome that names the decision it follows but not the call: that decision
     * @param checkpoint the signed checkpoint that first covers the entry
     */
    public Optional<ObjectNode> map(long seq, JsonNode entry, java.util.function.LongFunction<JsonNode> decisionOf,
                                    LogFollower.Anchor checkpoint) {
        String type = entry.path("type").asText("");
        JsonNode request;
        String effect;
        boolean went;
        int actionId;
        int dispositionId;
        String code;
        String reason;
        String rule;
        if (type.equals("decision")) {
            request = entry.path("request");
            JsonNode d = entry.path("decision");
            effect = d.path("effect").asText("");
            code = d.path("code").asText("");
            reason = d.path("reason").asText("");
            rule = d.path("rule").asText("");
            boolean monitored = d.has("monitor");
            went = effect.equals("allow");
            actionId = went ? (monitored ? 3 : 1) : 2;
            dispositionId = went ? (monitored ? 17 : 1) : 2;
        } else if (type.equals("outcome")) {
            JsonNode o = entry.path("outcome");
            request = entry.get("request");
            if (request == null && entry.has("follows")) {
                JsonNode followed = decisionOf.apply(entry.path("follows").asLong());
                request = followed == null ? null : followed.get("request");
            }
            if (request == null) {
                request = JSON.createObjectNode();
            }
            effect = o.path("effect").asText("");
            code = o.path("code").asText("");
            reason = o.path("reason").asText("");
            rule = "";
            went = effect.equals("allow");
            String kind = o.path("kind").asText("");
            actionId = switch (kind) {
                case "passed-monitor" -> 3;
                case "modified" -> 4;
                default -> went ? 1 : 2;
            };
            dispositionId = kind.equals("passed-monitor") ? 17 : went ? 1 : 2;
        } else {
            return Optional.empty();
        }
        String family = request.path("family").asText("");
        String action = request.path("action").asText("");
        JsonNode target = request.path("target");
        int classUid = classUid(family, action);
        int activity = activity(family, action);
        int category = classUid / 1000;

        ObjectNode e = JSON.createObjectNode();
        e.put("class_uid", classUid);
        e.put("class_name", className(classUid));
        e.put("category_uid", category);
        e.put("category_name", categoryName(category));
        e.put("activity_id", activity);
        e.put("activity_name", activityName(classUid, activity, action.isEmpty() ? "unknown" : action));
        e.put("type_uid", (long) classUid * 100 + activity);
        e.put("time", millis(entry.path("time").asText("")));
        e.put("severity_id", went ? 1 : 3);
        e.put("severity", went ? "Informational" : "Medium");
        e.put("status_id", went ? 1 : 2);
        e.put("status", went ? "Success" : "Failure");
        e.put("status_code", code);
        e.put("status_detail", reason);
        e.put("action_id", actionId);
        e.put("action", switch (actionId) {
            case 1 -> "Allowed";
            case 2 -> "Denied";
            case 3 -> "Observed";
            default -> "Modified";
        });
        e.put("disposition_id", dispositionId);
        e.put("disposition", dispositionId == 1 ? "Allowed" : dispositionId == 2 ? "Blocked" : "Logged");
        e.put("is_alert", !went);
        JsonNode agent = entry.path("agent");
        e.put("message", "agt " + (type.equals("outcome") ? "outcome " + entry.path("outcome").path("kind").asText("") + ": " : "")
                + (went ? "allowed " : "denied ") + family + "/" + action + (rule.isEmpty() ? "" : " (rule " + rule + ")")
                + " for " + agent.path("name").asText("?"));

        ObjectNode metadata = e.putObject("metadata");
        metadata.put("version", SCHEMA_VERSION);
        ObjectNode product = metadata.putObject("product");
        product.put("name", "agt");
        product.put("vendor_name", "agt");
        product.put("version", productVersion);
        metadata.put("uid", checkpoint.origin() + "#" + seq);
        if (seq <= Integer.MAX_VALUE) {
            metadata.put("sequence", (int) seq); // integer_t; unmapped.agt.seq carries it always
        }
        metadata.put("log_name", checkpoint.origin());
        metadata.put("log_provider", "agt audit log");
        metadata.put("original_time", entry.path("time").asText(""));
        metadata.put("correlation_uid", agent.path("id").asText("") + "/session/" + agent.path("session").asText(""));
        ArrayNode profiles = metadata.putArray("profiles");
        profiles.add("security_control");
        profiles.add("host"); // the agent's process and host: core in the system classes, this profile's elsewhere

        ObjectNode actor = e.putObject("actor");
        actor.put("app_name", agent.path("name").asText(""));
        if (agent.hasNonNull("id")) {
            actor.put("app_uid", agent.path("id").asText());
        }
        ObjectNode proc = actor.putObject("process");
        if (agent.path("pid").canConvertToInt() && agent.path("pid").asInt() > 0) {
            proc.put("pid", agent.path("pid").asInt());
        } else {
            proc.put("uid", agent.path("id").asText("") + "/session/" + agent.path("session").asText(""));
        }
        if (agent.hasNonNull("uid")) {
            proc.putObject("user").put("uid", agent.path("uid").asText());
        }
        ObjectNode device = e.putObject("device");
        device.put("type_id", 0);
        device.put("type", "Unknown");
        device.put("hostname", hostname);

        switch (classUid) {
            case 1001 -> {
                e.set("file", file(target.path("path").asText(""), action.equals("list") ? 2 : 0));
                if (target.hasNonNull("dest")) {
                    e.set("file_result", file(target.path("dest").asText(), 0));
                }
            }
            case 1005 -> {
                ObjectNode module = e.putObject("module");
                if (action.equals("load")) {
                    module.set("file", file(target.path("path").asText(""), 1));
                    module.put("load_type_id", 1);
                    module.put("load_type", "Standard");
                } else {
                    module.put("function_name", target.path("method").asText(action));
                }
            }
            case 1007 -> {
                ObjectNode p = e.putObject("process");
                if (target.hasNonNull("pid") && target.path("pid").canConvertToInt()) {
                    p.put("pid", target.path("pid").asInt());
                } else {
                    p.put("uid", checkpoint.origin() + "#" + seq); // a launch not yet made has no pid: the log entry names it
                }
                if (target.hasNonNull("executable")) {
                    String exe = target.path("executable").asText();
                    p.set("file", file(exe, 8));
                    p.put("name", baseName(exe));
                }
                if (target.path("argv").isArray()) {
                    List<String> argv = new ArrayList<>();
                    target.path("argv").forEach(a -> argv.add(a.asText()));
                    p.put("cmd_line", String.join(" ", argv));
                }
            }
            case 4001 -> {
                ObjectNode ep = endpoint(target);
                e.set(action.equals("listen") ? "src_endpoint" : "dst_endpoint", ep);
                ObjectNode conn = e.putObject("connection_info");
                String transport = target.path("transport").asText("tcp");
                conn.put("protocol_name", transport);
                conn.put("direction_id", action.equals("listen") ? 1 : 2);
                conn.put("direction", action.equals("listen") ? "Inbound" : "Outbound");
            }
            case 4003 -> {
                e.putObject("query").put("hostname", target.path("host").asText(target.path("ip").asText("")));
                ObjectNode src = e.putObject("src_endpoint");
                src.put("hostname", hostname);
            }
            default -> api(e, family, action, target, entry);
        }

        ObjectNode agt = e.putObject("unmapped").putObject("agt");
        agt.put("seq", seq);
        ObjectNode cp = agt.putObject("checkpoint");
        cp.put("origin", checkpoint.origin());
        cp.put("size", checkpoint.size());
        cp.put("root", checkpoint.root());
        agt.put("entry_type", type);
        agt.put("family", family);
        agt.put("action", action);
        agt.put("effect", effect);
        agt.put("code", code);
        if (!rule.isEmpty()) {
            agt.put("rule", rule);
        }
        if (entry.hasNonNull("policy")) {
            agt.put("policy", entry.path("policy").asText());
            agt.put("policy_mode", entry.path("policy_mode").asText(""));
        }
        if (entry.hasNonNull("follows")) {
            agt.put("follows", entry.path("follows").asLong());
        }
        agt.set("agent", agent.deepCopy());
        return Optional.of(e);
    }

    private void api(ObjectNode e, String family, String action, JsonNode target, JsonNode entry) {
        ObjectNode api = e.putObject("api");
        ObjectNode src = e.putObject("src_endpoint");
        src.put("hostname", hostname);
        switch (family) {
            case "mcp" -> {
                api.put("operation", switch (action) {
                    case "call" -> "tools/call";
                    case "list" -> "tools/list";
                    case "read" -> "resources/read";
                    case "prompt" -> "prompts/get";
                    default -> action;
                });
                String server = target.path("server").asText(entry.path("mcp").path("server").path("name").asText(""));
                if (!server.isEmpty()) {
                    api.putObject("service").put("name", server);
                }
                if (target.hasNonNull("tool")) {
                    resource(e, target.path("tool").asText(), "mcp-tool");
                } else if (target.path("arguments").path("uri").isTextual()) {
                    resource(e, target.path("arguments").path("uri").asText(), "mcp-resource");
                }
            }
            case "tool" -> {
                api.put("operation", "tool/call");
                resource(e, target.path("tool").asText(""), "tool");
            }
            case "model" -> {
                api.put("operation", action);
                String provider = target.path("provider").asText("");
                if (!provider.isEmpty()) {
                    api.putObject("service").put("name", provider);
                }
                ObjectNode model = e.putObject("ai_model");
                model.put("ai_provider", provider);
                model.put("name", target.path("model").asText(""));
                JsonNode usage = target.path("usage");
                if (usage.isObject()) {
                    ObjectNode ctx = e.putObject("message_context");
                    ctx.putObject("service").put("name", provider);
                    if (usage.path("input").canConvertToInt()) {
                        ctx.put("prompt_tokens", usage.path("input").asInt());
                    }
                    if (usage.path("output").canConvertToInt()) {
                        ctx.put("completion_tokens", usage.path("output").asInt());
                    }
                    if (usage.path("input").canConvertToInt() && usage.path("output").canConvertToInt()) {
                        ctx.put("total_tokens", usage.path("input").asInt() + usage.path("output").asInt());
                    }
                }
                if (target.hasNonNull("endpoint")) {
                    e.putObject("dst_endpoint").put("hostname", target.path("endpoint").asText());
                }
                ((ArrayNode) e.path("metadata").path("profiles")).add("ai_operation");
            }
            default -> api.put("operation", family + "/" + action);
        }
    }

    private static void resource(ObjectNode e, String name, String type) {
        ObjectNode r = e.putArray("resources").addObject();
        r.put("name", name);
        r.put("type", type);
    }

    private static ObjectNode endpoint(JsonNode target) {
        ObjectNode ep = JSON.createObjectNode();
        if (target.hasNonNull("ip") && !target.path("ip").asText().equals("invalid")) {
            ep.put("ip", target.path("ip").asText());
        }
        if (target.hasNonNull("host")) {
            ep.put("hostname", target.path("host").asText());
        }
        if (target.path("port").canConvertToInt()) {
            ep.put("port", target.path("port").asInt());
        }
        if (target.hasNonNull("path")) {
            ep.put("name", target.path("path").asText()); // a Unix socket
        }
        if (ep.isEmpty()) {
            ep.put("name", "unknown");
        }
        return ep;
    }

    private static ObjectNode file(String path, int typeId) {
        ObjectNode f = JSON.createObjectNode();
        f.put("name", baseName(path));
        f.put("path", path);
        f.put("type_id", typeId);
        f.put("type", switch (typeId) {
            case 1 -> "Regular File";
            case 2 -> "Folder";
            case 8 -> "Executable File";
            default -> "Unknown";
        });
        return f;
    }

    private static String baseName(String path) {
        String p = path.endsWith("/") && path.length() > 1 ? path.substring(0, path.length() - 1) : path;
        int slash = p.lastIndexOf('/');
        return slash >= 0 && slash < p.length() - 1 ? p.substring(slash + 1) : p;
    }

    private static long millis(String iso) {
        try {
            return Instant.parse(iso).toEpochMilli();
        } catch (DateTimeParseException e) {
            return 0;
        }
    }
}
