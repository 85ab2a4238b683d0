package dev.agt.audit.witness;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agt.audit.log.LogFiles;
import dev.agt.audit.merkle.Proofs;
import dev.agt.audit.note.Checkpoint;
import dev.agt.audit.note.Cosignature;
import dev.agt.audit.note.NoteKeys;
import dev.agt.audit.verify.RawLeaves;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Has witnesses cosign a log's latest checkpoint: each is sent the consistency proof from the size
 * it last cosigned (remembered in {@code OUT/witnesses.json}; a witness that answers 409 names its
 * own, and the proof is made again from that), its answer is checked with its key, and the note
 * with every cosignature obtained is kept as {@code OUT/SIZE.note}, where {@code agt audit verify
 * --witness-key} reads it. Used by {@code agt audit cosign} and by an engine with {@code --witness}.
 */
public final class WitnessClient {
    /** A witness: its base URL and the key its cosignatures must verify with. */
    public record Target(String url, NoteKeys.Verifier key) {
    }

    /** What one round got: the checkpoint's size, who cosigned it, who refused it and why. */
    public record Round(long size, List<String> cosignedBy, List<String> refusals, Path note) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path logDir;
    private final NoteKeys.Verifier logKey;
    private final List<Target> witnesses;
    private final Path out;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).followRedirects(HttpClient.Redirect.NEVER).build();

    public WitnessClient(Path logDir, NoteKeys.Verifier logKey, List<Target> witnesses, Path out) {
        this.logDir = logDir;
        this.logKey = logKey;
        this.witnesses = List.copyOf(witnesses);
        this.out = out;
    }

    /** The directory cosigned notes go to by default: {@code DIR.cosigned} beside the log. */
    public static Path defaultOut(Path logDir) {
        Path abs = logDir.toAbsolutePath().normalize();
        return abs.resolveSibling(abs.getFileName() + ".cosigned");
    }

    /** One round on the latest checkpoint; null when the log has none yet. */
    public synchronized Round submit() throws IOException {
        List<Path> cps = LogFiles.checkpoints(logDir);
        if (cps.isEmpty()) {
            return null;
        }
        String note = Files.readString(cps.get(cps.size() - 1), StandardCharsets.UTF_8);
        Checkpoint c;
        try {
            c = Checkpoint.open(note, logKey);
        } catch (Checkpoint.NoteException e) {
            throw new IOException("the latest checkpoint does not verify: " + e.getMessage());
        }
        Files.createDirectories(out);
        Path sizesFile = out.resolve("witnesses.json");
        @SuppressWarnings("unchecked")
        Map<String, Object> sizes = Files.exists(sizesFile) ? JSON.readValue(sizesFile.toFile(), TreeMap.class) : new TreeMap<>();
        List<byte[]> leaves = null;
        StringBuilder cosignatures = new StringBuilder();
        List<String> by = new ArrayList<>();
        List<String> refusals = new ArrayList<>();
        for (Target w : witnesses) {
            long old = sizes.get(w.url()) instanceof Number n ? n.longValue() : 0;
            if (old == c.size() && Files.exists(out.resolve(LogFiles.checkpointName(c.size())))) {
                String kept = Files.readString(out.resolve(LogFiles.checkpointName(c.size())), StandardCharsets.UTF_8);
                String earlier = lineBy(kept, w.key().name());
                if (!earlier.isEmpty() && Cosignature.verify(note + earlier, c, w.key()).isPresent()) {
                    by.add(w.key().name()); // cosigned in an earlier round: carried over
                    cosignatures.append(earlier);
                    continue;
                }
            }
            String line = null;
            String why = null;
            for (int attempt = 0; attempt < 2 && line == null && why == null; attempt++) {
                if (old > c.size()) {
                    why = "it cosigned size " + old + ", more than this log's " + c.size() + ": the log was cut back (a rollback)";
                    break;
                }
                StringBuilder body = new StringBuilder("old " + old + "\n");
                if (old > 0 && old < c.size()) {
                    if (leaves == null) {
                        leaves = RawLeaves.read(logDir, c.size());
                    }
                    List<byte[]> ls = leaves;
                    for (byte[] h : Proofs.consistency(old, c.size(), i -> ls.get((int) i))) {
                        body.append(Base64.getEncoder().encodeToString(h)).append('\n');
                    }
                }
                body.append('\n').append(note);
                HttpResponse<String> r;
                try {
                    r = http.send(HttpRequest.newBuilder(URI.create(w.url().replaceAll("/+$", "") + "/add-checkpoint"))
                            .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(),
                            HttpResponse.BodyHandlers.ofString());
                } catch (IOException e) {
                    why = "unreachable: " + e.getMessage();
                    break;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted");
                }
                String answer = r.body() == null ? "" : r.body().strip();
                if (r.statusCode() == 200) {
                    line = r.body();
                } else if (r.statusCode() == 409 && answer.matches("[0-9]{1,19}") && Long.parseLong(answer) != old) {
                    old = Long.parseLong(answer); // the witness holds another size: prove from that one
                } else {
                    why = "HTTP " + r.statusCode() + " " + answer;
                }
            }
            if (line == null) {
                refusals.add(w.url() + " refused checkpoint " + c.size() + ": " + (why != null ? why : "no answer"));
                continue;
            }
            // only the one line that is this witness's valid cosignature goes into the note: anything
            // else it sent could spoil the note for the other witnesses
            String valid = null;
            for (String l : line.split("\n")) {
                if (!l.isEmpty() && Cosignature.verify(note + l + "\n", c, w.key()).isPresent()) {
                    valid = l + "\n";
                    break;
                }
            }
            if (valid == null) {
                refusals.add(w.url() + " answered with no valid cosignature by " + w.key().name());
                continue;
            }
            cosignatures.append(valid);
            sizes.put(w.url(), c.size());
            by.add(w.key().name());
        }
        Path tmp = out.resolve("witnesses.json.tmp");
        Files.write(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(sizes));
        Files.move(tmp, sizesFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Path f = null;
        if (!by.isEmpty()) {
            f = out.resolve(LogFiles.checkpointName(c.size()));
            Path t = out.resolve(LogFiles.checkpointName(c.size()) + ".tmp");
            Files.writeString(t, note + cosignatures, StandardCharsets.UTF_8);
            Files.move(t, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
        return new Round(c.size(), List.copyOf(by), List.copyOf(refusals), f);
    }

    /** The signature line by {@code name} in a note's signature block. */
    private static String lineBy(String note, String name) {
        int split = note.indexOf("\n\n");
        for (String l : note.substring(split + 2).split("\n")) {
            if (l.startsWith("\u2014 " + name + " ")) {
                return l + "\n";
            }
        }
        return "";
    }
}
