package dev.agt.engine.spend;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agt.engine.state.StateFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The spending ledger, kept in {@code STATE_DIR/spend.json} so that budgets outlive the engine
 * (a restart must not hand an agent a fresh budget):
 * <pre>
 * {"version": 1, "accounts": [
 *   {"budget": "per-agent", "subject": "research", "spent": [[1764806400000, 492000]], "held": 0}]}
 * </pre>
 * {@code spent} is the spending still inside the account's window as {@code [start millis,
 * micro-units]} pieces; {@code held} what calls in flight held when it was saved (counted as
 * spent when the engine starts again). Amounts are whole micro-units from 0 to 10^18; anything
 * else (fractions, negatives, text, unknown fields) makes the file invalid, and an invalid or
 * unreadable file is never overwritten: model calls under budgets are denied
 * ({@code state-unavailable}) until a person repairs or removes it.
 */
public final class SpendFile extends StateFile<Map<String, Ledger.Saved>> {
    public static final String FILE_NAME = "spend.json";
    static final int FORMAT = 1;
    /** Far above any real spending (10^12 currency units), far below overflow. */
    static final long MAX_AMOUNT = 1_000_000_000_000_000_000L;
    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(SerializationFeature.INDENT_OUTPUT);

    public SpendFile(Path dir) {
        super(dir, FILE_NAME, "the spending ledger",
                "model calls under budgets are denied until it is repaired, or removed (which forgets what was spent)");
        load();
    }

    /** The saved state; while the file is broken, reads it again and fails when it still is. */
    public Map<String, Ledger.Saved> state() throws Unavailable {
        return current();
    }

    /** A {@link Ledger.Store} that writes this file. */
    public Ledger.Store store() {
        return state -> {
            try {
                state(); // a broken file is never replaced, whatever the caller holds
                store(state);
            } catch (Unavailable e) {
                throw new IOException(e.getMessage(), e);
            }
        };
    }

    @Override
    protected Map<String, Ledger.Saved> read(Path file) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return Map.of();
        }
        return parse(bytes);
    }

    static Map<String, Ledger.Saved> parse(byte[] bytes) throws IOException {
        JsonNode root = jsonObject(bytes);
        onlyFields(root, Set.of("version", "accounts"), "the file");
        if (!root.path("version").isInt() || root.path("version").intValue() != FORMAT) {
            throw new Invalid("'version' must be " + FORMAT + ", found " + root.path("version"));
        }
        if (!root.path("accounts").isArray()) {
            throw new Invalid("'accounts' must be a list");
        }
        Map<String, Ledger.Saved> out = new TreeMap<>();
        int i = 0;
        for (JsonNode a : root.path("accounts")) {
            String where = "accounts[" + i++ + "]";
            if (!a.isObject()) {
                throw new Invalid(where + " must be an object");
            }
            onlyFields(a, Set.of("budget", "subject", "spent", "held"), where);
            if (!a.path("budget").isTextual() || a.path("budget").textValue().isEmpty() || !a.path("subject").isTextual()
                    || a.path("subject").textValue().isEmpty()) {
                throw new Invalid(where + ": 'budget' and 'subject' must be non-empty text");
            }
            if (!a.path("spent").isArray()) {
                throw new Invalid(where + ": 'spent' must be a list of [start millis, amount]");
            }
            List<long[]> pieces = new ArrayList<>();
            for (JsonNode p : a.path("spent")) {
                if (!p.isArray() || p.size() != 2) {
                    throw new Invalid(where + ": 'spent' must be a list of [start millis, amount]");
                }
                pieces.add(new long[] {whole(p.get(0), where + ": a start time", Long.MAX_VALUE), whole(p.get(1), where + ": an amount", MAX_AMOUNT)});
            }
            String key = a.path("budget").textValue() + "\0" + a.path("subject").textValue();
            if (out.put(key, new Ledger.Saved(pieces, whole(a.path("held"), where + ": 'held'", MAX_AMOUNT))) != null) {
                throw new Invalid(where + ": budget " + a.path("budget").textValue() + " for " + a.path("subject").textValue() + " is listed twice");
            }
        }
        return out;
    }

    /** A whole number from 0 to {@code max}, written as an integer (never 1.0, 1e3, "1" or -0). */
    private static long whole(JsonNode n, String what, long max) throws Invalid {
        if (n == null || !n.isIntegralNumber() || !n.canConvertToLong() || n.longValue() < 0 || n.longValue() > max) {
            throw new Invalid(what + " must be a whole number from 0 to " + max + ", found " + n);
        }
        return n.longValue();
    }

    @Override
    protected byte[] format(Map<String, Ledger.Saved> state) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", FORMAT);
        ArrayNode list = root.putArray("accounts");
        state.forEach((key, saved) -> {
            if (saved.spent().isEmpty() && saved.held() == 0) {
                return; // nothing inside its window: nothing to keep
            }
            int nul = key.indexOf('\0');
            ObjectNode a = list.addObject();
            a.put("budget", key.substring(0, nul));
            a.put("subject", key.substring(nul + 1));
            ArrayNode spent = a.putArray("spent");
            saved.spent().forEach(p -> spent.addArray().add(p[0]).add(Math.min(p[1], MAX_AMOUNT)));
            a.put("held", Math.min(saved.held(), MAX_AMOUNT));
        });
        return JSON.writeValueAsBytes(root);
    }
}
