package dev.agt.cli;

import dev.agt.protocol.AdminRequest;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code agt kill} and {@code agt revive}: the kill switch of a running engine. */
@Command(name = "kill", mixinStandardHelpOptions = true,
        description = {"Stop an agent (by name or DID) and every agent acting for it, or all agents: from the next call on,"
                + " every call is denied with reason 'killed'.",
                "Persisted in the engine's state directory: it survives a restart. --all also stops agents that connect later."})
final class KillCommand implements Callable<Integer> {
    @Parameters(arity = "0..1", paramLabel = "AGENT", description = "A name or did:key.")
    String agent;

    @Option(names = "--all", description = "Every agent, including those that connect later.")
    boolean all;

    @Option(names = "--socket", required = true, paramLabel = "PATH", description = "The engine's Unix socket.")
    String socket;

    @Override
    public Integer call() {
        return run(true, agent, all, socket);
    }

    static int run(boolean kill, String agent, boolean all, String socket) {
        String verb = kill ? "kill" : "revive";
        if (all == (agent != null)) {
            System.err.println("agt: " + verb + " takes an AGENT (name or DID) or --all");
            return 2;
        }
        Map<String, Object> r = Admin.call(socket, new AdminRequest.Switch(kill, all ? Optional.empty() : Optional.of(agent)));
        if (r == null) {
            return 2;
        }
        String who = all ? "all agents" : agent;
        switch (String.valueOf(r.get("result"))) {
            case "killed" -> System.out.println("killed " + who + ": every call" + (all ? "" : " of it and of agents acting for it")
                    + " is denied (reason killed) from now on; " + r.get("sessions_stopped") + " connected session(s) stopped");
            case "revived" -> System.out.println("revived " + who);
            default -> System.out.println(who + (kill ? " was already stopped" : " was not stopped"));
        }
        if (!all && kill && Boolean.FALSE.equals(r.get("known"))) {
            System.out.println("note: no registered or connected agent is called " + agent + " yet; the kill holds for any that connects as it");
        }
        if (!kill && Boolean.TRUE.equals(r.get("all"))) {
            System.out.println("note: 'agt kill --all' is still in force: every agent stays stopped until 'agt revive --all'");
        }
        List<?> stopped = (List<?>) r.get("agents");
        System.out.println("now stopped: " + (Boolean.TRUE.equals(r.get("all")) ? "ALL" : stopped.isEmpty() ? "none" : String.join(", ",
                stopped.stream().map(String::valueOf).toList())));
        return 0;
    }

    /** {@code agt revive}. */
    @Command(name = "revive", mixinStandardHelpOptions = true,
            description = "Lift a kill: an agent (by the name or DID it was killed by), or --all (every kill, including per-agent ones).")
    static final class Revive implements Callable<Integer> {
        @Parameters(arity = "0..1", paramLabel = "AGENT", description = "A name or did:key, as given to 'agt kill'.")
        String agent;

        @Option(names = "--all", description = "Lift every kill.")
        boolean all;

        @Option(names = "--socket", required = true, paramLabel = "PATH", description = "The engine's Unix socket.")
        String socket;

        @Override
        public Integer call() {
            return KillCommand.run(false, agent, all, socket);
        }
    }
}
