package dev.agt.cli;

import dev.agt.engine.policy.Policy;
import dev.agt.engine.policy.PolicyException;
import dev.agt.engine.policy.PolicyLoader;
import dev.agt.engine.policy.PolicyTests;
import dev.agt.protocol.AdminRequest;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code agt policy}: check, test, reload and suggest policies. */
@Command(name = "policy", mixinStandardHelpOptions = true, description = "Check, test, reload and suggest policies.",
        subcommands = {PolicyCommand.Check.class, PolicyCommand.Test.class, PolicyCommand.Reload.class, PolicySuggest.class, PolicyBundle.class})
final class PolicyCommand {

    static void printProblems(PolicyException e) {
        for (var p : e.problems()) {
            System.err.println("agt: " + p);
        }
    }

    @Command(name = "check", mixinStandardHelpOptions = true,
            description = "Validate a policy file and its includes; print every problem as FILE:LINE:COLUMN.")
    static final class Check implements Callable<Integer> {
        @Parameters(paramLabel = "FILE")
        Path file;

        @Mixin
        Vars vars;

        @Override
        public Integer call() {
            try {
                Policy p = PolicyLoader.load(file, vars.map());
                System.out.println("ok: " + file + ": " + p.rules().size() + " rules, version " + p.version());
                // the rules every policy carries: an operator sees each one and how this policy set it
                p.builtinRules().forEach((name, state) -> System.out.println("built-in rule builtin." + name + ": " + state
                        + (state.equals("off") ? " (switched off by builtin_rules)" : p.rules().stream().filter(r -> r.id().equals("builtin." + name))
                                .findFirst().map(r -> " (" + (r.deny() ? "deny" : "allow") + ": " + r.reason() + ")").orElse(""))));
                return 0;
            } catch (PolicyException e) {
                printProblems(e);
                System.err.println("agt: " + file + ": " + e.problems().size() + " problem(s); the engine would refuse this policy");
                return 1;
            }
        }
    }

    @Command(name = "test", mixinStandardHelpOptions = true,
            description = "Run policy tests: each case is a request and the decision expected for it.")
    static final class Test implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "POLICY")
        Path policy;

        @Parameters(index = "1", paramLabel = "TESTS")
        Path tests;

        @Mixin
        Vars vars;

        @Override
        public Integer call() {
            Policy p;
            List<PolicyTests.Case> cases;
            try {
                p = PolicyLoader.load(policy, vars.map());
            } catch (PolicyException e) {
                printProblems(e);
                System.err.println("agt: the policy is invalid; no test was run");
                return 2;
            }
            try {
                cases = PolicyTests.read(tests);
            } catch (PolicyException e) {
                printProblems(e);
                return 2;
            }
            int failed = 0;
            for (PolicyTests.Result r : PolicyTests.run(p, cases)) {
                System.out.println(r.describe());
                if (!r.passed()) {
                    failed++;
                }
            }
            System.out.println((cases.size() - failed) + " passed, " + failed + " failed");
            return failed == 0 ? 0 : 1;
        }
    }

    @Command(name = "reload", mixinStandardHelpOptions = true,
            description = "Ask a running engine to reload its policy now. An invalid policy is rejected and the last good one stays.")
    static final class Reload implements Callable<Integer> {
        @Option(names = "--socket", required = true, paramLabel = "PATH", description = "The engine's Unix socket.")
        String socket;

        @Override
        public Integer call() {
            Map<String, Object> r = Admin.call(socket, new AdminRequest.Reload(false));
            if (r == null) {
                return 2;
            }
            String result = String.valueOf(r.get("result"));
            switch (result) {
                case "loaded" -> System.out.println("reloaded: policy " + r.get("policy"));
                case "unchanged" -> System.out.println("unchanged: policy " + r.get("policy") + " is already in force");
                default -> {
                    System.err.println("agt: the engine rejected the new policy and keeps " + r.get("policy") + ":");
                    for (Object p : (List<?>) r.get("problems")) {
                        System.err.println("agt: " + p);
                    }
                    return 1;
                }
            }
            return 0;
        }
    }
}
