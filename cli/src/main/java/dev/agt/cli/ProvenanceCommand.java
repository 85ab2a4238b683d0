package dev.agt.cli;

import dev.agt.audit.note.NoteKeys;
import dev.agt.cli.provenance.Provenance;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code agt provenance sign} and {@code agt verify-jar}: signed build provenance for agt's own jars. */
@Command(name = "provenance", mixinStandardHelpOptions = true,
        description = "Signed build provenance (in-toto Statement v1, SLSA provenance v1, in a DSSE envelope) for agt's jars.",
        subcommands = {ProvenanceCommand.Sign.class})
final class ProvenanceCommand {
    private ProvenanceCommand() {
    }

    @Command(name = "sign", mixinStandardHelpOptions = true,
            description = {"Write a provenance statement naming JAR... by SHA-256, with the source commit and, from the SBOMs, every"
                    + " dependency with its hash; signed with an Ed25519 key from 'agt audit keygen'.",
                    "Build the jars reproducibly first (./mvnw -B package; .ci/reproducible checks it)."})
    static final class Sign implements Callable<Integer> {
        @Parameters(paramLabel = "JAR", arity = "1..*", description = "The jars to name (agt-javaagent.jar, agt.jar).")
        List<Path> jars;

        @Option(names = "--sbom", paramLabel = "FILE", description = "A CycloneDX JSON SBOM of those jars (NAME.cdx.json beside each); repeatable.")
        List<Path> sboms = List.of();

        @Option(names = "--key", required = true, paramLabel = "FILE", description = "The signing key (mode 0600).")
        Path key;

        @Option(names = "--out", required = true, paramLabel = "FILE", description = "Where to write the signed envelope.")
        Path out;

        @Option(names = "--source", defaultValue = "git+file:.", paramLabel = "URI", description = "The source repository's URI (default ${DEFAULT-VALUE}).")
        String source;

        @Option(names = "--commit", paramLabel = "SHA", description = "The git commit the jars were built from.")
        String commit;

        @Option(names = "--builder", defaultValue = "agt-ci", paramLabel = "ID", description = "Who built them (default ${DEFAULT-VALUE}).")
        String builder;

        @Option(names = "--command", defaultValue = "./mvnw -B package", paramLabel = "CMD", description = "The build command (default ${DEFAULT-VALUE}).")
        String command;

        @Override
        public Integer call() throws Exception {
            for (Path p : jars) {
                if (!Files.isRegularFile(p)) {
                    System.err.println("agt: " + p + ": no such jar");
                    return 2;
                }
            }
            for (Path p : sboms) {
                if (!Files.isRegularFile(p)) {
                    System.err.println("agt: " + p + ": no such SBOM");
                    return 2;
                }
            }
            if (commit != null && !commit.matches("[0-9a-f]{40}([0-9a-f]{24})?")) {
                System.err.println("agt: --commit must be a full git commit id (40 or 64 hex digits), not '" + commit + "'");
                return 2;
            }
            NoteKeys.Signer signer = NoteKeys.readSigner(key);
            String envelope = Provenance.sign(jars, sboms, new Provenance.Build(source, commit, command, builder,
                    Runtime.version().toString(), Instant.now().truncatedTo(ChronoUnit.SECONDS).toString()), signer);
            Files.writeString(out, envelope);
            for (Path p : jars) {
                System.out.println("subject: " + p.getFileName() + " sha256:" + Provenance.sha256(p));
            }
            System.out.println("signed:  " + signer.verifier().name() + "+" + signer.verifier().keyIdHex() + " -> " + out);
            return 0;
        }
    }

    @Command(name = "verify-jar", mixinStandardHelpOptions = true,
            description = {"Check a jar against a signed provenance before loading it: the envelope's signature with KEY, and the jar's"
                    + " SHA-256 among the statement's subjects. Exit 0 when it is, 1 when it is refused, 2 for bad usage."})
    static final class VerifyJar implements Callable<Integer> {
        @Parameters(paramLabel = "JAR")
        Path jar;

        @Option(names = "--provenance", required = true, paramLabel = "FILE", description = "The signed provenance ('agt provenance sign').")
        Path provenance;

        @Option(names = "--key", required = true, paramLabel = "PUB", description = "The public key it must be signed with.")
        Path key;

        @Option(names = "--commit", paramLabel = "SHA",
                description = "The commit the jar must have been built from: an older release, signed with the same key, is refused.")
        String commit;

        @Override
        public Integer call() throws Exception {
            if (!Files.isRegularFile(jar)) {
                System.err.println("agt: " + jar + ": no such jar");
                return 2;
            }
            if (!Files.isRegularFile(provenance)) {
                System.err.println("agt: " + provenance + ": no such provenance file");
                return 2;
            }
            NoteKeys.Verifier verifier = NoteKeys.readVerifier(key);
            try {
                Provenance.Verified v = Provenance.verify(jar, Files.readString(provenance), verifier);
                if (commit != null && !v.commit().map(c -> c.equalsIgnoreCase(commit)).orElse(false)) {
                    System.err.println("agt: REFUSED: " + jar + " was built from " + v.commit().orElse("an unstated commit") + ", not " + commit);
                    return 1;
                }
                System.out.println("ok: " + jar + " is " + v.subjectName() + " sha256:" + v.sha256());
                System.out.println("signed by: " + v.signedBy());
                System.out.println("source:    " + v.sourceUri().orElse("(not stated)") + v.commit().map(c -> " @ " + c).orElse(""));
                System.out.println("statement: " + v.subjects() + " subject(s), " + v.dependencies() + " resolved dependencies");
                return 0;
            } catch (Provenance.Refused e) {
                System.err.println("agt: REFUSED: " + e.getMessage());
                return 1;
            }
        }
    }
}
