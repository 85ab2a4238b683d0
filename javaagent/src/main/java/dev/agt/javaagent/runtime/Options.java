package dev.agt.javaagent.runtime;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Agent options, from {@code -javaagent:agt-javaagent.jar=key=value,...} and from {@code AGT_*}
 * environment variables (the agent argument wins). Unknown keys are an error, not ignored: a
 * misspelt {@code failMode} must not silently leave the default.
 */
public record Options(String engine, String name, String identity, boolean failClosed, long timeoutMs, boolean monitor,
                      String rules, boolean exitOnEngineDown, boolean quiet, int frames, boolean framesEvery,
                      long delegationTtlSeconds, String lineage) {

    static final Map<String, String> ENV = Map.ofEntries(Map.entry("engine", "AGT_ENGINE"), Map.entry("name", "AGT_NAME"),
            Map.entry("identity", "AGT_IDENTITY"), Map.entry("failMode", "AGT_FAIL_MODE"), Map.entry("timeoutMs", "AGT_TIMEOUT_MS"),
            Map.entry("mode", "AGT_MODE"), Map.entry("rules", "AGT_RULES"), Map.entry("onEngineDown", "AGT_ON_ENGINE_DOWN"),
            Map.entry("quiet", "AGT_QUIET"), Map.entry("frames", "AGT_FRAMES"), Map.entry("framesFor", "AGT_FRAMES_FOR"),
            Map.entry("delegationTtl", "AGT_DELEGATION_TTL"), Map.entry("lineage", "AGT_LINEAGE"));

    public static final String DEFAULT_NAME = "java-agent";

    public Options withName(String n) {
        return new Options(engine, n, identity, failClosed, timeoutMs, monitor, rules, exitOnEngineDown, quiet, frames, framesEvery, delegationTtlSeconds,
                lineage);
    }

    public static Options parse(String args, Map<String, String> env) {
        Map<String, String> m = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : ENV.entrySet()) {
            String v = env.get(e.getValue());
            if (v != null && !v.isEmpty()) {
                m.put(e.getKey(), v);
            }
        }
        if (args != null && !args.isBlank()) {
            for (String part : args.split(",")) {
                int eq = part.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("agent option '" + part + "' is not key=value");
                }
                String k = part.substring(0, eq).trim();
                if (!ENV.containsKey(k)) {
                    throw new IllegalArgumentException("unknown agent option '" + k + "' (options: " + String.join(", ", ENV.keySet()) + ")");
                }
                m.put(k, part.substring(eq + 1).trim());
            }
        }
        String engine = m.get("engine");
        if (engine == null) {
            throw new IllegalArgumentException("no engine: give engine=/path/to/engine.sock (or AGT_ENGINE)");
        }
        String failMode = m.getOrDefault("failMode", "closed");
        if (!failMode.equals("closed") && !failMode.equals("open")) {
            throw new IllegalArgumentException("failMode must be closed or open, not '" + failMode + "'");
        }
        String mode = m.getOrDefault("mode", "enforce");
        if (!mode.equals("enforce") && !mode.equals("monitor")) {
            throw new IllegalArgumentException("mode must be enforce or monitor, not '" + mode + "'");
        }
        long timeout;
        try {
            timeout = Long.parseLong(m.getOrDefault("timeoutMs", "2000"));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("timeoutMs must be a whole number of milliseconds");
        }
        if (timeout < 1 || timeout > 600_000) {
            throw new IllegalArgumentException("timeoutMs must be between 1 and 600000");
        }
        String down = m.getOrDefault("onEngineDown", "deny");
        if (!down.equals("deny") && !down.equals("exit")) {
            throw new IllegalArgumentException("onEngineDown must be deny or exit, not '" + down + "'");
        }
        int frames;
        try {
            frames = Integer.parseInt(m.getOrDefault("frames", "4"));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("frames must be a whole number");
        }
        if (frames < 0 || frames > 64) {
            throw new IllegalArgumentException("frames must be between 0 and 64");
        }
        String framesFor = m.getOrDefault("framesFor", "first");
        if (!framesFor.equals("first") && !framesFor.equals("every")) {
            throw new IllegalArgumentException("framesFor must be first or every, not '" + framesFor + "'");
        }
        long ttl;
        try {
            ttl = Long.parseLong(m.getOrDefault("delegationTtl", "3600"));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("delegationTtl must be a whole number of seconds");
        }
        if (ttl < 60 || ttl > 7 * 24 * 3600) {
            throw new IllegalArgumentException("delegationTtl must be between 60 seconds and 7 days");
        }
        String name = m.getOrDefault("name", DEFAULT_NAME);
        String lineage = m.get("lineage");
        if (lineage != null && !dev.agt.protocol.Hello.LINEAGE.matcher(lineage).matches()) {
            // set by a parent agent for its child JVMs; anything else is a mistake, not a new lineage
            throw new IllegalArgumentException("lineage must be the 22-character id the engine gave the parent agent");
        }
        return new Options(engine, name, m.get("identity"), failMode.equals("closed"), timeout, mode.equals("monitor"),
                m.get("rules"), down.equals("exit"), "true".equals(m.get("quiet")), frames, framesFor.equals("every"), ttl, lineage);
    }
}
