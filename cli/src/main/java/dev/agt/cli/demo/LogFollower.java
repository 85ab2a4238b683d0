package dev.agt.cli.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agt.audit.entry.DecisionEntry;
import dev.agt.audit.entry.EntryCodec;
import dev.agt.audit.entry.LogEntry;
import dev.agt.audit.entry.MalformedEntryException;
import dev.agt.audit.log.LogFiles;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Follows the engine's log as it grows (complete lines only), for the demo's live view. Reads;
 * never writes: the engine owns the log.
 */
public final class LogFollower {
    static final ObjectMapper JSON = new ObjectMapper();
    private final Path dir;
    private final Consumer<LogEntry> sink;
    private final Map<Path, Long> offsets = new HashMap<>();
    private volatile boolean stop;
    private Thread thread;

    public LogFollower(Path dir, Consumer<LogEntry> sink) {
        this.dir = dir;
        this.sink = sink;
    }

    public void start() {
        thread = new Thread(() -> {
            while (!stop) {
                poll();
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "agt-demo-log");
        thread.setDaemon(true);
        thread.start();
    }

    /** Shows what is left, then stops. */
    public void drainAndStop() throws InterruptedException {
        stop = true;
        thread.join(2000);
        poll();
    }

    private synchronized void poll() {
        try {
            if (!Files.isDirectory(LogFiles.segmentsDir(dir))) {
                return;
            }
            for (Path seg : LogFiles.segments(dir)) {
                long off = offsets.getOrDefault(seg, 0L);
                try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "r")) {
                    if (f.length() <= off) {
                        continue;
                    }
                    byte[] b = new byte[(int) (f.length() - off)];
                    f.seek(off);
                    f.readFully(b);
                    int last = -1;
                    for (int i = 0; i < b.length; i++) {
                        if (b[i] == '\n') {
                            byte[] line = java.util.Arrays.copyOfRange(b, last + 1, i);
                            last = i;
                            try {
                                sink.accept(EntryCodec.read(line));
                            } catch (MalformedEntryException malformed) {
                                // the verifier judges the log; the live view skips what it cannot read
                            }
                        }
                    }
                    offsets.put(seg, off + last + 1);
                }
            }
        } catch (IOException e) {
            // a segment rotated away between listing and reading: next poll
        }
    }

    /** Every decision entry of a log. */
    public static List<DecisionEntry> readAll(Path dir) throws IOException {
        List<DecisionEntry> out = new ArrayList<>();
        for (Path seg : LogFiles.segments(dir)) {
            for (String line : Files.readAllLines(seg, StandardCharsets.UTF_8)) {
                try {
                    if (EntryCodec.read(line.getBytes(StandardCharsets.UTF_8)) instanceof DecisionEntry d) {
                        out.add(d);
                    }
                } catch (MalformedEntryException e) {
                    throw new IOException(seg.getFileName() + ": " + e.getMessage() + " (run 'agt audit verify')", e);
                }
            }
        }
        return out;
    }

    /** A request's target in a few words. */
    public static String describe(Map<String, Object> target) {
        return describeNode(JSON.valueToTree(target));
    }

    private static String describeNode(JsonNode t) {
        if (t.has("tool")) {
            return "tool " + t.path("tool").asText() + (t.has("arguments") ? " " + t.path("arguments") : "");
        }
        if (t.has("tools")) {
            List<String> names = new ArrayList<>();
            for (Iterator<JsonNode> i = t.path("tools").elements(); i.hasNext(); ) {
                names.add(i.next().path("name").asText());
            }
            return "tool list " + names;
        }
        if (t.has("provider") && t.has("model")) {
            JsonNode u = t.path("usage");
            return t.path("model").asText() + " of " + t.path("provider").asText()
                    + (u.isObject() && u.has("input") && u.has("output") ? ", used " + u.path("input").asText() + " in / " + u.path("output").asText() + " out"
                    : u.isObject() ? ", no usage reported"
                    : t.has("max_tokens") ? ", up to " + t.path("max_tokens").asText() + " tokens" : "");
        }
        if (t.has("executable")) {
            return String.join(" ", JSON.convertValue(t.path("argv"), List.class));
        }
        if (t.has("url")) {
            return t.path("method").asText() + " " + t.path("url").asText();
        }
        if (t.has("host") || t.has("ip")) {
            return t.path("host").asText(t.path("ip").asText()) + (t.has("port") ? ":" + t.path("port").asText() : "");
        }
        return t.path("path").asText() + (t.has("dest") ? " -> " + t.path("dest").asText() : "");
    }
}
