package dev.agt.cli;

import dev.agt.audit.note.NoteKeys;
import dev.agt.cli.suggest.Suggest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code agt policy suggest}: a starter policy learned from the decision log. */
@Command(name = "suggest", mixinStandardHelpOptions = true,
        description = {"Learning mode: write a starter policy, for a person to review, from what the decision log shows the "
                + "agents doing (allowed calls, and would-be denials of agents in monitor mode), with policy tests. "
                + "The log is verified first; one that does not verify is refused."})
final class PolicySuggest implements Callable<Integer> {
    @Parameters(paramLabel = "AUDIT_DIR")
    Path dir;

    @Option(names = "--out", paramLabel = "FILE", description = "Write the policy here instead of to standard output.")
    Path out;

    @Option(names = "--tests", paramLabel = "FILE", description = "Write policy tests here (default with --out: FILE.tests.yaml beside it).")
    Path tests;

    @Option(names = "--agent", paramLabel = "NAME", description = "Only this agent's decisions.")
    String agent;

    @Option(names = "--pubkey", paramLabel = "FILE", description = "The engine's public key to verify the log with (default: AUDIT_DIR.pub).")
    Path pubkey;

    @Option(names = "--unverified", description = "Read a log that does not verify (or cannot be verified); the output says so at the top.")
    boolean unverified;

    @Option(names = "--home", paramLabel = "DIR", description = "Paths under DIR are written as $${home} (default: your home directory).")
    Path home;

    @Option(names = "--force", description = "Overwrite existing output files.")
    boolean force;

    @Override
    public Integer call() throws Exception {
        if (!Files.isDirectory(dir)) {
            System.err.println("agt: " + dir + " is not a directory (give the engine's --audit-dir)");
            return 2;
        }
        Path testsFile = tests != null ? tests : out != null ? testsBeside(out) : null;
        for (Path p : new Path[] {out, testsFile}) {
            if (p != null && Files.exists(p) && !force) {
                System.err.println("agt: " + p + " already exists; pass --force to overwrite it");
                return 2;
            }
        }
        NoteKeys.Verifier key = null;
        String keyProblem = null;
        try {
            key = AuditCommand.pubkey(pubkey, dir);
        } catch (IOException e) {
            keyProblem = e.getMessage();
        }
        String h = (home != null ? home : Path.of(System.getProperty("user.home"))).toAbsolutePath().normalize().toString();
        Suggest.Result r;
        try {
            r = Suggest.fromLog(dir, key, keyProblem, unverified, agent, h, testsFile == null ? null : testsFile.toString());
        } catch (Suggest.Refused e) {
            System.err.println("agt: " + e.getMessage());
            return 1;
        }
        if (unverified) {
            System.err.println("agt: WARNING: --unverified: learned from a log that was " + (r.verified() ? "verified anyway" : "NOT verified")
                    + "; the output says so at the top");
        }
        if (out == null) {
            System.out.print(r.policy());
            System.out.flush();
        } else {
            write(out, r.policy());
        }
        if (testsFile != null) {
            write(testsFile, r.tests());
        }
        System.err.println("suggested: " + r.summary() + (out != null ? "; policy: " + out : "")
                + (testsFile != null ? "; tests: " + testsFile : "; no tests written (--tests FILE)"));
        return 0;
    }

    private void write(Path p, String text) throws IOException {
        if (force) {
            Files.writeString(p, text, StandardCharsets.UTF_8);
        } else {
            Files.writeString(p, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        }
    }

    static Path testsBeside(Path policy) {
        String name = policy.getFileName().toString();
        String base = name.endsWith(".yaml") ? name.substring(0, name.length() - 5) : name.endsWith(".yml") ? name.substring(0, name.length() - 4) : name;
        return policy.resolveSibling(base + ".tests.yaml");
    }
}
