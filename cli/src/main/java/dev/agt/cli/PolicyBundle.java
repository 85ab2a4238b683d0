package dev.agt.cli;

import dev.agt.audit.note.NoteKeys;
import dev.agt.engine.bundle.Bundle;
import dev.agt.engine.policy.Policy;
import dev.agt.engine.policy.PolicyException;
import dev.agt.engine.policy.PolicyLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code agt policy bundle build|verify}: signed policy bundles for engines that take their policy with --bundle. */
@Command(name = "bundle", mixinStandardHelpOptions = true, description = "Build and verify signed policy bundles.",
        subcommands = {PolicyBundle.Build.class, PolicyBundle.Verify.class})
final class PolicyBundle {
    private PolicyBundle() {
    }

    @Command(name = "build", mixinStandardHelpOptions = true,
            description = {"Put a policy and every file under DIR (includes, prices) in one bundle, with a manifest of their SHA-256,"
                    + " signed with an Ed25519 key from 'agt audit keygen'. The policy is checked first: an invalid one is never bundled."})
    static final class Build implements Callable<Integer> {
        @Parameters(paramLabel = "DIR")
        Path dir;

        @Option(names = "--key", required = true, paramLabel = "FILE", description = "The signing key (mode 0600).")
        Path key;

        @Option(names = "--version", required = true, paramLabel = "N",
                description = "The bundle's version, a whole number that must rise with every bundle: engines refuse an older one.")
        long version;

        @Option(names = "--entry", defaultValue = "policy.yaml", paramLabel = "FILE", description = "The policy file under DIR (default policy.yaml).")
        String entry;

        @Option(names = "--out", required = true, paramLabel = "FILE", description = "Where to write the bundle.")
        Path out;

        @Override
        public Integer call() throws Exception {
            if (version < 1) {
                System.err.println("agt: --version must be a whole number from 1 up");
                return 2;
            }
            try {
                Policy p = PolicyLoader.load(dir.resolve(entry), Map.of());
                Path root = dir.toRealPath();
                for (Path read : p.files()) {
                    if (!read.toRealPath().startsWith(root)) {
                        System.err.println("agt: not bundled: the policy reads " + read + ", outside " + dir + " (a bundle holds only what is under DIR)");
                        return 1;
                    }
                }
            } catch (PolicyException e) {
                System.err.println("agt: not bundled: the policy has " + e.problems().size() + " problem(s):");
                PolicyCommand.printProblems(e);
                return 1;
            }
            NoteKeys.Signer signer = NoteKeys.readSigner(key);
            byte[] bytes = Bundle.build(dir, entry, version, signer);
            Bundle b = Bundle.open(bytes, signer.verifier());
            Files.write(out, bytes);
            System.out.println("bundle:  " + out + " (" + bytes.length + " bytes)");
            System.out.println("version: " + b.version());
            System.out.println("hash:    " + b.hash());
            System.out.println("files:   " + String.join(", ", b.files().keySet()));
            System.out.println("signed:  " + b.signedBy());
            return 0;
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Check a bundle as an engine would (signature, manifest, files, policy); exit 0 when it would be activated, 1 when not.")
    static final class Verify implements Callable<Integer> {
        @Parameters(paramLabel = "BUNDLE")
        Path file;

        @Option(names = "--key", required = true, paramLabel = "PUB", description = "The public key its signature must verify with.")
        Path key;

        @Override
        public Integer call() throws Exception {
            Bundle b;
            try {
                b = Bundle.open(Files.readAllBytes(file), NoteKeys.readVerifier(key));
            } catch (Bundle.Refused e) {
                System.err.println("agt: REFUSED: " + e.getMessage());
                return 1;
            }
            Path tmp = Files.createTempDirectory("agt-bundle-");
            try {
                Policy p = PolicyLoader.load(b.extract(tmp.resolve("files")), Map.of());
                System.out.println("ok: version " + b.version() + ", hash " + b.hash() + ", signed by " + b.signedBy() + ", policy " + p.version()
                        + " (" + p.rules().size() + " rules), files: " + String.join(", ", b.files().keySet()));
                return 0;
            } catch (PolicyException e) {
                System.err.println("agt: REFUSED: the bundle's policy is invalid:");
                PolicyCommand.printProblems(e);
                return 1;
            } finally {
                try (var walk = Files.walk(tmp)) {
                    for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        }
    }
}
