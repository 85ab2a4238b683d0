package dev.agt.cli;

import dev.agt.audit.note.NoteKeys;
import dev.agt.audit.witness.WitnessClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code agt audit cosign DIR --witness URL --witness-key PUB}: has witnesses cosign the log's
 * latest checkpoint and keeps the cosigned note in {@code DIR.cosigned/} (by default), where
 * {@code agt audit verify --witness-key} checks it ({@link WitnessClient}).
 */
@Command(name = "cosign", mixinStandardHelpOptions = true,
        description = {"Have witnesses cosign the log's latest checkpoint (C2SP tlog-witness); keep the cosigned note for 'agt audit verify --witness-key'.",
                "--witness and --witness-key pair up in order. Exit 0 when at least --witnesses of them cosigned; 1 when fewer did (each refusal says why)."})
final class AuditCosign implements Callable<Integer> {
    @Parameters(paramLabel = "DIR")
    Path dir;

    @Option(names = "--pubkey", paramLabel = "FILE", description = "The engine's public key (default: DIR.pub).")
    Path pubkey;

    @Option(names = "--witness", required = true, paramLabel = "URL", description = "A witness's base URL (repeatable).")
    List<String> witnesses = new ArrayList<>();

    @Option(names = "--witness-key", required = true, paramLabel = "PUB", description = "That witness's public key (repeatable, in the same order).")
    List<Path> witnessKeys = new ArrayList<>();

    @Option(names = "--witnesses", paramLabel = "N", description = "How many cosignatures are needed (default: every witness given).")
    Integer required;

    @Option(names = "--out", paramLabel = "DIR", description = "Where cosigned notes are kept (default: DIR.cosigned beside the log).")
    Path out;

    @Override
    public Integer call() throws Exception {
        if (witnesses.size() != witnessKeys.size()) {
            System.err.println("agt: give one --witness-key per --witness, in the same order");
            return 2;
        }
        List<WitnessClient.Target> targets = new ArrayList<>();
        for (int i = 0; i < witnesses.size(); i++) {
            targets.add(new WitnessClient.Target(witnesses.get(i), NoteKeys.readVerifier(witnessKeys.get(i))));
        }
        WitnessClient client = new WitnessClient(dir, AuditCommand.pubkey(pubkey, dir), targets, out != null ? out : WitnessClient.defaultOut(dir));
        WitnessClient.Round r = client.submit();
        if (r == null) {
            System.err.println("agt: " + dir + " has no signed checkpoint yet");
            return 2;
        }
        r.refusals().forEach(x -> System.err.println("agt: " + x));
        if (r.note() != null) {
            System.out.println("checkpoint " + r.size() + ": " + r.cosignedBy().size() + " of " + witnesses.size() + " witnesses cosigned; kept in " + r.note());
        }
        return r.cosignedBy().size() >= (required != null ? required : witnesses.size()) ? 0 : 1;
    }
}
