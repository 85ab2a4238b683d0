package dev.agt.bench.evaluation;

import java.util.ArrayList;
import java.util.List;

/**
 * One generated policy of {@code n} rules, rendered three ways with the same meaning: agt YAML,
 * jcasbin policy lines and one SAPL policy set. Deny overrides allow; nothing matching means deny.
 *
 * <p>The mix is what a real agent policy looks like: a workspace, a few secret-file denials (two
 * of them {@code **}-prefixed, so no index can skip them), one model API, git, and then mostly
 * per-project file allows with some secret denials, net allows and denials by host, and a few
 * process allows. Every rule differs from every other (agt rejects exact duplicates).
 *
 * <p>Patterns: file rules take a path glob ({@code *} within a segment, {@code **} across);
 * net and process rules take an exact host or executable, so the three engines cannot disagree
 * on what a host wildcard means.
 */
final class GeneratedPolicy {

    /**
     * One rule before rendering.
     *
     * @param action  the single action it applies to, or null for every action of the family
     * @param pattern a path glob (file) or an exact host (net) or executable (process)
     */
    record GenRule(String id, boolean allow, String family, String action, String pattern) {
    }

    static final String WORKSPACE = "/srv/agent/work";

    /** deny-overrides and default deny, the same as agt's evaluator. */
    static final String CASBIN_MODEL = String.join("\n",
            "[request_definition]",
            "r = fam, obj, act",
            "[policy_definition]",
            "p = fam, obj, act, eft",
            "[policy_effect]",
            "e = some(where (p.eft == allow)) && !some(where (p.eft == deny))",
            "[matchers]",
            "m = r.fam == p.fam && (p.act == \"*\" || r.act == p.act) && globMatch(r.obj, p.obj)");

    private GeneratedPolicy() {
    }

    static List<GenRule> rules(int n) {
        if (n < 5) {
            throw new IllegalArgumentException("a generated policy has at least 5 rules, asked for " + n);
        }
        List<GenRule> rules = new ArrayList<>(n);
        rules.add(new GenRule("workspace", true, "file", null, WORKSPACE + "/**"));
        rules.add(new GenRule("no-ssh-keys", false, "file", null, "/home/u/.ssh/**"));
        rules.add(new GenRule("no-pem", false, "file", null, "**/*.pem"));
        rules.add(new GenRule("model-api", true, "net", "connect", "api.openai.com"));
        rules.add(new GenRule("git", true, "process", "exec", "/usr/bin/git"));
        for (int i = rules.size(); i < n; i++) {
            int slot = i % 20;
            if (slot < 14) {
                rules.add(new GenRule("proj-" + i, true, "file", i % 2 == 0 ? null : "read", "/data/proj" + i + "/**"));
            } else if (slot < 16) {
                rules.add(new GenRule("secrets-" + i, false, "file", null, "/data/shared" + i + "/secrets/**"));
            } else if (slot < 18) {
                rules.add(new GenRule("api-" + i, true, "net", "connect", "api" + i + ".example.com"));
            } else if (slot < 19) {
                rules.add(new GenRule("exfil-" + i, false, "net", null, "exfil" + i + ".example.net"));
            } else {
                rules.add(new GenRule("tool-" + i, true, "process", "exec", "/usr/bin/tool" + i));
            }
        }
        return rules;
    }

    static String agtYaml(List<GenRule> rules) {
        StringBuilder b = new StringBuilder("version: 1\nrules:\n");
        for (GenRule r : rules) {
            b.append("  - id: ").append(r.id()).append('\n')
                    .append("    effect: ").append(r.allow() ? "allow" : "deny").append('\n')
                    .append("    family: ").append(r.family()).append('\n');
            if (r.action() != null) {
                b.append("    actions: [").append(r.action()).append("]\n");
            }
            String key = switch (r.family()) {
                case "file" -> "paths";
                case "net" -> "hosts";
                case "process" -> "executables";
                default -> throw new IllegalStateException(r.family());
            };
            b.append("    ").append(key).append(": [\"").append(r.pattern()).append("\"]\n");
        }
        return b.toString();
    }

    /** One line per rule: fam, obj, act, eft. jcasbin's globMatch gives {@code *} and {@code **} agt's meaning. */
    static List<List<String>> casbinLines(List<GenRule> rules) {
        List<List<String>> lines = new ArrayList<>(rules.size());
        for (GenRule r : rules) {
            lines.add(List.of(r.family(), r.pattern(), r.action() == null ? "*" : r.action(), r.allow() ? "allow" : "deny"));
        }
        return lines;
    }

    /**
     * One policy set, deny-overrides inside. The subscription's resource is
     * {@code {family, target}} and its action the agt action. Globs become anchored regexes;
     * exact values are compared with {@code ==}.
     */
    static String saplPolicySet(List<GenRule> rules) {
        StringBuilder b = new StringBuilder("set \"agt-bench\"\ndeny-overrides\n");
        for (GenRule r : rules) {
            b.append("policy \"").append(r.id()).append("\" ").append(r.allow() ? "permit" : "deny")
                    .append(" resource.family == \"").append(r.family()).append('"');
            if (r.action() != null) {
                b.append(" & action == \"").append(r.action()).append('"');
            }
            if (r.family().equals("file")) {
                b.append(" & resource.target =~ \"").append(globToRegex(r.pattern())).append('"');
            } else {
                b.append(" & resource.target == \"").append(r.pattern()).append('"');
            }
            b.append('\n');
        }
        return b.toString();
    }

    /**
     * {@code **} to {@code .*}, {@code *} to {@code [^/]*}, any other punctuation to a one-character
     * class, so the result needs no backslashes inside a SAPL string literal.
     */
    static String globToRegex(String glob) {
        StringBuilder b = new StringBuilder("^");
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            if (c == '*') {
                if (i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
                    b.append(".*");
                    i++;
                } else {
                    b.append("[^/]*");
                }
            } else if (Character.isLetterOrDigit(c) || c == '/' || c == '-' || c == '_') {
                b.append(c);
            } else if (c == '"' || c == '\\' || c == '^' || c == ']' || c == '[') {
                throw new IllegalArgumentException("generated glob has a character this translation does not handle: " + glob);
            } else {
                b.append('[').append(c).append(']');
            }
        }
        return b.append('$').toString();
    }
}
