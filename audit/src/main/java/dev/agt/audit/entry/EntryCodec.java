package dev.agt.audit.entry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.agt.audit.entry.DecisionEntry.Link;
import dev.agt.audit.entry.DecisionEntry.Monitor;
import dev.agt.audit.entry.DecisionEntry.Ruling;
import dev.agt.audit.entry.EngineEvent.EngineStart;
import dev.agt.audit.entry.EngineEvent.EngineStop;
import dev.agt.audit.entry.EngineEvent.KillSwitchChange;
import dev.agt.audit.entry.EngineEvent.LogRecovered;
import dev.agt.audit.entry.EngineEvent.PolicyLoaded;
import dev.agt.audit.entry.EngineEvent.PolicyRejected;
import dev.agt.audit.entry.EngineEvent.RegistryLoaded;
import dev.agt.audit.entry.EngineEvent.RegistryRejected;
import dev.agt.audit.entry.EngineEvent.SessionRefused;
import dev.agt.audit.entry.EngineEvent.SessionStart;
import dev.agt.audit.entry.EngineEvent.StateUnavailable;
import dev.agt.audit.entry.EngineEvent.BudgetWarning;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The one translation between {@link LogEntry} records and the log: {@link #toMap} gives the
 * members the engine appends (the log adds {@code seq} and {@code prev} and stores the canonical
 * JSON of the whole), {@link #read} turns a stored line back into the record.
 *
 * <p>The stored bytes are the contract: existing logs must keep verifying and reading, so a
 * record writes exactly the members, with the same names and value types, that the engine wrote
 * before there were records. {@code EntryCodecTest} holds real entries from the engine and
 * round-trips each byte for byte.
 *
 * <p>Reading is lenient inside an entry and strict about what an entry is. A line that is not a
 * JSON object with a string {@code type} is {@link MalformedEntryException}; a type or event this
 * reader does not know is an {@link UnknownEntry} or {@link EngineEvent.Unknown}; a known entry
 * with a member missing or of the wrong kind (possible only in a log that does not verify, or
 * one from an older engine) reads with that member empty ({@code ""}, {@code -1}, absent), so a
 * reader can still show what the log claims.
 */
public final class EntryCodec {
    /** Members the log adds to every entry; not part of any record but {@link LogEntry#seq}. */
    private static final Set<String> LOG_MEMBERS = Set.of("seq", "prev");
    /** The members every event has at its top level; a session-start's other members are its agent's. */
    private static final Set<String> EVENT_MEMBERS = Set.of("seq", "prev", "type", "time", "event", "admin");

    private EntryCodec() {
    }

    // ---------------------------------------------------------------- writing

    /**
     * The members the engine appends for this entry, in a new mutable map (the log adds {@code
     * seq} and {@code prev} to its own copy). Member order does not matter: the log stores
     * canonical JSON, which sorts them.
     */
    public static Map<String, Object> toMap(LogEntry entry) {
        if (entry instanceof DecisionEntry d) {
            return decision(d);
        }
        if (entry instanceof OutcomeEntry o) {
            return outcome(o);
        }
        if (entry instanceof EngineEvent v) {
            return event(v);
        }
        return new LinkedHashMap<>(((UnknownEntry) entry).fields());
    }

    private static Map<String, Object> decision(DecisionEntry d) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("type", DecisionEntry.TYPE);
        e.put("time", d.time());
        e.put("agent", d.agent());
        e.put("request", d.request());
        Ruling r = d.ruling();
        Map<String, Object> dec = new LinkedHashMap<>();
        dec.put("effect", r.effect());
        dec.put("rule", r.rule());
        dec.put("code", r.code());
        dec.put("reason", r.reason());
        r.sandbox().ifPresent(s -> dec.put("sandbox", s));
        r.monitor().ifPresent(m -> {
            Map<String, Object> mon = new LinkedHashMap<>();
            mon.put("by", m.by());
            mon.put("rule", m.rule());
            mon.put("code", m.code());
            mon.put("reason", m.reason());
            dec.put("monitor", mon);
        });
        r.link().ifPresent(l -> {
            Map<String, Object> link = new LinkedHashMap<>();
            link.put("index", l.index());
            link.put("parent", l.parent());
            link.put("child", l.child());
            link.put("scope", l.scope());
            dec.put("link", link);
        });
        e.put("decision", dec);
        d.mcp().ifPresent(m -> e.put("mcp", m));
        d.spend().ifPresent(m -> e.put("spend", m));
        d.labels().ifPresent(m -> e.put("labels", m));
        e.put("policy", d.policy());
        e.put("policy_mode", d.policyMode());
        return e;
    }

    private static Map<String, Object> outcome(OutcomeEntry o) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("type", OutcomeEntry.TYPE);
        e.put("time", o.time());
        e.put("agent", o.agent());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("kind", o.kind());
        out.put("effect", o.effect());
        out.put("code", o.code());
        out.put("reason", o.reason());
        out.put("at", o.at());
        e.put("outcome", out);
        if (o.follows() != OutcomeEntry.NONE) {
            e.put("follows", o.follows());
        }
        if (o.followsSession() != OutcomeEntry.NONE) {
            e.put("follows_session", o.followsSession());
        }
        o.request().ifPresent(r -> e.put("request", r));
        if (o.spooled()) {
            e.put("spooled", true);
        }
        o.gap().ifPresent(g -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("held", g.held());
            m.put("dropped", g.dropped());
            m.put("since", g.since());
            m.put("dropped_kinds", new TreeMap<>(g.droppedKinds()));
            e.put("gap", m);
        });
        return e;
    }

    private static Map<String, Object> event(EngineEvent v) {
        if (v instanceof EngineEvent.Unknown u) {
            return new LinkedHashMap<>(u.fields());
        }
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("type", EngineEvent.TYPE);
        e.put("time", v.time());
        e.put("event", v.event());
        if (v instanceof EngineStart s) {
            e.put("engine", s.engine());
            e.put("policy", s.policy());
            e.put("policy_file", s.policyFile());
            e.put("rules", s.rules());
            e.put("policy_mode", s.policyMode());
            e.put("state_dir", s.stateDir());
            e.put("auth", s.auth());
            e.put("registry", s.registry());
            e.put("registry_agents", s.registryAgents());
            s.kill().ifPresent(k -> e.put("kill", k));
            s.killProblem().ifPresent(p -> e.put("kill_problem", p));
        } else if (v instanceof EngineStop s) {
            e.put("engine", s.engine());
            e.put("allowed", s.allowed());
            e.put("denied", s.denied());
        } else if (v instanceof LogRecovered r) {
            e.put("entries", r.entries());
            e.put("torn_bytes_removed", r.tornBytesRemoved());
            e.put("checkpoint_size", r.checkpointSize());
            e.put("checkpoint_matched", r.checkpointMatched());
        } else if (v instanceof SessionStart s) {
            e.putAll(s.agent());
            if (s.admin()) {
                e.put("admin", true);
            }
        } else if (v instanceof SessionRefused s) {
            e.put("code", s.code());
            e.put("reason", s.reason());
            s.name().ifPresent(n -> e.put("name", n));
            e.put("uid", s.uid());
            e.put("pid", s.pid());
            e.put("transport", s.transport());
            e.put("connection", s.connection());
            s.did().ifPresent(d -> e.put("did", d));
            if (!s.chain().isEmpty()) {
                e.put("chain", s.chain());
            }
        } else if (v instanceof StateUnavailable s) {
            e.put("problem", s.problem());
        } else if (v instanceof BudgetWarning b) {
            e.put("budget", b.budget());
            e.put("subject", b.subject());
            e.put("spent", b.spent());
            e.put("warn", b.warn());
            e.put("limit", b.limit());
            e.put("currency", b.currency());
        } else if (v instanceof EngineEvent.ApprovalRequested a) {
            e.put("id", a.id());
            e.put("agent", a.agent());
            e.put("session", a.session());
            e.put("rule", a.rule());
            e.put("digest", a.digest());
            e.put("request", a.request());
            e.put("expires", a.expires());
        } else if (v instanceof EngineEvent.ApprovalDecided a) {
            e.put("id", a.id());
            e.put("result", a.result());
            e.put("by", a.by());
            e.put("reason", a.reason());
        } else if (v instanceof EngineEvent.LabelCleared l) {
            e.put("lineage", l.lineage());
            e.put("label", l.label());
            e.put("by", l.by());
            e.put("set_by", l.setBy());
            e.put("rule", l.rule());
        } else if (v instanceof EngineEvent.SpendUnsettled u) {
            e.put("agent", u.agent());
            e.put("session", u.session());
            e.put("provider", u.provider());
            e.put("model", u.model());
            e.put("calls", u.calls());
            e.put("cost", u.cost());
            e.put("currency", u.currency());
            e.put("budgets", u.budgets());
        } else if (v instanceof KillSwitchChange k) {
            if (k.agent().isPresent()) {
                e.put("agent", k.agent().get());
            } else {
                e.put("all", true);
            }
            e.put("by", k.by());
            e.put("changed", k.changed());
            e.put("state", k.state());
            e.put("sessions_stopped", k.sessionsStopped());
        } else if (v instanceof PolicyLoaded p) {
            e.put("trigger", p.trigger());
            e.put("policy", p.policy());
            e.put("previous", p.previous());
            e.put("rules", p.rules());
            e.put("policy_mode", p.policyMode());
        } else if (v instanceof PolicyRejected p) {
            e.put("trigger", p.trigger());
            e.put("kept", p.kept());
            e.put("problems", p.problems());
        } else if (v instanceof EngineEvent.BundleActivated b) {
            e.put("trigger", b.trigger());
            e.put("source", b.source());
            e.put("hash", b.hash());
            e.put("version", b.version());
            e.put("signed_by", b.signedBy());
            e.put("policy", b.policy());
            e.put("previous", b.previous());
        } else if (v instanceof EngineEvent.SharedRevocation r) {
            e.put("agent", r.agent());
            e.put("by", r.by());
            e.put("reason", r.reason());
            e.put("store", r.store());
        } else if (v instanceof EngineEvent.WitnessRefused w) {
            e.put("witness", w.witness());
            e.put("size", w.size());
            e.put("reason", w.reason());
        } else if (v instanceof EngineEvent.BundleRefused b) {
            e.put("trigger", b.trigger());
            e.put("source", b.source());
            e.put("hash", b.hash());
            e.put("version", b.version());
            e.put("reason", b.reason());
            e.put("kept", b.kept());
        } else if (v instanceof RegistryLoaded r) {
            e.put("trigger", r.trigger());
            e.put("registry", r.registry());
            e.put("agents", r.agents());
            e.put("revoked", r.revoked());
        } else if (v instanceof RegistryRejected r) {
            e.put("trigger", r.trigger());
            e.put("registry", r.registry());
            e.put("problem", r.problem());
            e.put("kept_agents", r.keptAgents());
        } else if (v instanceof OutcomeEvent o) {
            e.put("agent", o.agent());
            if (o.event().equals(OutcomeEvent.LOST)) {
                e.put("dropped", o.dropped());
                e.put("held", o.held());
                e.put("since", o.since());
                e.put("dropped_kinds", new TreeMap<>(o.droppedKinds()));
            } else {
                e.put("code", o.code());
                e.put("reason", o.reason());
                o.claimed().ifPresent(c -> e.put("claimed", c));
            }
        }
        return e;
    }

    // ---------------------------------------------------------------- reading

    /** The entry in a stored line (the bytes between two newlines). */
    public static LogEntry read(byte[] line) throws MalformedEntryException {
        JsonNode n;
        try {
            n = Json.MAPPER.readTree(line);
        } catch (JsonProcessingException e) {
            throw new MalformedEntryException("not JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new MalformedEntryException("not JSON: " + e.getMessage());
        }
        return read(n);
    }

    /** The entry in a stored line already parsed. */
    public static LogEntry read(JsonNode e) throws MalformedEntryException {
        if (e == null || e.isMissingNode()) {
            throw new MalformedEntryException("empty line");
        }
        if (!e.isObject()) {
            throw new MalformedEntryException("not a JSON object (a log entry is one object a line)");
        }
        if (!e.path("type").isTextual()) {
            throw new MalformedEntryException("no type (every log entry has a string member 'type')");
        }
        long seq = e.path("seq").canConvertToLong() && e.path("seq").isIntegralNumber() ? e.path("seq").asLong() : -1;
        String time = text(e, "time");
        return switch (e.path("type").asText()) {
            case DecisionEntry.TYPE -> decision(e, seq, time);
            case OutcomeEntry.TYPE -> outcome(e, seq, time);
            case EngineEvent.TYPE -> event(e, seq, time);
            default -> new UnknownEntry(seq, fields(e, LOG_MEMBERS));
        };
    }

    private static DecisionEntry decision(JsonNode e, long seq, String time) {
        JsonNode d = e.path("decision");
        Optional<Monitor> monitor = d.path("monitor").isObject() ? Optional.of(new Monitor(text(d.path("monitor"), "by"),
                text(d.path("monitor"), "rule"), text(d.path("monitor"), "code"), text(d.path("monitor"), "reason"))) : Optional.empty();
        JsonNode l = d.path("link");
        Optional<Link> link = l.isObject() ? Optional.of(new Link(number(l, "index", -1), text(l, "parent"), text(l, "child"),
                Json.map(l.get("scope")).orElse(Map.of()))) : Optional.empty();
        Ruling ruling = new Ruling(text(d, "effect"), text(d, "rule"), text(d, "code"), text(d, "reason"), optionalText(d, "sandbox"), monitor,
                link);
        return new DecisionEntry(seq, time, agent(e.get("agent")), Json.map(e.get("request")).orElse(Map.of()), ruling, Json.map(e.get("mcp")),
                Json.map(e.get("spend")), Json.map(e.get("labels")), text(e, "policy"), text(e, "policy_mode"));
    }

    private static OutcomeEntry outcome(JsonNode e, long seq, String time) {
        JsonNode o = e.path("outcome");
        JsonNode g = e.get("gap");
        Optional<OutcomeEntry.Gap> gap = g != null && g.isObject() ? Optional.of(new OutcomeEntry.Gap(g.path("held").asLong(0),
                g.path("dropped").asLong(0), g.path("since").asText(""), Json.counts(g.get("dropped_kinds")))) : Optional.empty();
        return new OutcomeEntry(seq, time, agent(e.get("agent")), o.path("kind").asText("?"), o.path("effect").asText("?"),
                o.path("code").asText(""), o.path("reason").asText(""), o.path("at").asText(""), number(e, "follows", OutcomeEntry.NONE),
                number(e, "follows_session", OutcomeEntry.NONE), Json.map(e.get("request")), e.path("spooled").asBoolean(false), gap);
    }

    private static EngineEvent event(JsonNode e, long seq, String time) {
        String kind = e.path("event").asText("");
        return switch (kind) {
            case EngineStart.EVENT -> new EngineStart(seq, time, text(e, "engine"), text(e, "policy"), text(e, "policy_file"),
                    number(e, "rules", -1), text(e, "policy_mode"), text(e, "state_dir"), text(e, "auth"), text(e, "registry"),
                    number(e, "registry_agents", -1), Json.map(e.get("kill")), optionalText(e, "kill_problem"));
            case EngineStop.EVENT -> new EngineStop(seq, time, text(e, "engine"), number(e, "allowed", -1), number(e, "denied", -1));
            case LogRecovered.EVENT -> new LogRecovered(seq, time, number(e, "entries", -1), number(e, "torn_bytes_removed", -1),
                    number(e, "checkpoint_size", -1), e.path("checkpoint_matched").asBoolean(false));
            case SessionStart.EVENT -> new SessionStart(seq, time, fields(e, EVENT_MEMBERS), e.path("admin").asBoolean(false));
            case SessionRefused.EVENT -> new SessionRefused(seq, time, text(e, "code"), text(e, "reason"), optionalText(e, "name"),
                    text(e, "uid"), number(e, "pid", -1), text(e, "transport"), number(e, "connection", -1), optionalText(e, "did"),
                    list(e.get("chain")));
            case StateUnavailable.EVENT -> new StateUnavailable(seq, time, text(e, "problem"));
            case BudgetWarning.EVENT -> new BudgetWarning(seq, time, text(e, "budget"), text(e, "subject"), number(e, "spent", -1), number(e, "warn", -1),
                    number(e, "limit", -1), text(e, "currency"));
            case EngineEvent.ApprovalRequested.EVENT -> new EngineEvent.ApprovalRequested(seq, time, text(e, "id"), text(e, "agent"),
                    number(e, "session", -1), text(e, "rule"), text(e, "digest"), Json.map(e.get("request")).orElse(Map.of()), number(e, "expires", -1));
            case EngineEvent.ApprovalDecided.EVENT -> new EngineEvent.ApprovalDecided(seq, time, text(e, "id"), text(e, "result"), text(e, "by"),
                    text(e, "reason"));
            case EngineEvent.LabelCleared.EVENT -> new EngineEvent.LabelCleared(seq, time, text(e, "lineage"), text(e, "label"), text(e, "by"),
                    number(e, "set_by", -1), text(e, "rule"));
            case EngineEvent.SpendUnsettled.EVENT -> new EngineEvent.SpendUnsettled(seq, time, text(e, "agent"), number(e, "session", -1),
                    text(e, "provider"), text(e, "model"), number(e, "calls", 0), number(e, "cost", 0), text(e, "currency"), list(e.get("budgets")));
            case KillSwitchChange.KILL, KillSwitchChange.REVIVE -> new KillSwitchChange(seq, time, kind.equals(KillSwitchChange.KILL),
                    optionalText(e, "agent"), text(e, "by"), e.path("changed").asBoolean(false), Json.map(e.get("state")).orElse(Map.of()),
                    number(e, "sessions_stopped", 0));
            case PolicyLoaded.EVENT -> new PolicyLoaded(seq, time, text(e, "trigger"), text(e, "policy"), text(e, "previous"),
                    number(e, "rules", -1), text(e, "policy_mode"));
            case PolicyRejected.EVENT -> new PolicyRejected(seq, time, text(e, "trigger"), text(e, "kept"), texts(e.get("problems")));
            case EngineEvent.BundleActivated.EVENT -> new EngineEvent.BundleActivated(seq, time, text(e, "trigger"), text(e, "source"), text(e, "hash"),
                    number(e, "version", -1), text(e, "signed_by"), text(e, "policy"), text(e, "previous"));
            case EngineEvent.SharedRevocation.REVOKED, EngineEvent.SharedRevocation.LIFTED -> new EngineEvent.SharedRevocation(seq, time,
                    kind.equals(EngineEvent.SharedRevocation.REVOKED), text(e, "agent"), text(e, "by"), text(e, "reason"), text(e, "store"));
            case EngineEvent.WitnessRefused.EVENT -> new EngineEvent.WitnessRefused(seq, time, text(e, "witness"), number(e, "size", -1), text(e, "reason"));
            case EngineEvent.BundleRefused.EVENT -> new EngineEvent.BundleRefused(seq, time, text(e, "trigger"), text(e, "source"), text(e, "hash"),
                    number(e, "version", -1), text(e, "reason"), text(e, "kept"));
            case RegistryLoaded.EVENT -> new RegistryLoaded(seq, time, text(e, "trigger"), text(e, "registry"), number(e, "agents", -1),
                    number(e, "revoked", -1));
            case RegistryRejected.EVENT -> new RegistryRejected(seq, time, text(e, "trigger"), text(e, "registry"), text(e, "problem"),
                    number(e, "kept_agents", -1));
            case OutcomeEvent.LOST, OutcomeEvent.REFUSED -> new OutcomeEvent(seq, time, kind, agent(e.get("agent")), e.path("dropped").asLong(0),
                    e.path("held").asLong(0), e.path("since").asText(""), Json.counts(e.get("dropped_kinds")), e.path("code").asText(""),
                    e.path("reason").asText(""), Json.map(e.get("claimed")));
            default -> new EngineEvent.Unknown(seq, fields(e, LOG_MEMBERS));
        };
    }

    private static Map<String, Object> agent(JsonNode n) {
        return Json.map(n).orElse(Map.of());
    }

    /** Every member of {@code e} but {@code except}, as plain values. */
    private static Map<String, Object> fields(JsonNode e, Set<String> except) {
        Map<String, Object> all = Json.map(e).orElse(Map.of());
        Map<String, Object> m = new LinkedHashMap<>();
        all.forEach((k, v) -> {
            if (!except.contains(k)) {
                m.put(k, v);
            }
        });
        return m;
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.path(field);
        return v.isTextual() ? v.asText() : "";
    }

    private static Optional<String> optionalText(JsonNode n, String field) {
        JsonNode v = n.path(field);
        return v.isTextual() ? Optional.of(v.asText()) : Optional.empty();
    }

    private static long number(JsonNode n, String field, long otherwise) {
        JsonNode v = n.path(field);
        return v.isIntegralNumber() && v.canConvertToLong() ? v.asLong() : otherwise;
    }

    private static List<Object> list(JsonNode n) {
        if (n == null || !n.isArray()) {
            return List.of();
        }
        List<Object> out = new ArrayList<>();
        n.forEach(x -> out.add(Json.MAPPER.convertValue(x, Object.class)));
        return out;
    }

    private static List<String> texts(JsonNode n) {
        List<String> out = new ArrayList<>();
        if (n != null && n.isArray()) {
            n.forEach(x -> out.add(x.asText()));
        }
        return out;
    }
}
