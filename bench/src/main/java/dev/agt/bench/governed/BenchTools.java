package dev.agt.bench.governed;

import java.util.Map;

/** Stands for a tool framework's entry point: bench/governed/run.sh names it in an interception-rules file. */
public final class BenchTools {
    private BenchTools() {
    }

    public static int invoke(String tool, Map<String, Object> arguments) {
        return tool.length() + arguments.size();
    }
}
