package dev.agt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agt.audit.log.ExportCursor;
import dev.agt.audit.log.LogFollower;
import dev.agt.audit.log.LogTail;
import dev.agt.audit.note.NoteKeys;
import dev.agt.cli.ocsf.Ocsf;
import java.io.IOException;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code agt audit export}: the log as OCSF events, once or continuously, each traceable to a signed checkpoint. */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Write the log's decisions and outcomes as OCSF 1.8.0 events, one JSON object a line, for a SIEM.",
                "Each event carries its sequence number and the signed checkpoint that covers it (unmapped.agt.checkpoint):"
                        + " 'agt audit prove DIR SEQ --checkpoint SIZE' proves it. Only entries a checkpoint covers are written.",
                "With --follow it keeps writing as the engine logs; with --cursor it resumes where it stopped (at least once:"
                        + " a record may repeat after a crash, never go missing; metadata.uid is unique per entry)."})
final class AuditExport implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int REMEMBERED = 1 << 14;

    @Parameters(paramLabel = "DIR", description = "The engine's audit directory.")
    Path dir;

    @Option(names = "--format", required = true, paramLabel = "FORMAT", description = "ocsf (the one format so far).")
    String format;

    @Option(names = "--out", paramLabel = "FILE", description = "Append to FILE instead of writing to standard output.")
    Path out;

    @Option(names = "--from", paramLabel = "SEQ", description = "Start at this entry (default: the cursor's position, else 0).")
    Long from;

    @Option(names = "--cursor", paramLabel = "FILE", description = "Where the next entry to export is kept: read at start, written after each batch.")
    Path cursor;

    @Option(names = "--follow", description = "Keep exporting as the log grows, until stopped.")
    boolean follow;

    @Option(names = "--poll", defaultValue = "1000", paramLabel = "MS", description = "With --follow: how often to look for new checkpoints (default ${DEFAULT-VALUE} ms).")
    long pollMs;

    @Option(names = "--pubkey", paramLabel = "FILE",
            description = "Check each checkpoint's signature and that the entries hash to it before exporting them (recommended).")
    Path pubkey;

    @Option(names = "--hostname", paramLabel = "NAME", description = "device.hostname in the events (default: this host's name).")
    String hostname;

    @Override
    public Integer call() throws Exception {
        if (!format.equals("ocsf")) {
            System.err.println("agt: unknown --format '" + format + "': the export format is ocsf");
            return 2;
        }
        if (!Files.isDirectory(dir.resolve("log"))) {
            System.err.println("agt: " + dir + " is not an audit directory (no log/ in it)");
            return 2;
        }
        if (pollMs < 10) {
            System.err.println("agt: --poll must be at least 10 ms");
            return 2;
        }
        ExportCursor position = cursor == null ? null : new ExportCursor(cursor);
        long start;
        if (from != null) {
            start = from;
        } else if (position != null) {
            ExportCursor.Resume r = position.read(dir);
            if (r.note() != null) {
                System.err.println("agt: " + r.note());
            }
            start = r.next();
        } else {
            start = 0;
        }
        if (start < 0) {
            System.err.println("agt: --from must be 0 or more");
            return 2;
        }
        NoteKeys.Verifier verifier = pubkey == null ? null : NoteKeys.readVerifier(pubkey);
        Ocsf ocsf = new Ocsf(version(), hostname != null ? hostname : localHostname());
        LogFollower follower = new LogFollower(dir, start, verifier);
        LogTail lookups = new LogTail(dir);
        Map<Long, JsonNode> recent = new LinkedHashMap<>(256, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Long, JsonNode> eldest) {
                return size() > REMEMBERED;
            }
        };
        long written = 0;
        long passedOver = 0;
        long unmapped = 0;
        endWithNewline(out);
        try (FileOutputStream sink = out == null ? null : new FileOutputStream(out.toFile(), true)) {
            PrintStream w = out == null ? System.out : new PrintStream(sink, false, StandardCharsets.UTF_8);
            while (true) {
                Optional<LogFollower.Batch> batch;
                try {
                    batch = follower.poll();
                } catch (LogFollower.Tampered e) {
                    System.err.println("agt: TAMPERED: " + e.getMessage() + "; nothing past entry " + follower.next() + " is exported");
                    return 1;
                }
                if (batch.isEmpty()) {
                    if (!follow) {
                        break;
                    }
                    Thread.sleep(pollMs);
                    continue;
                }
                LogFollower.Batch b = batch.get();
                long seq = b.from();
                for (byte[] line : b.lines()) {
                    JsonNode entry;
                    Optional<ObjectNode> event;
                    try {
                        entry = JSON.readTree(line);
                        if ("decision".equals(entry.path("type").asText())) {
                            recent.put(seq, entry);
                        }
                        event = ocsf.map(seq, entry, s -> decision(s, recent, lookups), b.checkpoint());
                    } catch (IOException | RuntimeException e) {
                        // an entry this exporter cannot read or map: said, counted, and the export goes on
                        System.err.println("agt: entry #" + seq + " could not be exported as OCSF (" + e.getMessage() + "); 'agt audit show' reads it");
                        unmapped++;
                        seq++;
                        continue;
                    }
                    if (event.isPresent()) {
                        byte[] text = (JSON.writeValueAsString(event.get()) + "\n").getBytes(StandardCharsets.UTF_8);
                        w.write(text, 0, text.length); // a line whole, in one write
                        written++;
                    } else {
                        passedOver++;
                    }
                    seq++;
                }
                w.flush();
                if (w.checkError()) {
                    System.err.println("agt: could not write the export; the cursor stays at " + b.from());
                    return 1;
                }
                if (sink != null && Files.isRegularFile(out)) {
                    sink.getChannel().force(false); // on disk before the cursor says it is exported (a pipe has no disk)
                }
                if (position != null) {
                    position.write(b.to(), b.checkpoint());
                }
            }
        }
        System.err.println("agt: exported " + written + " OCSF events up to entry " + follower.next() + " (the last checkpoint's size); "
                + passedOver + " engine events passed over" + (unmapped > 0 ? ", " + unmapped + " entries that could not be mapped" : ""));
        return 0;
    }

    /** The decision an outcome follows: from those seen in this export, else read from the log. */
    private static JsonNode decision(long seq, Map<Long, JsonNode> recent, LogTail lookups) {
        JsonNode d = recent.get(seq);
        if (d != null) {
            return d;
        }
        try {
            List<byte[]> lines = lookups.read(seq, seq + 1);
            return lines.isEmpty() ? null : JSON.readTree(lines.get(0));
        } catch (IOException e) {
            return null;
        }
    }

    /** A file an earlier export left with a partly written last line (it was stopped mid-write) gets its newline back first. */
    private static void endWithNewline(Path file) throws IOException {
        if (file == null || !Files.isRegularFile(file) || Files.size(file) == 0) {
            return;
        }
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.READ,
                java.nio.file.StandardOpenOption.WRITE)) {
            java.nio.ByteBuffer last = java.nio.ByteBuffer.allocate(1);
            ch.read(last, ch.size() - 1);
            if (last.get(0) != '\n') {
                ch.write(java.nio.ByteBuffer.wrap(new byte[] {'\n'}), ch.size());
            }
        }
    }

    static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "development build" : v;
    }

    static String localHostname() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
        } catch (IOException | RuntimeException e) {
            String h = System.getenv("HOSTNAME");
            return h == null || h.isBlank() ? "localhost" : h;
        }
    }
}
