package dev.agt.cli;

import dev.agt.identity.AgentKey;
import dev.agt.identity.IdentityException;
import dev.agt.identity.Registry;
import dev.agt.protocol.AdminRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code agt identity}: agent keys and the engine's agent registry. */
@Command(name = "identity", mixinStandardHelpOptions = true,
        description = "Create, list and revoke agent identities (Ed25519 keys, did:key ids) in the engine's agent registry.",
        subcommands = {IdentityCommand.Create.class, IdentityCommand.ListAgents.class, IdentityCommand.Revoke.class})
final class IdentityCommand {

    static boolean shared(String registry) {
        return registry.startsWith("postgresql://") || registry.startsWith("postgres://") || registry.startsWith("jdbc:postgresql://");
    }

    /** The registry as messages name it: the file, or the database without its password. */
    static String where(String registry) {
        return shared(registry) ? dev.agt.engine.shared.Database.of(registry).display() : registry;
    }

    /** Reads, changes and writes the registry under its lock: the file's, or the row's in PostgreSQL. */
    static Registry update(String registry, Registry.Change change) throws IOException, IdentityException {
        if (!shared(registry)) {
            return Registry.update(Path.of(registry), change);
        }
        dev.agt.engine.shared.Database db = dev.agt.engine.shared.Database.of(registry);
        try {
            return dev.agt.engine.shared.SharedRegistry.update(db, change, System.getProperty("user.name", "?"));
        } catch (java.sql.SQLException e) {
            throw new IOException(dev.agt.engine.shared.Database.describe(e));
        }
    }

    static Registry read(String registry) throws IOException, IdentityException {
        if (!shared(registry)) {
            return Registry.read(Path.of(registry));
        }
        dev.agt.engine.shared.Database db = dev.agt.engine.shared.Database.of(registry);
        try (java.sql.Connection c = db.connect()) {
            return dev.agt.engine.shared.SharedRegistry.read(c, db.display()).registry();
        } catch (java.sql.SQLException e) {
            throw new IOException(dev.agt.engine.shared.Database.describe(e));
        }
    }

    /** Asks the engine to read the registry now; returns the exit code for the command (0, 1 rejected, 2 unreachable). */
    static int tellEngine(String socket) {
        Map<String, Object> r = Admin.call(socket, new AdminRequest.Reload(true));
        if (r == null) {
            System.err.println("agt: the registry file is changed, but the engine could not be told; it reloads the file when it sees"
                    + " it change (unless it runs with --no-watch)");
            return 2;
        }
        if ("rejected".equals(r.get("result"))) {
            System.err.println("agt: the engine rejected the registry and keeps its last good one:");
            for (Object p : (List<?>) r.get("problems")) {
                System.err.println("agt: " + p);
            }
            return 1;
        }
        System.out.println("engine:   registry " + r.get("result") + " (" + r.get("agents") + " agents)");
        return 0;
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = {"Create an agent key (mode 0600) and register the agent.",
                    "Refuses a name or key file that exists. The agent runs with -javaagent:...=identity=KEYFILE."})
    static final class Create implements Callable<Integer> {
        @Parameters(paramLabel = "NAME", description = "The agent's name (letters, digits, _.:@/-).")
        String name;

        @Option(names = "--registry", required = true, paramLabel = "FILE|URL",
                description = "The engine's agent registry: its file, or the fleet's in PostgreSQL (postgresql://..., as given to 'agt engine --state').")
        String registry;

        @Option(names = "--label", paramLabel = "KEY=VALUE", description = "A label for policies (agents: {labels: ...}); repeatable.")
        List<String> labels = List.of();

        @Option(names = "--out", paramLabel = "KEYFILE", description = "Where to write the key. Default: NAME.key in the current directory.")
        Path out;

        @Option(names = "--socket", paramLabel = "PATH", description = "Also tell the running engine to read the registry now.")
        String socket;

