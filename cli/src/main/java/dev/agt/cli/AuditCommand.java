package dev.agt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agt.identity.CanonicalJson;
import dev.agt.audit.entry.DecisionEntry;
import dev.agt.audit.entry.EngineEvent;
import dev.agt.audit.entry.EntryCodec;
import dev.agt.audit.entry.LogEntry;
import dev.agt.audit.entry.MalformedEntryException;
import dev.agt.audit.entry.OutcomeEntry;
import dev.agt.audit.entry.OutcomeEvent;
import dev.agt.audit.entry.UnknownEntry;
import dev.agt.audit.log.LogFiles;
import dev.agt.audit.note.KeyFileException;
import dev.agt.audit.note.NoteKeys;
import dev.agt.audit.verify.ProofFiles;
import dev.agt.audit.verify.Verifier;
import dev.agt.engine.server.EngineConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code agt audit}: keys, verification, proofs and reading of the signed decision log. */
@Command(name = "audit", mixinStandardHelpOptions = true, description = "Verify and read the signed decision log.",
        subcommands = {AuditCommand.Keygen.class, AuditCommand.Verify.class, AuditCommand.Prove.class,
                AuditCommand.CheckProof.class, AuditCommand.Show.class, AuditCommand.Tail.class, AuditCosign.class, AuditExport.class})
final class AuditCommand {
    static final ObjectMapper JSON = new ObjectMapper();

    /** The pinned public key: --pubkey, or AUDIT_DIR.pub beside the directory. */
    static NoteKeys.Verifier pubkey(Path given, Path dir) throws IOException {
        Path p = given != null ? given : EngineConfig.defaultPublicKey(dir);
        if (given == null && !Files.exists(p)) {
            throw new KeyFileException("no public key to verify with: pass --pubkey FILE (the engine's .pub file)");
        }
        return NoteKeys.readVerifier(p);
    }

    @Command(name = "keygen", mixinStandardHelpOptions = true,
            description = "Create an Ed25519 key pair for signing the log: NAME.key (mode 0600) and NAME.pub, which reviewers pin.")
    static final class Keygen implements Callable<Integer> {
        @Option(names = "--out", required = true, paramLabel = "PREFIX", description = "Writes PREFIX.key and PREFIX.pub.")
        Path out;

        @Option(names = "--name", paramLabel = "NAME", description = "Key name in signatures (default: agt-engine-HOST).")
        String name;

        @Override
        public Integer call() throws Exception {
            String n = name != null ? name
                    : "agt-engine-" + java.net.InetAddress.getLocalHost().getHostName().replaceAll("[^A-Za-z0-9.-]", "-");
            Path priv = out.resolveSibling(out.getFileName() + ".key");
            Path pub = out.resolveSibling(out.getFileName() + ".pub");
            NoteKeys.Signer s = NoteKeys.generate(n);
            NoteKeys.write(s, priv, pub);
            System.out.println("private key: " + priv + " (mode 0600; give it to the engine with --key)");
            System.out.println("public key:  " + pub + " (pin it: agt audit verify DIR --pubkey " + pub + ")");
            System.out.println("key id:      " + s.verifier().keyIdHex() + " (" + n + ")");
            return 0;
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = {"Recompute every entry hash, the chain, the Merkle root at each checkpoint, every signature, and "
                    + "consistency between checkpoints. Exit 0 when intact; 1 naming the first bad sequence number."})
    static final class Verify implements Callable<Integer> {
        @Parameters(paramLabel = "DIR", arity = "0..1", description = "The audit directory (or give --store).")
        Path dir;

        @Option(names = "--store", paramLabel = "URL",
                description = "Verify the log an engine shipped to the shared store (postgresql://...) instead of a directory: from the store alone.")
        String store;

        @Option(names = "--engine", paramLabel = "NAME", description = "With --store: the engine whose log to verify (its --engine-name; needed when the store holds several).")
        String engine;

