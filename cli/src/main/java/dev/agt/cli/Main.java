package dev.agt.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code agt}: runtime governance for JVM AI agents. */
@Command(name = "agt", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Runtime governance for JVM-based AI agents.",
        subcommands = {EngineCommand.class, PolicyCommand.class, AuditCommand.class, ReportCommand.class, RulesCommand.class,
                IdentityCommand.class, KillCommand.class, KillCommand.Revive.class, SpendCommand.class, SessionCommand.class, ApprovalsCommand.class, RunCommand.class, DemoCommand.class,
                WitnessCommand.class, StateCommand.class, ProvenanceCommand.class, ProvenanceCommand.VerifyJar.class,
                CommandLine.HelpCommand.class})
public final class Main {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    public static int run(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("agt: " + (ex.getMessage() == null ? ex.toString() : ex.getMessage()));
            return 2;
        });
        cl.setParameterExceptionHandler((ex, a) -> {
            CommandLine cmd = ex.getCommandLine();
            cmd.getErr().println("agt: " + ex.getMessage());
            cmd.getErr().println("Try 'agt " + cmd.getCommandSpec().qualifiedName(" ").replaceFirst("^agt ?", "")
                    + (cmd.getCommandSpec().qualifiedName(" ").equals("agt") ? "" : " ") + "--help' for usage.");
            return 2;
        });
        return cl.execute(args);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"agt " + (v == null ? "development build" : v)};
        }
    }
}
