package dev.agt.cli;

import dev.agt.rules.BuiltinRules;
import dev.agt.rules.InterceptRule;
import dev.agt.rules.RuleChecker;
import dev.agt.rules.RuleSet;
import dev.agt.rules.RulesException;
import dev.agt.rules.RulesParser;
import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code agt rules}: interception-rules files (what the agent intercepts beyond its JDK hooks). */
@Command(name = "rules", mixinStandardHelpOptions = true, description = "Check interception-rules files; show the built-in rules.",
        subcommands = {RulesCommand.Check.class, RulesCommand.Builtin.class})
final class RulesCommand {

    @Command(name = "check", mixinStandardHelpOptions = true,
            description = {"Validate an interception-rules file; print every problem as FILE:LINE:COLUMN.",
                    "With --classpath, also check that each class, method and accessor step exists in the application's classes."})
    static final class Check implements Callable<Integer> {
        @Parameters(paramLabel = "FILE")
        Path file;

        @Option(names = "--classpath", paramLabel = "CP", description = "The application's class path (jars and directories, ':'-separated).")
        String classpath;

        @Override
        public Integer call() throws Exception {
            RuleSet set;
            try {
                set = RulesParser.load(file);
            } catch (RulesException e) {
                for (var p : e.problems()) {
                    System.err.println("agt: " + p);
                }
                System.err.println("agt: " + file + ": " + e.problems().size() + " problem(s); the agent would refuse to start with this file");
                return 1;
            }
            int errors = 0;
            if (classpath != null) {
                List<URL> urls = new ArrayList<>();
                for (String entry : classpath.split(File.pathSeparator)) {
                    if (!entry.isEmpty()) {
                        urls.add(Path.of(entry).toUri().toURL());
                    }
                }
                try (URLClassLoader loader = new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader())) {
                    for (RuleChecker.Finding f : RuleChecker.check(set, loader)) {
                        System.err.println("agt: " + f);
                        errors += f.error() ? 1 : 0;
                    }
                }
            }
            if (errors > 0) {
                System.err.println("agt: " + file + ": " + errors + " rule(s) cannot work against the classes given");
                return 1;
            }
            System.out.println("ok: " + file + ": " + set.rules().size() + " rules" + (classpath == null ? " (classes not checked: give --classpath)" : ""));
            return 0;
        }
    }

    @Command(name = "builtin", mixinStandardHelpOptions = true, description = "Print the built-in rules the agent carries (YAML, the same format).")
    static final class Builtin implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            System.out.print(BuiltinRules.source());
            for (InterceptRule r : BuiltinRules.load().rules()) {
                System.err.println("agt: built-in rule " + r.id() + ": " + r.selector() + "." + r.method() + " -> " + r.family() + "/" + r.action());
            }
            return 0;
        }
    }
}
