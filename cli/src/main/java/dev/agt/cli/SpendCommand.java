package dev.agt.cli;

import dev.agt.protocol.AdminRequest;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code agt spend}: what agents, labels and the organisation have spent against their budgets. */
@Command(name = "spend", mixinStandardHelpOptions = true,
        description = "Show spending on model calls against each budget of the running engine's policy: per agent, label and organisation,"
                + " in the budget's current window. Exit codes: 0 shown, 2 the engine could not be asked.")
final class SpendCommand implements Callable<Integer> {
    @Option(names = "--socket", required = true, paramLabel = "PATH", description = "The engine's Unix socket.")
    String socket;

    @Option(names = "--json", description = "Print JSON (amounts in micro-units).")
    boolean json;

    @Override
    public Integer call() throws Exception {
        Map<String, Object> s = Admin.call(socket, new AdminRequest.Status());
        if (s == null) {
            return 2;
        }
        List<?> spend = s.get("spend") instanceof List<?> l ? l : List.of();
        if (json) {
            System.out.println(Admin.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(spend));
            return 0;
        }
        if (spend.isEmpty()) {
            System.out.println("no spending recorded in this engine run (the policy has no budgets, or no model call was made yet)");
            return 0;
        }
        System.out.printf("%-16s %-20s %-20s %-8s %14s %14s %14s  %s%n", "budget", "per", "subject", "window", "spent", "held", "limit", "state");
        for (Object o : spend) {
            Map<?, ?> m = (Map<?, ?>) o;
            long spent = ((Number) m.get("spent_micros")).longValue();
            long held = ((Number) m.get("held_micros")).longValue();
            long limit = ((Number) m.get("limit_micros")).longValue();
            Long warn = m.get("warn_micros") instanceof Number n ? n.longValue() : null;
            String state = spent >= limit ? "LIMIT REACHED" : warn != null && spent >= warn ? "over warning threshold" : "ok";
            System.out.printf("%-16s %-20s %-20s %-8s %14s %14s %14s  %s%n", m.get("budget"), m.get("per"), m.get("subject"), m.get("window"),
                    amount(spent), amount(held), amount(limit) + " " + m.get("currency"), state);
        }
        System.out.println("(spending is counted by this engine since it started; held: estimates of calls in flight)");
        return 0;
    }

    static String amount(long micros) {
        return BigDecimal.valueOf(micros, 6).stripTrailingZeros().toPlainString();
    }
}
