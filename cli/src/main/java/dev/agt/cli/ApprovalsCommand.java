package dev.agt.cli;

import dev.agt.protocol.AdminRequest;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code agt approvals}: calls a running engine holds for a person ({@code effect: ask}), and deciding them. */
@Command(name = "approvals", mixinStandardHelpOptions = true, description = "Calls held for a person's approval (rules with effect: ask).",
        subcommands = {ApprovalsCommand.ListHeld.class, ApprovalsCommand.Show.class, ApprovalsCommand.Approve.class, ApprovalsCommand.Deny.class})
final class ApprovalsCommand {

    static List<?> pending(String socket) {
        Map<String, Object> r = Admin.call(socket, AdminRequest.Approvals.list());
        return r == null ? null : r.get("pending") instanceof List<?> l ? l : List.of();
    }

    static String line(Map<?, ?> p) {
        Map<?, ?> req = (Map<?, ?>) p.get("request");
        return String.format("%s  %-20s %-8s/%-8s rule %-20s waits until %s  %s", p.get("id"), p.get("agent"), req.get("family"), req.get("action"),
                p.get("rule"), Instant.ofEpochMilli(((Number) p.get("expires")).longValue()), req.get("target"));
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the held calls. Exit codes: 0 shown, 2 the engine could not be asked.")
    static final class ListHeld implements Callable<Integer> {
        @Option(names = "--socket", required = true, paramLabel = "PATH", description = "The engine's Unix socket.")
        String socket;

        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            List<?> p = pending(socket);
            if (p == null) {
                return 2;
            }
            if (json) {
                System.out.println(Admin.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(p));
            } else if (p.isEmpty()) {
                System.out.println("no calls are held for approval");
            } else {
                p.forEach(x -> System.out.println(line((Map<?, ?>) x)));
            }
            return 0;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "Show one held call in full (the request as the agent sent it, and the digest an approval is bound to)."
                    + " Exit codes: 0 shown, 1 not pending, 2 the engine could not be asked.")
    static final class Show implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "ID")
        String id;

        @Option(names = "--socket", required = true, paramLabel = "PATH", description = "The engine's Unix socket.")
        String socket;

        @Override
        public Integer call() throws Exception {
            List<?> p = pending(socket);
            if (p == null) {
                return 2;
            }
            Optional<?> one = p.stream().filter(x -> id.equals(((Map<?, ?>) x).get("id"))).findFirst();
            if (one.isEmpty()) {
                System.err.println("agt: " + id + " is not pending (already decided, timed out, or unknown)");
                return 1;
            }
            System.out.println(Admin.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(one.get()));
            return 0;
        }
    }

    abstract static class Decide implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "ID", description = "The approval id, as 'agt approvals list' shows it.")
        String id;

        @Option(names = "--socket", required = true, paramLabel = "PATH", description = "The engine's Unix socket.")
        String socket;

        abstract boolean approve();

        abstract String reason();

        @Override
        public Integer call() {
            if (!AdminRequest.Approvals.ID.matcher(id).matches()) {
                System.err.println("agt: an approval id looks like ap- and 16 hex digits, as 'agt approvals list' shows it");
                return 2;
            }
            Map<String, Object> r = Admin.call(socket, new AdminRequest.Approvals(Optional.of(id), approve(), reason()));
            if (r == null) {
                return 2;
            }
            String result = String.valueOf(r.get("result"));
            System.out.println(id + ": " + result);
            return result.equals(approve() ? "approved" : "denied") ? 0 : 1;
        }
    }

    @Command(name = "approve", mixinStandardHelpOptions = true,
            description = "Let exactly this held call go ahead (logged with your user name). Exit codes: 0 approved, 1 not pending, 2 no engine.")
    static final class Approve extends Decide {
        @Option(names = "--reason", paramLabel = "TEXT", defaultValue = "", description = "Why, for the log.")
        String reason;

        @Override
        boolean approve() {
            return true;
        }

        @Override
        String reason() {
            return reason;
        }
    }

    @Command(name = "deny", mixinStandardHelpOptions = true,
            description = "Refuse this held call (logged with your user name and reason). Exit codes: 0 denied, 1 not pending, 2 no engine.")
    static final class Deny extends Decide {
        @Option(names = "--reason", required = true, paramLabel = "TEXT", description = "Why, for the agent and the log.")
        String reason;

        @Override
        boolean approve() {
            return false;
        }

        @Override
        String reason() {
            return reason;
        }
    }
}