        @Override
        public Integer call() {
            Map<String, String> l = new TreeMap<>();
            for (String kv : labels) {
                int eq = kv.indexOf('=');
                if (eq <= 0) {
                    System.err.println("agt: --label takes KEY=VALUE, got '" + kv + "'");
                    return 2;
                }
                if (l.put(kv.substring(0, eq), kv.substring(eq + 1)) != null) {
                    System.err.println("agt: label '" + kv.substring(0, eq) + "' given twice");
                    return 2;
                }
            }
            String badName = Registry.nameProblem(name);
            if (badName != null) {
                System.err.println("agt: " + badName);
                return 2;
            }
            Path keyFile = out != null ? out : Path.of(name.replace('/', '_') + ".key");
            if (Files.exists(keyFile)) {
                System.err.println("agt: " + keyFile + " already exists; refusing to overwrite an agent key (choose another --out)");
                return 1;
            }
            AgentKey key = AgentKey.generate(name);
            Registry after;
            try {
                after = update(registry, r -> {
                    Registry next = r.with(Registry.Entry.create(key.did(), name, l, Instant.now().truncatedTo(ChronoUnit.SECONDS)));
                    try {
                        key.write(keyFile); // under the registry lock, after the checks: a refused name leaves no key behind
                    } catch (IOException e) {
                        throw new IdentityException(IdentityException.KEY_FILE, "cannot write " + keyFile + ": " + e.getMessage());
                    }
                    return next;
                });
            } catch (IdentityException e) {
                System.err.println("agt: " + e.getMessage());
                return 1;
            } catch (IOException e) {
                try {
                    Files.deleteIfExists(keyFile); // the agent was not registered: its key must not linger
                } catch (IOException ignored) {
                    // reported below either way
                }
                System.err.println("agt: cannot write the registry " + where(registry) + ": " + e.getMessage());
                return 2;
            }
            System.out.println("created agent " + name);
            System.out.println("did:      " + key.did());
            System.out.println("key:      " + keyFile + " (mode 0600; whoever reads it can act as this agent)");
            System.out.println("labels:   " + (l.isEmpty() ? "none" : l));
            System.out.println("registry: " + where(registry) + " (" + after.entries().size() + " agents)"
                    + (shared(registry) ? "; every engine sharing it reads it within a second" : ""));
            return socket == null ? 0 : tellEngine(socket);
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the registered agents.")
    static final class ListAgents implements Callable<Integer> {
        @Option(names = "--registry", required = true, paramLabel = "FILE|URL",
                description = "The engine's agent registry: its file, or the fleet's in PostgreSQL (postgresql://..., as given to 'agt engine --state').")
        String registry;

        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            Registry r;
            try {
                r = read(registry);
            } catch (IdentityException e) {
                System.err.println("agt: " + e.getMessage());
                return 1;
            } catch (IOException e) {
                System.err.println("agt: cannot read the registry " + where(registry) + ": " + e.getMessage());
                return 2;
            }
            if (json) {
                List<Object> out = new ArrayList<>();
                for (Registry.Entry e : r.entries()) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("name", e.name());
                    m.put("did", e.did());
                    m.put("labels", e.labels());
                    m.put("created", e.created().toString());
                    m.put("revoked", e.revoked());
                    e.revokedAt().ifPresent(t -> m.put("revoked_at", t.toString()));
                    out.add(m);
                }
                System.out.println(Admin.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(out));
                return 0;
            }
            if (r.entries().isEmpty()) {
                System.out.println("no agents registered in " + where(registry)
                        + (shared(registry) || Files.exists(Path.of(registry)) ? "" : " (the file does not exist yet)"));
                return 0;
            }
            for (Registry.Entry e : r.entries()) {
                System.out.println(e.name() + "  " + e.did() + "  " + (e.revoked() ? "REVOKED " + e.revokedAt().map(Instant::toString).orElse("")
                        : "active") + "  created " + e.created() + (e.labels().isEmpty() ? "" : "  " + e.labels()));
            }
            return 0;
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true,
            description = {"Revoke an agent: it and every agent it delegated to are refused from their next call on.",
                    "The entry stays in the registry, marked revoked."})
    static final class Revoke implements Callable<Integer> {
        @Parameters(paramLabel = "NAME|DID")
        String agent;

        @Option(names = "--registry", required = true, paramLabel = "FILE|URL",
                description = "The engine's agent registry: its file, or the fleet's in PostgreSQL (postgresql://..., as given to 'agt engine --state').")
        String registry;

        @Option(names = "--socket", paramLabel = "PATH",
                description = "Tell the running engine to read the registry now, so the revocation is in force when this command returns.")
        String socket;

        @Override
        public Integer call() {
            boolean[] already = new boolean[1];
            Registry after;
            try {
                after = update(registry, r -> {
                    already[0] = r.find(agent).map(Registry.Entry::revoked).orElse(false);
                    return r.revoke(agent, Instant.now().truncatedTo(ChronoUnit.SECONDS));
                });
            } catch (IdentityException e) {
                System.err.println("agt: " + e.getMessage() + " (" + where(registry) + ")");
                return 1;
            } catch (IOException e) {
                System.err.println("agt: cannot update the registry " + where(registry) + ": " + e.getMessage());
                return 2;
            }
            Registry.Entry e = after.find(agent).orElseThrow();
            if (already[0]) {
                System.out.println(e.name() + " (" + e.did() + ") was already revoked at " + e.revokedAt().map(Instant::toString).orElse("?"));
            } else {
                System.out.println("revoked " + e.name() + " (" + e.did() + "): it and its delegates are refused from their next call");
            }
            if (shared(registry)) {
                System.out.println("every engine sharing " + where(registry) + " applies it within a second");
                return 0;
            }
            if (socket == null) {
                System.out.println("the engine applies it when it sees the file change (unless --no-watch); pass --socket to apply it now");
                return 0;
            }
            return tellEngine(socket);
        }
    }
}
