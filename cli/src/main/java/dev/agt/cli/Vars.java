package dev.agt.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;

/** {@code --var NAME=VALUE}, repeatable: policy variables from the command line. */
final class Vars {
    @CommandLine.Option(names = "--var", paramLabel = "NAME=VALUE",
            description = "Set a policy variable (overrides the policy's vars:), e.g. --var workspace=/srv/work")
    List<String> vars = List.of();

    Map<String, String> map() {
        Map<String, String> m = new LinkedHashMap<>();
        for (String v : vars) {
            int eq = v.indexOf('=');
            if (eq <= 0) {
                throw new CommandLine.ParameterException(new CommandLine(this), "--var takes NAME=VALUE, got '" + v + "'");
            }
            m.put(v.substring(0, eq), v.substring(eq + 1));
        }
        return m;
    }
}
