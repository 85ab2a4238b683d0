package dev.agt.engine.server;

import dev.agt.audit.entry.EngineEvent;
import dev.agt.audit.note.NoteKeys;
import dev.agt.audit.witness.WitnessClient;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The engine's witnesses ({@code agt engine --witness URL --witness-key PUB}): every interval the
 * latest signed checkpoint goes to each witness ({@link WitnessClient}), the cosigned note is kept in
 * {@code AUDIT_DIR.cosigned/} for {@code agt audit verify --witness-key}, and status and metrics
 * say up to which size the log is witnessed by the required number. A witness that refuses
 * (a fork or rollback shows here first) or cannot be reached is logged as {@code witness-refused},
 * once per distinct reason. Off the decision path: decisions never wait for a witness.
 */
final class Witnessing {
    private final Engine engine;
    private final WitnessClient client;
    private final int required;
    private final int of;
    private volatile long witnessedSize = -1;
    private volatile String last = "";
    private volatile List<String> lastBy = List.of();
    private final Map<String, String> lastRefusal = new LinkedHashMap<>();

    Witnessing(Engine engine, EngineConfig.Witnessing w, Path auditDir, NoteKeys.Verifier logKey) throws IOException {
        this.engine = engine;
        List<WitnessClient.Target> targets = new ArrayList<>();
        for (int i = 0; i < w.urls().size(); i++) {
            targets.add(new WitnessClient.Target(w.urls().get(i), NoteKeys.readVerifier(w.keys().get(i))));
        }
        this.client = new WitnessClient(auditDir, logKey, targets, WitnessClient.defaultOut(auditDir));
        this.required = w.required();
        this.of = targets.size();
    }

    /** One round; never throws. */
    void round() {
        try {
            WitnessClient.Round r = client.submit();
            if (r == null) {
                return;
            }
            last = Instant.now().toString();
            lastBy = r.cosignedBy();
            if (r.cosignedBy().size() >= required) {
                witnessedSize = Math.max(witnessedSize, r.size());
            }
            for (String refusal : r.refusals()) {
                String witness = refusal.substring(0, Math.max(0, refusal.indexOf(' ')));
                String reason = refusal.replaceFirst("^\\S+ refused checkpoint [0-9]+: ", "");
                if (!reason.equals(lastRefusal.put(witness, reason))) {
                    engine.record(new EngineEvent.WitnessRefused(-1, Instant.now().toString(), witness, r.size(), reason));
                    engine.log("witness " + witness + " did not cosign checkpoint " + r.size() + ": " + reason);
                }
            }
            if (r.refusals().isEmpty()) {
                lastRefusal.clear(); // every witness cosigned: the next refusal is news again
            }
        } catch (IOException | RuntimeException e) {
            engine.log("witnessing failed: " + e.getMessage());
        }
    }

    long witnessedSize() {
        return witnessedSize;
    }

    Map<String, Object> status() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("required", (long) required);
        m.put("witnesses", (long) of);
        m.put("witnessed_size", witnessedSize);
        m.put("last_round", last);
        m.put("last_cosigned_by", lastBy);
        return m;
    }
}
