package dev.agt.cli;

import com.sun.net.httpserver.HttpServer;
import dev.agt.audit.note.NoteKeys;
import dev.agt.audit.witness.Witness;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code agt witness}: a witness that cosigns the checkpoints of the logs it follows, never a fork. */
@Command(name = "witness", mixinStandardHelpOptions = true,
        description = {"Run a witness (C2SP tlog-witness): POST /add-checkpoint with 'old SIZE', a consistency proof and a signed checkpoint;",
                "answers with its cosignature once the checkpoint extends the last one it cosigned for that log. Run it on another host",
                "than the engine, under another user, with its own key ('agt audit keygen')."})
final class WitnessCommand implements Callable<Integer> {
    @Option(names = "--key", required = true, paramLabel = "FILE", description = "The witness's signing key (mode 0600).")
    Path key;

    @Option(names = "--state", required = true, paramLabel = "DIR|URL",
            description = "Where the witness keeps the latest checkpoint of each log, and forks it refused: a directory (locked to this witness),"
                    + " or PostgreSQL (postgresql://USER@HOST:PORT/DB, migrated by 'agt state migrate'; a role of the witness's own).")
    String state;

    @Option(names = "--log-key", required = true, paramLabel = "PUB",
            description = "The public key of a log to follow (repeatable); its origin is agt/KEYNAME, as the engine names it.")
    List<Path> logKeys = new ArrayList<>();

    @Option(names = "--listen", defaultValue = "127.0.0.1:0", paramLabel = "HOST:PORT", description = "Where to listen (default 127.0.0.1 and any free port).")
    String listen;

    @Override
    public Integer call() throws Exception {
        List<NoteKeys.Verifier> logs = new ArrayList<>();
        for (Path p : logKeys) {
            logs.add(NoteKeys.readVerifier(p));
        }
        Witness w;
        try {
            NoteKeys.Signer signer = NoteKeys.readSigner(key);
            Witness.State st;
            if (state.startsWith("postgresql://") || state.startsWith("postgres://") || state.startsWith("jdbc:postgresql://")) {
                st = new dev.agt.engine.shared.WitnessStore(dev.agt.engine.shared.Database.of(state),
                        signer.verifier().name() + "+" + signer.verifier().keyIdHex());
            } else {
                st = Witness.directory(Path.of(state));
            }
            w = new Witness(signer, st, logs, () -> System.currentTimeMillis() / 1000);
        } catch (java.sql.SQLException e) {
            System.err.println("agt: cannot use the witness state: " + dev.agt.engine.shared.Database.describe(e));
            return 2;
        } catch (dev.agt.engine.shared.Database.BadUrl e) {
            System.err.println("agt: --state: " + e.getMessage());
            return 2;
        } catch (java.io.IOException e) {
            System.err.println("agt: " + e.getMessage());
            return 2;
        }
        int colon = listen.lastIndexOf(':');
        if (colon < 0) {
            System.err.println("agt: --listen takes HOST:PORT");
            return 2;
        }
        HttpServer server = HttpServer.create(new InetSocketAddress(listen.substring(0, colon), Integer.parseInt(listen.substring(colon + 1))), 16);
        server.createContext("/add-checkpoint", ex -> {
            try {
                Witness.Answer a;
                if (!ex.getRequestMethod().equals("POST")) {
                    a = new Witness.Answer(405, "text/plain", "POST a checkpoint\n");
                } else {
                    byte[] body = ex.getRequestBody().readNBytes(64 * 1024);
                    a = w.add(new String(body, StandardCharsets.UTF_8));
                }
                byte[] out = a.body().getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().add("Content-Type", a.contentType());
                ex.sendResponseHeaders(a.status(), out.length);
                ex.getResponseBody().write(out);
                if (a.status() != 200) {
                    System.err.println("agt witness: " + a.status() + " " + a.body().strip());
                }
            } finally {
                ex.close();
            }
        });
        server.start();
        System.out.println("agt witness ready: http://" + listen.substring(0, colon) + ":" + server.getAddress().getPort() + " key "
                + w.verifier().name() + "+" + w.verifier().keyIdHex() + ", following " + logs.size() + " log(s)");
        System.out.flush();
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.stop(0);
            stop.countDown();
        }));
        stop.await();
        return 0;
    }
}