        @Option(names = "--pubkey", paramLabel = "FILE", description = "The engine's public key (default: DIR.pub; needed with --store).")
        Path pubkey;

        @Option(names = "--checkpoint-copy", paramLabel = "DIR", description = "A copy of the checkpoints (the engine's --checkpoint-copy) to check the log against.")
        Path witness;

        @Option(names = "--cosigned", paramLabel = "DIR", description = "Checkpoints cosigned by witnesses ('agt audit cosign'; default DIR.cosigned with --witness-key).")
        Path cosigned;

        @Option(names = "--witness-key", paramLabel = "PUB", description = "A witness's public key (repeatable): checkpoints it cosigned must match the log.")
        java.util.List<Path> witnessKeys = new java.util.ArrayList<>();

        @Option(names = "--witnesses", paramLabel = "N", description = "Cosignatures a checkpoint needs to count (default: every --witness-key).")
        Integer witnesses;

        @Option(names = "--json", description = "Print the report as JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            if ((dir == null) == (store == null)) {
                System.err.println("agt: audit verify takes an audit directory DIR or --store URL (one of them)");
                return 2;
            }
            if (store != null) {
                return fromStore();
            }
            if (engine != null) {
                System.err.println("agt: --engine goes with --store");
                return 2;
            }
            if (!Files.isDirectory(dir)) {
                System.err.println("agt: " + dir + " is not a directory");
                return 2;
            }
            return verify();
        }

        /** Reads the engine's entries and checkpoints out of the store into a scratch directory, and verifies that like any log. */
        private Integer fromStore() throws Exception {
            if (pubkey == null) {
                System.err.println("agt: --store needs --pubkey FILE: the engine's public key, which the store's checkpoints must verify with");
                return 2;
            }
            if (!witnessKeys.isEmpty() && cosigned == null) {
                System.err.println("agt: with --store, --witness-key needs --cosigned DIR");
                return 2;
            }
            dev.agt.engine.shared.Database db;
            try {
                db = dev.agt.engine.shared.Database.of(store);
            } catch (dev.agt.engine.shared.Database.BadUrl e) {
                System.err.println("agt: --store: " + e.getMessage());
                return 2;
            }
            Path scratch = Files.createTempDirectory("agt-store-verify");
            try {
                String name = engine;
                if (name == null) {
                    java.util.List<String> names = dev.agt.engine.shared.LogStore.engines(db);
                    if (names.size() != 1) {
                        System.err.println("agt: the store holds " + (names.isEmpty() ? "no engine's log" : "the logs of " + String.join(", ", names))
                                + "; name one with --engine NAME");
                        return 2;
                    }
                    name = names.get(0);
                }
                dev.agt.engine.shared.LogStore.Exported x = dev.agt.engine.shared.LogStore.export(db, name, scratch);
                long n = x.entries();
                if (n == 0) {
                    System.err.println("agt: the store holds no entries for engine '" + name + "'");
                    return 1;
                }
                if (n > x.signedSize()) {
                    // an engine ships only what a checkpoint it signed covers: anything past that came from elsewhere
                    System.out.println("TAMPERED at #" + x.signedSize() + ": inserted: the store holds " + (n - x.signedSize())
                            + " entries of engine '" + name + "' beyond its last signed checkpoint (size " + x.signedSize()
                            + "); an engine ships only entries a checkpoint covers");
                    return 1;
                }
                dir = scratch;
                if (!json) {
                    System.out.println("store " + db.display() + ", engine " + name + ": " + n + " entries");
                }
                return verify();
            } catch (java.sql.SQLException e) {
                System.err.println("agt: cannot read the store " + db.display() + ": " + dev.agt.engine.shared.Database.describe(e));
                return 2;
            } finally {
                try (java.util.stream.Stream<Path> w = Files.walk(scratch)) {
                    w.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }

        private Integer verify() throws Exception {
            Verifier.Cosigned co = null;
            if (!witnessKeys.isEmpty()) {
                java.util.List<NoteKeys.Verifier> ws = new java.util.ArrayList<>();
                for (Path p : witnessKeys) {
                    ws.add(NoteKeys.readVerifier(p));
                }
                Path cd = cosigned != null ? cosigned : dir.resolveSibling(dir.getFileName() + ".cosigned");
                co = new Verifier.Cosigned(cd, ws, witnesses != null ? witnesses : ws.size());
            }
            Verifier.Report r;
            try {
                r = Verifier.verify(dir, pubkey(pubkey, dir), witness, co);
            } catch (IllegalArgumentException e) {
                System.err.println("agt: " + e.getMessage());
                return 2;
            }
            if (json) {
                System.out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(r.toMap()));
            } else if (r.ok()) {
                System.out.println("verified: " + r.entries() + " entries, " + r.checkpoints() + " checkpoints (signed up to size "
                        + r.signedSize() + "), signer key " + r.keyId() + (r.firstTime() != null ? ", " + r.firstTime() + " .. " + r.lastTime() : "")
                        + (witness != null ? ", consistent with the checkpoint copy" : "")
                        + (co != null ? ", consistent with the checkpoints " + co.required() + " of " + co.witnesses().size() + " witnesses cosigned" : ""));
            } else {
                System.out.println("TAMPERED at #" + r.firstBad() + ": " + r.kind() + ": " + r.message());
            }
            if (!json) {
                r.warnings().forEach(w -> System.out.println("warning: " + w));
            }
            return r.ok() ? 0 : 1;
        }
    }

