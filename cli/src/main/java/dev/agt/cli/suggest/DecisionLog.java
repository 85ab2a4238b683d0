package dev.agt.cli.suggest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agt.audit.entry.DecisionEntry;
import dev.agt.audit.entry.EntryCodec;
import dev.agt.audit.entry.MalformedEntryException;
import dev.agt.audit.log.LogFiles;
import dev.agt.audit.log.LogScan;
import dev.agt.audit.note.NoteKeys;
import dev.agt.audit.verify.Verifier;
import dev.agt.identity.CanonicalJson;
import dev.agt.protocol.Family;
import dev.agt.protocol.Request;
import dev.agt.protocol.TargetField;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Reads the decisions of a log for {@code agt policy suggest}. By default the log is verified
 * first (hashes, chain, Merkle roots, signatures, with the pinned key) and only the entries the
 * verification covered are read, through the same {@link LogScan} the verifier uses. A log that
 * does not verify is refused: a suggestion learned from altered evidence would launder it into
 * policy. With {@code --unverified} every readable line is read and the reading says so.
 */
final class DecisionLog {
    static final ObjectMapper JSON = new ObjectMapper();

    /** The target fields a suggestion reads, per family; the rest (frames, url, arguments...) are dropped. */
    static final Map<Family, Set<TargetField>> FIELDS = Map.of(
            Family.FILE, Set.of(TargetField.PATH, TargetField.DEST),
            Family.NET, Set.of(TargetField.HOST, TargetField.PORT, TargetField.TRANSPORT, TargetField.PATH),
            Family.PROCESS, Set.of(TargetField.EXECUTABLE, TargetField.ARGV),
            Family.NATIVE, Set.of(TargetField.PATH),
            Family.MCP, Set.of(TargetField.SERVER, TargetField.TOOL),
            Family.TOOL, Set.of(TargetField.TOOL),
            Family.MODEL, Set.of(TargetField.PROVIDER, TargetField.MODEL));

