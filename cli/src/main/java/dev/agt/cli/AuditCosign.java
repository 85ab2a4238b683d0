package dev.agt.cli;

import dev.agt.audit.log.LogFiles;
import dev.agt.audit.merkle.Proofs;
import dev.agt.audit.note.Checkpoint;
import dev.agt.audit.note.Cosignature;
import dev.agt.audit.note.NoteKeys;
import dev.agt.audit.verify.RawLeaves;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code agt audit cosign DIR --witness URL --witness-key PUB}: has witnesses cosign the log's
 * latest checkpoint and keeps the cosigned note in {@code DIR.cosigned/} (by default), where
 * {@code agt audit verify --cosigned} checks it. Run it from a host that can read the log, as often
 * as a rollback must be caught (a timer). Each witness is sent the consistency proof from the
 * size it last cosigned (remembered in {@code witnesses.json}; a witness that answers 409 names its
 * own, and the proof is made from that).
 */
@Command(name = "cosign", mixinStandardHelpOptions = true,
        description = {"Have witnesses cosign the log's latest checkpoint (C2SP tlog-witness); keep the cosigned note for 'agt audit verify --cosigned'.",
                "Exit 0 when at least --witnesses of them cosigned; 1 when fewer did (a witness refusing a fork says why)."})
final class AuditCosign implements Callable<Integer> {
    @Parameters(paramLabel = "DIR")
    Path dir;

    @Option(names = "--pubkey", paramLabel = "FILE", description = "The engine's public key (default: DIR.pub).")
    Path pubkey;

    @Option(names = "--witness", required = true, paramLabel = "URL", description = "A witness's base URL (repeatable).")
    List<String> witnesses = new ArrayList<>();

    @Option(names = "--witness-key", required = true, paramLabel = "PUB", description = "A witness's public key (repeatable), to check what it returns.")
    List<Path> witnessKeys = new ArrayList<>();

    @Option(names = "--witnesses", paramLabel = "N", description = "How many cosignatures are needed (default: every witness given).")
    Integer required;

    @Option(names = "--out", paramLabel = "DIR", description = "Where cosigned notes are kept (default: DIR.cosigned beside the log).")
    Path out;

    @Override
    public Integer call() throws Exception {
        NoteKeys.Verifier logKey = AuditCommand.pubkey(pubkey, dir);
        List<NoteKeys.Verifier> keys = new ArrayList<>();
        for (Path p : witnessKeys) {
            keys.add(NoteKeys.readVerifier(p));
        }
        List<Path> cps = LogFiles.checkpoints(dir);
        if (cps.isEmpty()) {
            System.err.println("agt: " + dir + " has no signed checkpoint yet");
            return 2;
        }
        String note = Files.readString(cps.get(cps.size() - 1), StandardCharsets.UTF_8);
        Checkpoint c = Checkpoint.open(note, logKey);
        Path outDir = out != null ? out : dir.resolveSibling(dir.getFileName() + ".cosigned");
        Files.createDirectories(outDir);
        Path sizesFile = outDir.resolve("witnesses.json");
        @SuppressWarnings("unchecked")
        Map<String, Object> sizes = Files.exists(sizesFile) ? AuditCommand.JSON.readValue(sizesFile.toFile(), TreeMap.class) : new TreeMap<>();
        List<byte[]> leaves = RawLeaves.read(dir, c.size());
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        StringBuilder cosignatures = new StringBuilder();
        int got = 0;
        for (String url : witnesses) {
            long old = sizes.get(url) instanceof Number n ? n.longValue() : 0;
            String line = null;
            for (int attempt = 0; attempt < 2 && line == null; attempt++) {
                if (old > c.size()) {
                    System.err.println("agt: " + url + " has cosigned size " + old + ", more than this log's " + c.size() + ": the log was cut back (a rollback)");
                    break;
                }
                StringBuilder body = new StringBuilder("old " + old + "\n");
                if (old > 0 && old < c.size()) {
                    for (byte[] h : Proofs.consistency(old, c.size(), i -> leaves.get((int) i))) {
                        body.append(Base64.getEncoder().encodeToString(h)).append('\n');
                    }
                }
                body.append('\n').append(note);
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url.replaceAll("/+$", "") + "/add-checkpoint"))
                        .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    line = r.body();
                } else if (r.statusCode() == 409 && r.body().strip().matches("[0-9]{1,19}") && Long.parseLong(r.body().strip()) != old) {
                    old = Long.parseLong(r.body().strip()); // the witness holds another size: prove from that one
                } else {
                    System.err.println("agt: " + url + " refused checkpoint " + c.size() + ": HTTP " + r.statusCode() + " " + r.body().strip());
                    break;
                }
            }
            if (line == null) {
                continue;
            }
            String cosigned = note + line;
            boolean checked = keys.stream().anyMatch(k -> Cosignature.verify(cosigned, c, k).isPresent());
            if (!checked) {
                System.err.println("agt: " + url + " answered with no valid cosignature by the witness keys given");
                continue;
            }
            cosignatures.append(line.endsWith("\n") ? line : line + "\n");
            sizes.put(url, c.size());
            got++;
        }
        Files.write(sizesFile, AuditCommand.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(sizes));
        int need = required != null ? required : witnesses.size();
        if (got > 0) {
            Path f = outDir.resolve(LogFiles.checkpointName(c.size()));
            Files.writeString(f, note + cosignatures, StandardCharsets.UTF_8);
            System.out.println("checkpoint " + c.size() + ": " + got + " of " + witnesses.size() + " witnesses cosigned; kept in " + f);
        }
        return got >= need ? 0 : 1;
    }
}
