package dev.agt.javaagent.runtime;

import dev.agt.javaagent.bootstrap.Dispatcher;
import dev.agt.protocol.Outcome;
import dev.agt.protocol.OutcomeSpool;
import dev.agt.protocol.Reasons;
import dev.agt.protocol.Request;
import dev.agt.protocol.TargetField;
import dev.agt.rules.Accessors;
import dev.agt.rules.InterceptRule;
import java.util.List;
import java.util.Map;

/**
 * Calls that interception rules govern (MCP and framework tool calls, anything an ops team
 * names): the target is read from the call's arguments or its result through the rule's
 * accessors and sent as read. A target that cannot be built at all is denied here, with its
 * reason; one that lacks a field is the engine's to deny ({@code incomplete-request}), so a
 * broken rule shows in the log.
 */
final class RuleCalls {
    /** Asks the engine about a request; null to go on, else the denial. */
    interface Asker {
        String[] ask(String family, String action, Map<String, Object> target, boolean ruleMonitor, boolean atReturn);
    }

    private final Settings settings;
    private final OutcomeSpool outcomes;
    private final Asker asker;
    private final Object key;
    private volatile List<InterceptRule> rules = List.of();

    RuleCalls(Settings settings, OutcomeSpool outcomes, Asker asker, Object key) {
        this.settings = settings;
        this.outcomes = outcomes;
        this.asker = asker;
        this.key = key;
    }

    /** The interception rules in force, by the index the rewritten classes pass. */
    void rules(List<InterceptRule> rules) {
        this.rules = List.copyOf(rules);
    }

    String[] intercept(int index, Object self, Object[] args) {
        InterceptRule r = rules.get(index);
        Map<String, Object> target;
        try {
            target = Accessors.target(r.target(), self, args, null);
        } catch (RuntimeException e) {
            return unbuildable(r, e);
        }
        // sent as read, even without a field the vocabulary requires: the engine denies an
        // incomplete request (incomplete-request) and logs it, so a broken rule shows in the log
        return asker.ask(r.family(), r.action(), strings(target), r.mode() == InterceptRule.Mode.MONITOR, r.at().afterCall());
    }

    /** Fields the vocabulary defines as strings stay strings whatever a rule found (a command line as a list: joined). */
    private static Map<String, Object> strings(Map<String, Object> target) {
        for (Map.Entry<String, Object> e : target.entrySet()) {
            if (TargetField.of(e.getKey()).filter(f -> f.type() == TargetField.Type.STRING).isPresent() && !(e.getValue() instanceof String)) {
                e.setValue(Accessors.text(e.getValue()));
            }
        }
        return target;
    }

    Object result(int index, Object self, Object[] args, Object result) {
        InterceptRule r = rules.get(index);
        if (result == null) {
            return null;
        }
        java.util.function.Function<Object, Object> check = value -> {
            String[] d = decideResult(r, self, args, value);
            if (d != null) {
                throw Dispatcher.denial(d);
            }
            return value;
        };
        Object deferred = Results.onArrival(result, check);
        return deferred != null ? deferred : check.apply(result);
    }

    private String[] decideResult(InterceptRule r, Object self, Object[] args, Object value) {
        Dispatcher.enter(key);
        try {
            Map<String, Object> target;
            try {
                target = Accessors.target(r.target(), self, args == null ? new Object[0] : args, value);
                if (target.containsKey("result")) {
                    target.put("result", ResultText.fit(target.get("result")));
                }
            } catch (RuntimeException e) {
                return unbuildable(r, e);
            }
            return asker.ask(r.family(), r.action(), strings(target), r.mode() == InterceptRule.Mode.MONITOR, true);
        } finally {
            Dispatcher.exit(key);
        }
    }

    /**
     * A target that cannot be built (an accessor failed) is denied here: nothing of it could be
     * read to send. A target built without a field is sent, and the engine denies it.
     */
    private String[] unbuildable(InterceptRule r, RuntimeException e) {
        String reason = "interception rule " + r.id() + ": " + e.getMessage();
        Request request = new Request(r.family(), r.action(), Map.of("rule", r.id()), Thread.currentThread().getName(), settings.frames().walk(),
                false, r.at().afterCall());
        if (settings.options().monitor() || r.mode() == InterceptRule.Mode.MONITOR) {
            System.err.println("agt: monitor mode: would deny " + r.family() + "/" + r.action() + " (rule " + r.id() + "): " + e.getMessage());
            outcomes.report(Outcome.passedMonitor(Reasons.UNBUILDABLE_REQUEST, reason, request));
            return null;
        }
        outcomes.report(Outcome.deniedLocally(Reasons.UNBUILDABLE_REQUEST, reason, request));
        return new String[] {"", Reasons.UNBUILDABLE_REQUEST, reason, "-1", r.family() + "/" + r.action() + " (" + r.id() + ")"};
    }
}