    /** The log could not be used; the message says why and what to do. */
    static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message);
        }
    }

    /**
     * What was read.
     *
     * @param observed  aggregated decisions of the agents asked for
     * @param decisions decision entries read (all agents)
     * @param agents    every agent name seen
     * @param header    lines for the top of the suggestion: where the evidence comes from
     * @param verified  whether the entries read were covered by a successful verification
     */
    record Reading(List<Observed> observed, long decisions, Set<String> agents, List<String> header, boolean verified) {
    }

    private final String agentFilter;
    private final Map<String, Observed> byKey = new LinkedHashMap<>();
    private final Set<String> agents = new TreeSet<>();
    private long decisions;
    private long unreadable;
    /** Settled model-call costs by agent, provider and model: {calls, micro-units}. */
    private final Map<String, long[]> spend = new java.util.TreeMap<>();
    private String currency = "";

    /** Header lines noting what model calls cost, for whoever sets budgets from this suggestion. */
    private List<String> spendNotes() {
        List<String> out = new ArrayList<>();
        if (spend.isEmpty()) {
            return out;
        }
        out.add("observed spend on model calls (settled costs in the log; set prices and budgets from these):");
        spend.forEach((k, v) -> out.add("  " + k.replace('\0', ' ') + ": " + v[0] + " call(s), "
                + java.math.BigDecimal.valueOf(v[1], 6).stripTrailingZeros().toPlainString() + (currency.isEmpty() ? "" : " " + currency)));
        return out;
    }

    private DecisionLog(String agentFilter) {
        this.agentFilter = agentFilter;
    }

    /**
     * @param key        the pinned public key, or null when none could be read
     * @param keyProblem why there is no key (when {@code key} is null)
     */
    static Reading read(Path dir, NoteKeys.Verifier key, String keyProblem, boolean unverified, String agent)
            throws IOException, Refused {
        if (LogFiles.segments(dir).isEmpty()) {
            throw new Refused(dir + " holds no log (nothing under " + LogFiles.segmentsDir(dir) + "); give the engine's --audit-dir");
        }
        DecisionLog r = new DecisionLog(agent);
        List<String> header = new ArrayList<>();
        Verifier.Report report = key == null ? null : Verifier.verify(dir, key, null);
        String status = report == null ? "not verified: " + keyProblem
                : report.ok() ? "verified: " + report.entries() + " entries, signed up to size " + report.signedSize()
                        + " by key " + report.keyId()
                : "DOES NOT VERIFY: TAMPERED at #" + report.firstBad() + ": " + report.kind() + ": " + report.message();
        if (!unverified) {
            if (report == null) {
                throw new Refused(keyProblem + "; the log must verify before anything is learned from it"
                        + " (or pass --unverified to read it anyway)");
            }
            if (!report.ok()) {
                throw new Refused(dir + " does not verify: TAMPERED at #" + report.firstBad() + ": " + report.kind() + ": "
                        + report.message() + "; nothing is learned from a log that does not verify (run 'agt audit verify "
                        + dir + "'; --unverified reads it anyway)");
            }
            long upTo = report.entries();
            LogScan.scan(dir, Set.of(), (e, line) -> {
                if (e.seq() < upTo && "decision".equals(e.type())) {
                    r.take(line);
                }
            });
            header.add("log " + dir + ": " + status);
            report.warnings().forEach(w -> header.add("warning: " + w));
            header.addAll(r.spendNotes());
            return new Reading(List.copyOf(r.byKey.values()), r.decisions, r.agents, header, true);
        }
        header.add("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
        header.add("!!! UNVERIFIED (--unverified): learned from a log that was read without being trusted.");
        header.add("!!! log " + dir + ": " + status);
        header.add("!!! Entries may have been altered, inserted or removed: this is not evidence of what ran.");
        header.add("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
        for (Path seg : LogFiles.segments(dir)) {
            try (BufferedReader in = Files.newBufferedReader(seg, StandardCharsets.UTF_8)) {
                for (String line; (line = in.readLine()) != null; ) {
                    r.take(line.getBytes(StandardCharsets.UTF_8));
                }
            }
        }
        if (r.unreadable > 0) {
            header.add("!!! " + r.unreadable + " unreadable line(s) skipped");
        }
        header.addAll(r.spendNotes());
        return new Reading(List.copyOf(r.byKey.values()), r.decisions, r.agents, header, report != null && report.ok());
    }

    private void take(byte[] line) {
        if (line.length == 0) {
            return;
        }
        DecisionEntry e;
        try {
            if (!(EntryCodec.read(line) instanceof DecisionEntry d)) {
                return;
            }
            e = d;
        } catch (MalformedEntryException ex) {
            unreadable++;
            return;
        }
        decisions++;
        String name = e.agentName().isEmpty() ? "?" : e.agentName();
        agents.add(name);
        if (agentFilter != null && !agentFilter.equals(name)) {
            return;
        }
        String family = e.family();
        String action = e.action();
        if (family.isEmpty() || action.isEmpty()) {
            unreadable++;
            return;
        }
        if (e.spend().isPresent() && e.spend().get().get("cost") instanceof Number cost && cost.longValue() >= 0) {
            long[] v = spend.computeIfAbsent(name + '\0' + e.target().get("provider") + '\0' + e.target().get("model"), k -> new long[2]);
            v[0]++;
            v[1] = v[1] + cost.longValue() < 0 ? Long.MAX_VALUE : v[1] + cost.longValue();
            currency = e.spend().get().get("currency") instanceof String c ? c : currency;
        }
        Map<String, Object> target = reduce(family, JSON.valueToTree(e.target()));
        String key = name + '\0' + family + '\0' + action + '\0' + CanonicalJson.string(target);
        String id = e.agent().get("id") instanceof String s ? s : name;
        Observed o = byKey.computeIfAbsent(key, k -> new Observed(name, id, Request.of(family, action, target)));
        boolean allow = e.ruling().allowed();
        boolean monitor = "monitor".equals(e.agentMode());
        if (allow) {
            o.allowed++;
        } else if (monitor) {
            o.monitorDenied++;
        } else {
            o.enforceDenied++;
            o.deniedBy = e.ruling().rule() + " (" + e.ruling().code() + ")";
        }
        o.seen(e.time());
    }

    /** The fields a suggestion reads, as the plain values requests carry (numbers as Long). */
    static Map<String, Object> reduce(String family, JsonNode target) {
        Map<String, Object> out = new TreeMap<>();
        Set<TargetField> keep = Family.of(family).map(f -> FIELDS.getOrDefault(f, Set.of())).orElse(Set.of());
        target.fields().forEachRemaining(f -> {
            if (TargetField.of(f.getKey()).filter(keep::contains).isEmpty()) {
                return;
            }
            JsonNode v = f.getValue();
            if (v.isTextual()) {
                out.put(f.getKey(), v.asText());
            } else if (v.isIntegralNumber() && v.canConvertToLong()) {
                out.put(f.getKey(), v.asLong());
            } else if (v.isArray()) {
                List<String> items = new ArrayList<>();
                for (JsonNode i : v) {
                    if (!i.isTextual()) {
                        return;
                    }
                    items.add(i.asText());
                }
                out.put(f.getKey(), List.copyOf(items));
            }
        });
        return out;
    }
}