    @Command(name = "prove", mixinStandardHelpOptions = true,
            description = {"Print a proof document (JSON) that reviewers can check offline with 'agt audit check-proof':",
                    "an inclusion proof of entry SEQ, or with --consistency OLD NEW, that checkpoint NEW extends checkpoint OLD."})
    static final class Prove implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "DIR")
        Path dir;

        @Parameters(index = "1", arity = "0..1", paramLabel = "SEQ")
        Long seq;

        @Option(names = "--checkpoint", paramLabel = "SIZE", description = "Prove against the checkpoint of this tree size (default: the first that covers SEQ).")
        Long checkpoint;

        @Option(names = "--consistency", arity = "2", paramLabel = "SIZE", description = "Two checkpoint sizes, OLD NEW.")
        long[] consistency;

        @Override
        public Integer call() throws Exception {
            try {
                Map<String, Object> proof;
                if (consistency != null) {
                    proof = ProofFiles.consistency(dir, consistency[0], consistency[1]);
                } else if (seq != null) {
                    proof = ProofFiles.inclusion(dir, seq, checkpoint == null ? -1 : checkpoint);
                } else {
                    System.err.println("agt: give SEQ, or --consistency OLD NEW");
                    return 2;
                }
                System.out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(proof));
                return 0;
            } catch (ProofFiles.BadProofException e) {
                System.err.println("agt: " + e.getMessage());
                return 1;
            }
        }
    }

    @Command(name = "check-proof", mixinStandardHelpOptions = true,
            description = "Check a proof document offline against the engine's public key.")
    static final class CheckProof implements Callable<Integer> {
        @Parameters(paramLabel = "PROOF")
        Path proof;

        @Option(names = "--pubkey", required = true, paramLabel = "FILE", description = "The engine's public key.")
        Path pubkey;

        @Override
        public Integer call() throws Exception {
            try {
                System.out.println(ProofFiles.check(Files.readString(proof, StandardCharsets.UTF_8), NoteKeys.readVerifier(pubkey)));
                return 0;
            } catch (ProofFiles.BadProofException e) {
                System.out.println("INVALID: " + e.getMessage());
                return 1;
            }
        }
    }

    /** Entry filters shared by show and tail. */
    static class Filters {
        /** Decisions remembered for the outcomes that follow them (an outcome may carry no request of its own). */
        static final int REMEMBERED = 1 << 14;

        @Option(names = "--agent", paramLabel = "NAME", description = "Only this agent.")
        String agent;

        @Option(names = "--family", paramLabel = "FAMILY", description = "Only this call family.")
        String family;

        @Option(names = "--effect", paramLabel = "allow|deny", description = "Only allowed or only denied calls (for a local outcome, "
                + "what the agent finally did).")
        String effect;

        @Option(names = "--since", paramLabel = "TIME", description = "From this ISO-8601 time on (e.g. 2026-11-27T10:00:00Z).")
        String since;

        @Option(names = "--until", paramLabel = "TIME", description = "Before this ISO-8601 time.")
        String until;

        @Option(names = "--json", description = "Print the entries as JSON lines, as stored.")
        boolean json;

        /** A decision's call: its family, and {@code family/action target} for people. */
        private record Call(String family, String text) {
        }

        /** Recent decisions by sequence number (a few hundred bytes each): the call an outcome follows. */
        private final Map<Long, Call> decided = new java.util.LinkedHashMap<>(1024, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Long, Call> eldest) {
                return size() > REMEMBERED;
            }
        };

        /** Reads every entry in order, whatever the filters: outcomes need the decisions they follow. */
        void seen(LogEntry e) {
            if (e instanceof DecisionEntry d && !d.request().isEmpty()) {
                decided.put(d.seq(), new Call(d.family(), call(d.request())));
            }
        }

        /**
         * The call an outcome is about: its own request, or when it has none, the request of the
         * decision it follows (when that is among the last {@link #REMEMBERED} decisions).
         */
        Call request(OutcomeEntry o) {
            if (o.request().isPresent()) {
                return new Call(text(o.request().get().get("family")), call(o.request().get()));
            }
            return o.followsDecision() ? decided.getOrDefault(o.follows(), new Call(null, "?")) : new Call(null, "?");
        }

        boolean keep(LogEntry e) {
            String time = e.time();
            if (since != null && time.compareTo(since) < 0 || until != null && time.compareTo(until) >= 0) {
                return false;
            }
            if (agent != null && !agent.equals(agentName(e))) {
                return false;
            }
            String entryFamily = e instanceof OutcomeEntry o ? request(o).family() : e instanceof DecisionEntry d ? d.family() : null;
            if (family != null && !family.equals(entryFamily)) {
                return false;
            }
            String finalEffect = e instanceof OutcomeEntry o ? o.effect() : e instanceof DecisionEntry d ? d.ruling().effect() : null;
            return effect == null || effect.equals(finalEffect);
        }

        /** The {@code agent.name} of an entry that has an agent member, else null. */
        private static String agentName(LogEntry e) {
            Map<String, Object> a = e instanceof DecisionEntry d ? d.agent() : e instanceof OutcomeEntry o ? o.agent()
                    : e instanceof OutcomeEvent v ? v.agent() : Map.of();
            return a.get("name") instanceof String s ? s : null;
        }

        String render(LogEntry e, String raw) {
            if (json) {
                return raw;
            }
            StringBuilder b = new StringBuilder();
            b.append('#').append(e.seq()).append("  ").append(e.time()).append("  ");
            if (e instanceof DecisionEntry d) {
                DecisionEntry.Ruling r = d.ruling();
                b.append(text(d.agent().get("name"))).append("  ").append(call(d.request())).append("  ")
                        .append(r.effect().toUpperCase()).append("  ").append(r.rule()).append(" (").append(r.code()).append(')');
            } else if (e instanceof OutcomeEntry o) {
                b.append(o.agentName()).append("  ").append(request(o).text()).append("  ").append(o.effect().toUpperCase())
                        .append("  outcome ").append(o.kind()).append(" (").append(o.code()).append(')');
                if (o.followsDecision()) {
                    b.append("  follows #").append(o.follows()).append(o.followsSession() >= 0 ? " (session " + o.followsSession() + ")" : "");
                } else {
                    b.append("  no decision");
                }
                if (o.spooled()) {
                    b.append("  spooled, happened ").append(o.at());
                }
                o.gap().ifPresent(g -> b.append("  after a gap since ").append(g.since()).append(": ").append(g.held()).append(" held, ")
                        .append(g.dropped()).append(" lost"));
                if (!o.reason().isEmpty()) {
                    b.append("  -- ").append(o.reason());
                }
            } else if (e instanceof OutcomeEvent v) {
                b.append("event ").append(v.event()).append("  ").append(v.agentName()).append(": ");
                if (v.event().equals(OutcomeEvent.LOST)) {
                    b.append(v.dropped()).append(" outcome(s) lost while the engine was unreachable (since ").append(v.since()).append(")");
                    if (!v.droppedKinds().isEmpty()) {
                        b.append(' ').append(v.droppedKinds());
                    }
                } else {
                    b.append(v.code()).append(": ").append(v.reason());
                }
            } else if (e instanceof EngineEvent v) {
                b.append("event ").append(v.event());
            } else {
                b.append("entry of unknown type ").append(((UnknownEntry) e).type());
            }
            return b.toString();
        }

        /** {@code family/action target} in a few words. */
        static String call(Map<String, Object> request) {
            Map<?, ?> t = request.get("target") instanceof Map<?, ?> m ? m : Map.of();
            String target = t.containsKey("path") ? text(t.get("path")) : t.containsKey("host") ? text(t.get("host"))
                    + (t.containsKey("port") ? ":" + text(t.get("port")) : "") : t.containsKey("executable") ? text(t.get("executable"))
                    : t.containsKey("tool") ? text(t.get("tool")) : CanonicalJson.string(t);
            return text(request.get("family")) + '/' + text(request.get("action")) + "  " + target;
        }

        /** A scalar as text; {@code ""} for none. */
        private static String text(Object v) {
            return v == null ? "" : v instanceof Map<?, ?> || v instanceof java.util.List<?> ? CanonicalJson.string(v) : String.valueOf(v);
        }
    }

    static void read(Path dir, Filters f, java.util.function.Consumer<String> out) throws IOException {
        for (Path seg : LogFiles.segments(dir)) {
            try (BufferedReader r = Files.newBufferedReader(seg, StandardCharsets.UTF_8)) {
                for (String line; (line = r.readLine()) != null; ) {
                    LogEntry e;
                    try {
                        e = EntryCodec.read(line.getBytes(StandardCharsets.UTF_8));
                    } catch (MalformedEntryException ex) {
                        out.accept("?? unreadable line in " + seg.getFileName() + ": " + ex.getMessage() + " (run 'agt audit verify')");
                        continue;
                    }
                    f.seen(e);
                    if (f.keep(e)) {
                        out.accept(f.render(e, line));
                    }
                }
            }
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Print log entries, one a line, with filters.")
    static final class Show extends Filters implements Callable<Integer> {
        @Parameters(paramLabel = "DIR")
        Path dir;

        @Override
        public Integer call() throws Exception {
            read(dir, this, System.out::println);
            return 0;
        }
    }

    @Command(name = "tail", mixinStandardHelpOptions = true, description = "Print the last entries of the log, with filters.")
    static final class Tail extends Filters implements Callable<Integer> {
        @Parameters(paramLabel = "DIR")
        Path dir;

        @Option(names = {"-n", "--lines"}, paramLabel = "N", defaultValue = "20", description = "How many entries (default 20).")
        int lines;

        @Override
        public Integer call() throws Exception {
            Deque<String> last = new ArrayDeque<>();
            read(dir, this, l -> {
                last.addLast(l);
                if (last.size() > lines) {
                    last.removeFirst();
                }
            });
            last.forEach(System.out::println);
            return 0;
        }
    }
}
