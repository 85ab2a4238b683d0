package dev.agt.rules;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The rules shipped in the agent: MCP Java SDK client, LangChain4j's MCP client and tool
 * executor, Spring AI tool callbacks. Written in {@code builtin-rules.yaml} (the same format ops
 * teams use), compiled by {@link #main} at build time into {@code builtin-rules.bin}.
 */
public final class BuiltinRules {
    static final String YAML = "builtin-rules.yaml";
    static final String COMPILED = "builtin-rules.bin";

    private BuiltinRules() {
    }

    /** The compiled built-in rules, as the agent reads them. */
    public static RuleSet load() throws IOException {
        try (InputStream in = BuiltinRules.class.getResourceAsStream(COMPILED)) {
            if (in == null) {
                throw new IOException(COMPILED + " is missing from the agent jar");
            }
            return RulesCodec.read(new DataInputStream(new BufferedInputStream(in)));
        }
    }

    /** The built-in rules parsed from their YAML source (for tests and {@code agt rules check --builtin}). */
    public static RuleSet parseSource() throws IOException, RulesException {
        return RulesParser.parse("builtin:" + YAML, source(), true);
    }

    public static String source() throws IOException {
        try (InputStream in = BuiltinRules.class.getResourceAsStream(YAML)) {
            if (in == null) {
                throw new IOException(YAML + " is missing");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Build step: validates builtin-rules.yaml and writes the compiled form to {@code args[0]}. */
    public static void main(String[] args) throws Exception {
        RuleSet set;
        try {
            set = parseSource();
        } catch (RulesException e) {
            System.err.println(e.getMessage());
            System.exit(1);
            return;
        }
        Path out = Path.of(args[0]);
        Files.createDirectories(out.getParent());
        try (DataOutputStream o = new DataOutputStream(Files.newOutputStream(out))) {
            RulesCodec.write(set, o);
        }
    }
}
