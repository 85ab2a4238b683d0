package dev.agt.cli;

import dev.agt.audit.log.LogFiles;
import dev.agt.audit.note.NoteKeys;
import dev.agt.cli.report.Format;
import dev.agt.cli.report.Report;
import dev.agt.cli.report.ReportBuilder;
import dev.agt.cli.report.Window;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code agt report}: the blocked-call report of a decision log, for security reviewers. */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = {"Write the blocked-call report of a decision log: verification, counts, a timeline, every blocked call "
                + "(and would-be block in monitor mode) with its calling code and inclusion proof, the policy versions in force.",
                "The format follows FILE's extension: .html (one self-contained page), .md (for tickets) or .json (for tools). "
                        + "The log is verified first; a log that does not verify still gets its report, marked TAMPERED.",
                "Exit codes: 0 report written, log verified; 1 report written, the log does NOT verify; 2 no report (usage, "
                        + "missing log or key, unwritable FILE)."})
final class ReportCommand implements Callable<Integer> {
    @Parameters(paramLabel = "AUDIT_DIR")
    Path dir;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Where to write the report (.html, .md or .json); replaced if it exists.")
    Path out;

    @Option(names = "--pubkey", paramLabel = "FILE", description = "The engine's public key to verify the log with (default: AUDIT_DIR.pub).")
    Path pubkey;

    @Option(names = "--checkpoint-copy", paramLabel = "DIR", description = "A copy of the checkpoints (the engine's --checkpoint-copy) to verify the log against.")
    Path witness;

    @Option(names = "--since", paramLabel = "TIME", description = "Decisions from this time on (ISO-8601, e.g. 2026-11-27T10:00:00Z or 2026-11-27).")
    String since;

    @Option(names = "--until", paramLabel = "TIME", description = "Decisions before this time.")
    String until;

    @Option(names = "--agent", paramLabel = "NAME", description = "Only this agent's decisions.")
    String agent;

    @Option(names = "--family", paramLabel = "FAMILY", description = "Only this call family (net, file, process, native, mcp, tool).")
    String family;

    @Override
    public Integer call() throws Exception {
        Optional<Format> format = Format.of(out);
        if (format.isEmpty()) {
            System.err.println("agt: cannot tell the report format from '" + out.getFileName() + "': name it .html, .md or .json");
            return 2;
        }
        if (!Files.isDirectory(dir)) {
            System.err.println("agt: " + dir + " is not a directory (give the engine's --audit-dir)");
            return 2;
        }
        if (LogFiles.segments(dir).isEmpty()) {
            System.err.println("agt: " + dir + " holds no log (nothing under " + LogFiles.segmentsDir(dir) + "); give the engine's --audit-dir");
            return 2;
        }
        Window window;
        try {
            window = new Window(Window.parseTime("--since", since), Window.parseTime("--until", until), agent, family);
        } catch (IllegalArgumentException e) {
            System.err.println("agt: " + e.getMessage());
            return 2;
        }
        NoteKeys.Verifier key = AuditCommand.pubkey(pubkey, dir);
        Report r = ReportBuilder.build(dir, key, witness, window, Instant.now());
        write(out, format.get().render(r));
        if (r.check().ok()) {
            System.out.println("verified: " + r.check().headline().replaceFirst("^Verified ", ""));
        } else {
            System.out.println(r.check().headline());
        }
        r.check().warnings().forEach(w -> System.out.println("warning: " + w));
        System.out.println("report: " + out + " (" + r.totals().total() + " decisions, " + r.totals().blocked() + " blocked, "
                + r.totals().wouldBlock() + " would block in monitor mode" + (r.check().ok() ? "" : "; marked TAMPERED") + ")");
        return r.check().ok() ? 0 : 1;
    }

    /** Writes beside the target and renames, so a reader never sees half a report. */
    private static void write(Path out, String text) throws IOException {
        Path abs = out.toAbsolutePath();
        Path tmp = Files.createTempFile(abs.getParent(), "." + abs.getFileName(), ".tmp");
        try {
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
