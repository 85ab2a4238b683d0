package dev.agt.cli;

import dev.agt.protocol.AdminRequest;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code agt session}: the session labels a running engine holds, and an operator's way to clear one. */
@Command(name = "session", mixinStandardHelpOptions = true, description = "Session labels of a running engine.",
        subcommands = {SessionCommand.Labels.class, SessionCommand.ClearLabel.class})
final class SessionCommand {

    @Command(name = "labels", mixinStandardHelpOptions = true,
            description = "List every lineage (an agent process and the child JVMs it started) that holds session labels: each label with"
                    + " the audit entry and rule that set it and when it expires, and the sessions connected in it."
                    + " Exit codes: 0 shown, 2 the engine could not be asked.")
    static final class Labels implements Callable<Integer> {
        @Option(names = "--socket", required = true, paramLabel = "PATH", description = "The engine's Unix socket.")
        String socket;

        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            Map<String, Object> s = Admin.call(socket, new AdminRequest.Status());
            if (s == null) {
                return 2;
            }
            List<?> labels = s.get("labels") instanceof List<?> l ? l : List.of();
            if (json) {
                System.out.println(Admin.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(labels));
                return 0;
            }
            if (labels.isEmpty()) {
                System.out.println("no session labels are set");
                return 0;
            }
            for (Object o : labels) {
                Map<?, ?> m = (Map<?, ?>) o;
                if (m.containsKey("problem")) {
                    System.out.println("the label store cannot be read: " + m.get("problem"));
                    return 2;
                }
                System.out.println("lineage " + m.get("lineage") + "  sessions: " + m.get("sessions"));
                ((Map<?, ?>) m.get("labels")).forEach((name, v) -> {
                    Map<?, ?> l = (Map<?, ?>) v;
                    long expires = ((Number) l.get("expires")).longValue();
                    System.out.printf("  %-20s set by audit #%s (rule %s, agent %s) at %s, %s%n", name, l.get("seq"), l.get("rule"), l.get("agent"),
                            Instant.ofEpochMilli(((Number) l.get("set")).longValue()), expires == 0 ? "until cleared"
                                    : "until " + Instant.ofEpochMilli(expires));
                });
            }
            return 0;
        }
    }

    @Command(name = "clear-label", mixinStandardHelpOptions = true,
            description = "Remove a session label from a lineage (as 'agt session labels' lists them). Logged with who cleared it and the"
                    + " entry that had set it. Exit codes: 0 cleared, 1 the label was not set, 2 the engine could not be asked or refused.")
    static final class ClearLabel implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "LINEAGE", description = "The lineage id.")
        String lineage;

        @Parameters(index = "1", paramLabel = "LABEL", description = "The label.")
        String label;

        @Option(names = "--socket", required = true, paramLabel = "PATH", description = "The engine's Unix socket.")
        String socket;

        @Override
        public Integer call() {
            if (!dev.agt.protocol.Hello.LINEAGE.matcher(lineage).matches() || !AdminRequest.ClearLabel.LABEL.matcher(label).matches()) {
                System.err.println("agt: a lineage is the 22-character id 'agt session labels' lists, and a label is lower case letters,"
                        + " digits, '-' or '_'");
                return 2;
            }
            Map<String, Object> r = Admin.call(socket, new AdminRequest.ClearLabel(lineage, label));
            if (r == null) {
                return 2;
            }
            boolean cleared = "cleared".equals(r.get("result"));
            System.out.println(cleared ? "cleared " + label + " from lineage " + lineage : "label " + label + " is not set on lineage " + lineage);
            return cleared ? 0 : 1;
        }
    }
}
