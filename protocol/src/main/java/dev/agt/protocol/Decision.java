package dev.agt.protocol;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The engine's answer to one request.
 *
 * @param effect        allow or deny
 * @param rule          the deciding rule id, or {@code default-deny}, or empty when no policy decided
 *                      (engine failures)
 * @param code          a stable reason code: {@code allowed}, {@code denied}, {@code default-deny},
 *                      {@code rate-limited}, or a failure code from {@link Reasons}
 * @param reason        a sentence for people
 * @param policyVersion SHA-256 of the canonical policy in force, or empty
 * @param auditSeq      the sequence number of the audit entry that records this decision, or -1
 * @param sandbox       for an allowed process launch: the sandbox profile it must run under, or null
 */
public record Decision(Effect effect, String rule, String code, String reason, String policyVersion, long auditSeq, String sandbox) {

    public enum Effect { ALLOW, DENY }

    public Decision {
        Objects.requireNonNull(effect, "effect");
        rule = rule == null ? "" : rule;
        code = code == null ? "" : code;
        reason = reason == null ? "" : reason;
        policyVersion = policyVersion == null ? "" : policyVersion;
    }

    public Decision(Effect effect, String rule, String code, String reason, String policyVersion, long auditSeq) {
        this(effect, rule, code, reason, policyVersion, auditSeq, null);
    }

    public boolean allowed() {
        return effect == Effect.ALLOW;
    }

    /** A denial made without a policy: engine failures, timeouts, bad replies. */
    public static Decision failure(String code, String reason) {
        return new Decision(Effect.DENY, "", code, reason, "", -1);
    }

    public Decision withAuditSeq(long seq) {
        return new Decision(effect, rule, code, reason, policyVersion, seq, sandbox);
    }

    public Map<String, Object> toBody() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("effect", effect == Effect.ALLOW ? "allow" : "deny");
        m.put("rule", rule);
        m.put("code", code);
        m.put("reason", reason);
        m.put("policy", policyVersion);
        m.put("seq", auditSeq);
        if (sandbox != null) {
            m.put("sandbox", sandbox);
        }
        return m;
    }

    public static Decision fromBody(Map<String, Object> body) throws ProtocolException {
        Object e = body.get("effect");
        Effect effect;
        if ("allow".equals(e)) {
            effect = Effect.ALLOW;
        } else if ("deny".equals(e)) {
            effect = Effect.DENY;
        } else {
            throw new ProtocolException(Reasons.BAD_DECISION, "effect must be allow or deny");
        }
        Object seq = body.get("seq");
        if (!(seq instanceof Long)) {
            throw new ProtocolException(Reasons.BAD_DECISION, "seq must be an integer");
        }
        String sandbox = str(body, "sandbox");
        if (sandbox != null && effect != Effect.ALLOW) {
            throw new ProtocolException(Reasons.BAD_DECISION, "only an allow carries a sandbox");
        }
        return new Decision(effect, str(body, "rule"), str(body, "code"), str(body, "reason"), str(body, "policy"), (Long) seq, sandbox);
    }

    private static String str(Map<String, Object> body, String key) throws ProtocolException {
        Object v = body.get(key);
        if (v != null && !(v instanceof String)) {
            throw new ProtocolException(Reasons.BAD_DECISION, key + " must be a string");
        }
        return (String) v;
    }
}
