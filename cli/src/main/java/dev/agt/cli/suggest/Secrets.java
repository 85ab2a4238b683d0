package dev.agt.cli.suggest;

import dev.agt.engine.policy.Agent;
import dev.agt.engine.policy.Evaluator;
import dev.agt.engine.policy.Policy;
import dev.agt.engine.policy.PolicyException;
import dev.agt.engine.policy.PolicyLoader;
import dev.agt.protocol.Request;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Files no suggestion ever allows. Two layers:
 *
 * <ul>
 *   <li>{@link #DENY_GLOBS}: written into every suggested policy as one deny rule, so a
 *       directory glob generalized from harmless reads ({@code /srv/app/**}) still never covers
 *       {@code /srv/app/.env}. A deny wins wherever it stands.</li>
 *   <li>A wider name heuristic ({@code *key*}, {@code *secret*}, ...) that only classifies what was
 *       observed: a match is left out of the allow rules, listed for the reviewer, and denied by
 *       its exact path in that same deny rule. (As a glob it would also deny {@code keyboard.json}
 *       everywhere; as an exact path it costs nothing unseen.)</li>
 * </ul>
 * Whether a request is secret is decided by the engine's own evaluator against the deny rule,
 * so "classified secret" and "denied by the suggestion" cannot drift apart.
 */
final class Secrets {
    static final String RULE_ID = "suggested-no-secrets";

    static final List<String> DENY_GLOBS = List.of(
            "**/.ssh/**", "**/.gnupg/**", "**/.aws/**", "**/.azure/**", "**/.config/gcloud/**", "**/.kube/config",
            "**/.docker/config.json", "**/.password-store/**", "**/.netrc", "**/.pgpass", "**/.git-credentials",
            "**/.env", "**/.env.*", "**/*.pem", "**/*.key", "**/*.p12", "**/*.pfx", "**/*.jks", "**/*.keystore",
            "**/id_rsa*", "**/id_dsa*", "**/id_ecdsa*", "**/id_ed25519*",
            "/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/gshadow-", "/etc/sudoers", "/etc/sudoers.d/**",
            "/etc/ssl/private/**", "/proc/*/environ");

    /** File names that look like credentials; matched on the last path segment, any case. */
    private static final Pattern NAME = Pattern.compile(".*(key|secret|password|credential).*|token|.*[._-]token");

    private static final Policy DENY = deny();
    private final Evaluator evaluator = new Evaluator();

    private static Policy deny() {
        StringBuilder b = new StringBuilder("version: 1\nrules:\n  - id: " + RULE_ID + "\n    effect: deny\n    family: file\n    paths:\n");
        DENY_GLOBS.forEach(g -> b.append("      - ").append(Yaml.q(g)).append('\n'));
        try {
            return PolicyLoader.loadText("<secrets>", b.toString(), null, Map.of());
        } catch (PolicyException e) {
            throw new IllegalStateException("the built-in secrets rule does not load: " + e.getMessage(), e);
        }
    }

    /** True when an observed file request touches a secret (either of its paths). */
    boolean secret(Observed o) {
        if (!"file".equals(o.family())) {
            return false;
        }
        Request r = Request.of("file", o.action(), o.target());
        return RULE_ID.equals(evaluator.decide(DENY, r, Agent.named("secrets")).rule())
                || looksSecret(o.target().get("path")) || looksSecret(o.target().get("dest"));
    }

    /** Whether the fixed globs already deny this path (an exact deny for it would be redundant). */
    boolean coveredByGlobs(String path) {
        return RULE_ID.equals(evaluator.decide(DENY, Request.of("file", "read", Map.of("path", path)), Agent.named("secrets")).rule());
    }

    static boolean looksSecret(Object path) {
        if (!(path instanceof String raw)) {
            return false;
        }
        String p = PathGeneralizer.normalize(raw) != null ? PathGeneralizer.normalize(raw) : raw;
        String name = p.substring(p.lastIndexOf('/') + 1).toLowerCase(Locale.ROOT);
        return NAME.matcher(name).matches();
    }
}
