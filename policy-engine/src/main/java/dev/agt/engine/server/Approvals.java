package dev.agt.engine.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agt.identity.CanonicalJson;
import dev.agt.engine.state.StateFile;
import dev.agt.protocol.Request;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Calls held for a person ({@code effect: ask}). A held call waits for {@code agt approvals
 * approve|deny ID}, or its rule's timeout; each pending approval is bound to the digest of
 * exactly that call (agent, rule, family, action, target in canonical JSON), so a different call
 * never rides on it, and an approval with {@code remember} lets only identical calls through for
 * that long. Pending approvals are written to {@code STATE_DIR/approvals.json}: one left there
 * by an engine that stopped is logged as denied when the engine starts again, never approved.
 */
final class Approvals {
    /** A held call. */
    record Pending(String id, String digest, String agent, String user, String rule, Map<String, Object> request, long created, long expires,
                   long rememberMillis, Consumer<Resolution> then) {
        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", id);
            m.put("digest", digest);
            m.put("agent", agent);
            m.put("user", user); // the OS user of the process that made the call: never its own approver
            m.put("rule", rule);
            m.put("request", request);
            m.put("created", created);
            m.put("expires", expires);
            return m;
        }
    }

    /** How held call {@code id} ended: {@code result} approved, denied, timeout or stopped. */
    record Resolution(String result, String by, String reason, String id) {
        Resolution(String result, String by, String reason) {
            this(result, by, reason, "");
        }

        boolean approved() {
            return result.equals("approved");
        }
    }

    private static final SecureRandom RANDOM = new SecureRandom();
    private final Map<String, Pending> pending = new ConcurrentHashMap<>();
    private final Map<String, Long> remembered = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "agt-approval-timeouts");
        t.setDaemon(true);
        return t;
    });
    private final Store store;

    Approvals(Path stateDir) {
        this.store = new Store(stateDir);
    }

    /** Pending approvals an earlier run of the engine left (to log as denied), and the store emptied of them. */
    List<Map<String, Object>> leftByEarlierRun() throws StateFile.Unavailable {
        List<Map<String, Object>> left = store.state();
        if (!left.isEmpty()) {
            store.put(List.of());
        }
        return left;
    }

    /** The digest that binds an approval to one call. */
    static String digest(String agentId, String rule, Request req) {
        Map<String, Object> m = new TreeMap<>();
        m.put("agent", agentId);
        m.put("rule", rule);
        m.put("family", req.family());
        m.put("action", req.action());
        m.put("target", req.target());
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(CanonicalJson.bytes(m)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Until when an approval of this exact call is remembered, or null. */
    Long rememberedUntil(String digest) {
        Long until = remembered.get(digest);
        if (until != null && until <= System.currentTimeMillis()) {
            remembered.remove(digest, until);
            return null;
        }
        return until;
    }

    /** Holds a call; {@code then} runs once, when it is approved, denied, timed out or the engine stops. */
    Pending hold(String digest, String agent, String user, String rule, Map<String, Object> request, long timeoutMillis, long rememberMillis,
                 Consumer<Resolution> then) throws StateFile.Unavailable {
        byte[] b = new byte[8];
        RANDOM.nextBytes(b);
        long now = System.currentTimeMillis();
        Pending p = new Pending("ap-" + HexFormat.of().formatHex(b), digest, agent, user, rule, request, now, now + timeoutMillis, rememberMillis, then);
        synchronized (this) {
            List<Map<String, Object>> all = new ArrayList<>(store.state());
            all.add(p.toMap());
            store.put(all); // written before the call is held: a crash leaves it to be logged as denied
            pending.put(p.id(), p);
        }
        timer.schedule(() -> resolve(p.id(), new Resolution("timeout", "engine", "no one decided within " + timeoutMillis / 1000 + " s")),
                timeoutMillis, TimeUnit.MILLISECONDS);
        return p;
    }

    /** Ends a held call; false when it is not pending (already decided, timed out, or unknown). */
    boolean resolve(String id, Resolution r) {
        Pending p;
        synchronized (this) {
            p = pending.remove(id);
            if (p == null) {
                return false;
            }
            try {
                List<Map<String, Object>> all = new ArrayList<>(store.state());
                all.removeIf(m -> id.equals(m.get("id")));
                store.put(all);
            } catch (StateFile.Unavailable e) {
                // the call is decided either way; a stale entry is logged as denied at the next start
            }
        }
        if (r.approved() && p.rememberMillis() > 0) {
            remembered.put(p.digest(), System.currentTimeMillis() + p.rememberMillis());
        }
        p.then().accept(new Resolution(r.result(), r.by(), r.reason(), id));
        return true;
    }

    Pending get(String id) {
        return pending.get(id);
    }

    List<Pending> list() {
        List<Pending> out = new ArrayList<>(pending.values());
        out.sort((a, b) -> Long.compare(a.created(), b.created()));
        return out;
    }

    /** The engine stops: every held call is denied. */
    void stopAll() {
        for (String id : List.copyOf(pending.keySet())) {
            resolve(id, new Resolution("stopped", "engine", "the engine stopped while the call was held"));
        }
        timer.shutdownNow();
    }

    /** {@code approvals.json}: the pending approvals, as a list of their fields. */
    static final class Store extends StateFile<List<Map<String, Object>>> {
        private static final ObjectMapper JSON = new ObjectMapper();

        Store(Path dir) {
            super(dir, "approvals.json", "the approval store", "calls that need approval are denied until it is repaired or removed");
            load();
        }

        List<Map<String, Object>> state() throws Unavailable {
            return current();
        }

        void put(List<Map<String, Object>> all) throws Unavailable {
            store(List.copyOf(all));
        }

        @Override
        @SuppressWarnings("unchecked")
        protected List<Map<String, Object>> read(Path file) throws IOException {
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(file);
            } catch (NoSuchFileException e) {
                return List.of();
            }
            JsonNode root = jsonObject(bytes); // the state files' one strict reader (duplicate keys refused)
            onlyFields(root, java.util.Set.of("version", "pending"), "the file");
            if (root.path("version").asInt() != 1 || !root.path("pending").isArray()) {
                throw new Invalid("expected {\"version\": 1, \"pending\": [...]}");
            }
            List<Map<String, Object>> out = new ArrayList<>();
            for (JsonNode p : root.path("pending")) {
                if (!p.isObject() || !p.path("id").isTextual()) {
                    throw new Invalid("a pending approval needs an id");
                }
                out.add(JSON.convertValue(p, Map.class));
            }
            return List.copyOf(out);
        }

        @Override
        protected byte[] format(List<Map<String, Object>> state) throws IOException {
            ObjectNode root = JSON.createObjectNode();
            root.put("version", 1);
            ArrayNode list = root.putArray("pending");
            state.forEach(m -> list.add(JSON.valueToTree(m)));
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
        }
    }
}
