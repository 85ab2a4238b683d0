package dev.agt.engine.server;

import dev.agt.audit.entry.EngineEvent;
import dev.agt.audit.note.NoteKeys;
import dev.agt.engine.bundle.Bundle;
import dev.agt.engine.policy.Policy;
import dev.agt.engine.policy.PolicyException;
import dev.agt.engine.policy.PolicyLoader;
import dev.agt.config.Problem;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The policy as a signed bundle ({@code agt engine --bundle URL|FILE --bundle-key PUB}): fetched
 * at start and every interval (and on a reload), opened only when its signature verifies with the
 * configured key and every file matches the manifest, never older than the bundle in force (the
 * highest version activated is kept in {@code STATE_DIR/bundles/active.json}, so a restart does
 * not reopen the door to a downgrade), and activated only when its policy is valid. Anything else
 * is refused and logged, and the last good bundle stays in force; at start, a source that fails
 * falls back to the last good bundle kept in the state directory, checked again.
 */
final class Bundles {
    /** The bundle in force. */
    record Active(long version, String hash, String signedBy, String source, String activated, Path entry) {
        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("source", source);
            m.put("version", version);
            m.put("hash", hash);
            m.put("signed_by", signedBy);
            m.put("activated", activated);
            return m;
        }
    }

    private final Engine engine;
    private final EngineConfig.Bundled settings;
    private final NoteKeys.Verifier key;
    private final Path dir;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).followRedirects(HttpClient.Redirect.NEVER).build();
    private volatile Active active;
    /** SHA-256 of the bytes last fetched, and the reason last logged for a refusal: neither is repeated every interval. */
    private String lastFetched = "";
    private String lastRefusal = "";
    private volatile String refusedNow = "";
    private final List<EngineEvent> beforeTheLog = new ArrayList<>();

    Bundles(Engine engine, EngineConfig.Bundled settings, Path stateDir) throws IOException {
        this.engine = engine;
        this.settings = settings;
        this.key = NoteKeys.readVerifier(settings.key());
        this.dir = stateDir.resolve("bundles");
    }

    Active active() {
        return active;
    }

    /** What status shows: the bundle in force, and the last refusal while the newest fetch is refused. */
    Map<String, Object> status() {
        Map<String, Object> m = active == null ? new LinkedHashMap<>() : active.toMap();
        if (!refusedNow.isEmpty()) {
            m.put("refused", refusedNow);
        }
        return m;
    }

    /** The policy to start with: the source's bundle, else the last good one kept here; else the engine cannot start. */
    synchronized Policy start() throws IOException, PolicyException {
        Floor floor = floor();
        String why;
        try {
            byte[] bytes = fetch();
            Bundle b = Bundle.open(bytes, key);
            String older = older(b, floor);
            if (older != null) {
                throw new Bundle.Refused(older);
            }
            Path entry = keep(b, bytes);
            Policy p = PolicyLoader.load(entry, engine.config.vars());
            becomes(b, entry, "start", floor == null ? "" : floor.hash(), p);
            return p;
        } catch (Bundle.Refused | IOException | RuntimeException e) {
            why = e.getMessage();
        } catch (PolicyException e) {
            why = "invalid policy: " + String.join("; ", e.problems().stream().map(Problem::toString).toList());
        }
        refused("start", "", -1, why, floor == null ? "" : floor.hash());
        if (floor == null) {
            throw new IOException("bundle " + settings.source() + " refused (" + why + ") and no earlier bundle was activated here");
        }
        // the last good bundle, opened and checked again as if it had just been fetched
        byte[] kept = Files.readAllBytes(dir.resolve(floor.hash() + ".bundle"));
        Bundle b;
        try {
            b = Bundle.open(kept, key);
        } catch (Bundle.Refused e) {
            throw new IOException("the last good bundle kept in " + dir + " no longer verifies: " + e.getMessage());
        }
        Path entry = keep(b, kept);
        Policy p = PolicyLoader.load(entry, engine.config.vars());
        becomes(b, entry, "start (last good: " + why + ")", floor.hash(), p);
        return p;
    }

    /** Events from before the log was open: written once it is. */
    synchronized List<EngineEvent> drainEarly() {
        List<EngineEvent> out = List.copyOf(beforeTheLog);
        beforeTheLog.clear();
        return out;
    }

    /** Fetches the source again: activates a newer valid bundle, refuses (and logs) anything else. */
    synchronized Map<String, Object> poll(String trigger) {
        Map<String, Object> result = new LinkedHashMap<>();
        Active cur = active;
        byte[] bytes;
        try {
            bytes = fetch();
        } catch (IOException e) {
            return refused(trigger, "", -1, "cannot fetch: " + e.getMessage(), cur.hash());
        }
        String raw = Bundle.sha256(bytes);
        if (raw.equals(lastFetched)) {
            // the same bytes as the last fetch, already activated or refused for good
            result.put("result", refusedNow.isEmpty() ? "unchanged" : "rejected");
            result.put("bundle", cur.hash());
            if (!refusedNow.isEmpty()) {
                result.put("problems", List.of(refusedNow));
            }
            return result;
        }
        Bundle b;
        try {
            b = Bundle.open(bytes, key);
        } catch (Bundle.Refused | RuntimeException e) {
            lastFetched = raw; // refused for what it is: the same bytes are refused again without a new entry
            return refused(trigger, "", -1, e.getMessage(), cur.hash());
        }
        if (b.hash().equals(cur.hash())) {
            refusedNow = "";
            result.put("result", "unchanged");
            result.put("bundle", cur.hash());
            return result;
        }
        String older = older(b, new Floor(cur.version(), cur.hash()));
        if (older != null) {
            lastFetched = raw;
            return refused(trigger, b.hash(), b.version(), older, cur.hash());
        }
        Path entry;
        Policy next;
        try {
            entry = keep(b, bytes);
            next = PolicyLoader.load(entry, engine.config.vars());
        } catch (IOException e) {
            return refused(trigger, b.hash(), b.version(), "cannot keep it: " + e.getMessage(), cur.hash());
        } catch (PolicyException e) {
            lastFetched = raw;
            return refused(trigger, b.hash(), b.version(), "invalid policy: "
                    + String.join("; ", e.problems().stream().map(Problem::toString).toList()), cur.hash());
        }
        try {
            becomes(b, entry, trigger, cur.hash(), next);
        } catch (IOException e) {
            // not for good (a full disk): the same bytes are tried again at the next poll
            return refused(trigger, b.hash(), b.version(), "cannot record it as the newest: " + e.getMessage(), cur.hash());
        }
        lastFetched = raw;
        result.put("result", "loaded");
        result.put("bundle", b.hash());
        result.put("version", b.version());
        result.put("policy", next.version());
        return result;
    }

    /** Why {@code b} may not replace the bundle of {@code floor}, or null. */
    private static String older(Bundle b, Floor floor) {
        if (floor == null || b.hash().equals(floor.hash())) {
            return null;
        }
        if (b.version() < floor.version()) {
            return "downgrade: version " + b.version() + " is older than version " + floor.version() + " already activated";
        }
        if (b.version() == floor.version()) {
            return "version " + b.version() + " was already activated with other content (bundle " + floor.hash().substring(0, 12) + ")";
        }
        return null;
    }

    private void becomes(Bundle b, Path entry, String trigger, String previous, Policy p) throws IOException {
        // the floor first: once a version is in force, nothing older is ever activated again, here or after a restart
        Path tmp = dir.resolve("active.json.tmp");
        Files.writeString(tmp, "{\"version\":" + b.version() + ",\"hash\":\"" + b.hash() + "\"}\n", StandardCharsets.UTF_8);
        Files.move(tmp, dir.resolve("active.json"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        EngineEvent e = new EngineEvent.BundleActivated(-1, Instant.now().toString(), trigger, settings.source(), b.hash(), b.version(), b.signedBy(),
                p.version(), previous);
        if (engine.logOpen()) {
            engine.bundleActivated(p, e, entry);
        } else {
            beforeTheLog.add(e);
        }
        // in force (and shown as such) once its policy is and its activation is logged
        active = new Active(b.version(), b.hash(), b.signedBy(), settings.source(), Instant.now().toString(), entry);
        refusedNow = "";
        lastRefusal = "";
        engine.log("bundle " + b.hash().substring(0, 12) + " (version " + b.version() + ", signed by " + b.signedBy() + ") activated (" + trigger + ")");
    }

    private Map<String, Object> refused(String trigger, String hash, long version, String reason, String kept) {
        refusedNow = reason;
        if (!reason.equals(lastRefusal)) {
            lastRefusal = reason;
            EngineEvent e = new EngineEvent.BundleRefused(-1, Instant.now().toString(), trigger, settings.source(), hash, version, reason, kept);
            if (engine.logOpen()) {
                engine.record(e);
            } else {
                beforeTheLog.add(e);
            }
            engine.counters.reloadsRejected.increment();
            engine.log("bundle refused (" + trigger + "): " + reason + (kept.isEmpty() ? "" : "; keeping " + kept.substring(0, 12)));
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("result", "rejected");
        result.put("problems", List.of(reason));
        if (!kept.isEmpty()) {
            result.put("bundle", kept);
        }
        return result;
    }

    /** Keeps the bundle's bytes and its extracted files under the state directory; returns the entry to load. */
    private Path keep(Bundle b, byte[] bytes) throws IOException {
        Files.createDirectories(dir);
        Path raw = dir.resolve(b.hash() + ".bundle");
        if (!Files.exists(raw)) {
            Path tmp = dir.resolve(b.hash() + ".bundle.tmp");
            Files.write(tmp, bytes);
            Files.move(tmp, raw, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
        Path files = dir.resolve(b.hash());
        if (Files.exists(files)) {
            // extracted before: written again from the checked bundle, so an edit there changes nothing
            try (var walk = Files.walk(files)) {
                for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        return b.extract(files);
    }

    private record Floor(long version, String hash) {
    }

    private Floor floor() throws IOException {
        Path f = dir.resolve("active.json");
        if (!Files.exists(f)) {
            if (Files.isDirectory(dir)) {
                try (var kept = Files.list(dir)) {
                    if (kept.anyMatch(p -> p.getFileName().toString().endsWith(".bundle"))) {
                        // bundles were activated here, but the record of the highest version is gone:
                        // starting from nothing would accept any older signed bundle
                        throw new IOException(f + " is missing although " + dir + " holds activated bundles; restore it, or remove "
                                + dir + " to start over deliberately");
                    }
                }
            }
            return null;
        }
        try {
            com.fasterxml.jackson.databind.JsonNode n = new com.fasterxml.jackson.databind.ObjectMapper().readTree(Files.readAllBytes(f));
            if (n == null || !n.path("version").canConvertToLong() || !n.path("hash").asText("").matches("[0-9a-f]{64}")) {
                throw new IOException("unreadable");
            }
            return new Floor(n.path("version").asLong(), n.path("hash").asText());
        } catch (IOException e) {
            // never start from nothing when a floor was set but cannot be read: that would reopen downgrades
            throw new IOException(f + " cannot be read (" + e.getMessage() + "); repair or remove it to start over");
        }
    }

    private byte[] fetch() throws IOException {
        String s = settings.source();
        if (s.startsWith("http://") || s.startsWith("https://")) {
            HttpRequest req = HttpRequest.newBuilder(URI.create(s)).timeout(Duration.ofSeconds(30)).GET().build();
            // one deadline for headers and body together: a server that trickles cannot hold the engine
            java.util.concurrent.CompletableFuture<HttpResponse<InputStream>> pending = http.sendAsync(req, HttpResponse.BodyHandlers.ofInputStream());
            java.util.concurrent.CompletableFuture<byte[]> body = pending.thenApply(r -> {
                try (InputStream in = r.body()) {
                    if (r.statusCode() != 200) {
                        throw new java.io.UncheckedIOException(new IOException(s + " answered HTTP " + r.statusCode()));
                    }
                    byte[] bytes = in.readNBytes(Bundle.MAX_BYTES + 1);
                    if (bytes.length > Bundle.MAX_BYTES) {
                        throw new java.io.UncheckedIOException(new IOException(s + " is larger than " + Bundle.MAX_BYTES + " bytes"));
                    }
                    return bytes;
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            try {
                return body.get(60, java.util.concurrent.TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                pending.thenAccept(r -> {
                    try {
                        r.body().close();
                    } catch (IOException ignored) {
                        // giving up on it anyway
                    }
                });
                body.cancel(true);
                throw new IOException(s + " did not deliver the bundle within 60 s");
            } catch (java.util.concurrent.ExecutionException e) {
                Throwable c = e.getCause() instanceof java.io.UncheckedIOException u ? u.getCause() : e.getCause();
                throw new IOException(c.getMessage(), c);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while fetching " + s);
            }
        }
        Path p = Path.of(s);
        if (Files.size(p) > Bundle.MAX_BYTES) {
            throw new IOException(s + " is larger than " + Bundle.MAX_BYTES + " bytes");
        }
        return Files.readAllBytes(p);
    }
}
