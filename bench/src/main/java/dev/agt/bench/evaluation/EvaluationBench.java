package dev.agt.bench.evaluation;

import dev.agt.engine.policy.Agent;
import dev.agt.engine.policy.Evaluator;
import dev.agt.engine.policy.Policy;
import dev.agt.engine.policy.PolicyException;
import dev.agt.engine.policy.PolicyLoader;
import dev.agt.protocol.Decision;
import dev.agt.protocol.Reasons;
import dev.agt.protocol.Request;
import io.sapl.api.pdp.AuthorizationDecision;
import io.sapl.api.pdp.AuthorizationSubscription;
import io.sapl.interpreter.InitializationException;
import io.sapl.interpreter.combinators.PolicyDocumentCombiningAlgorithm;
import io.sapl.pdp.EmbeddedPolicyDecisionPoint;
import io.sapl.pdp.PolicyDecisionPointFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.casbin.jcasbin.main.Enforcer;
import org.casbin.jcasbin.model.Model;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One decision, in process, by agt's evaluator and by two peers given the same generated policy
 * ({@link GeneratedPolicy}: deny overrides, default deny) and the same three file reads
 * ({@link RequestKind}). Each implementation's state checks, before any timing, that it answers
 * all three reads as expected, so a benchmark never times a wrong answer.
 *
 * <p>Each method builds only its own engine (the states depend on {@link Workload}), so SAPL's
 * slow start-up at 1000 rules does not burden the other two.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class EvaluationBench {

    /** What is being asked: the policy size and the request. Shared by every implementation. */
    @State(Scope.Benchmark)
    public static class Workload {
        @Param({"10", "100", "1000"})
        int rules;

        @Param
        RequestKind request;

        List<GeneratedPolicy.GenRule> policy;

        @Setup(Level.Trial)
        public void generate() {
            policy = GeneratedPolicy.rules(rules);
        }
    }

    @State(Scope.Benchmark)
    public static class AgtState {
        Evaluator evaluator;
        Policy policy;
        Agent agent;
        Request request;

        @Setup(Level.Trial)
        public void setUp(Workload w) throws PolicyException {
            policy = PolicyLoader.loadText("generated.yaml", GeneratedPolicy.agtYaml(w.policy), Path.of("."), Map.of());
            if (policy.rules().size() != w.rules) {
                throw new IllegalStateException("agt loaded " + policy.rules().size() + " rules, generated " + w.rules);
            }
            evaluator = new Evaluator();
            agent = Agent.named("bench");
            for (RequestKind k : RequestKind.values()) {
                Decision d = evaluator.decide(policy, fileRead(k), agent);
                String code = k.allowed ? Reasons.ALLOWED : k == RequestKind.DEFAULT_DENY ? Reasons.DEFAULT_DENY : Reasons.DENIED;
                if (d.allowed() != k.allowed || !d.code().equals(code)) {
                    throw new IllegalStateException("agt answered " + k + " with " + d + ", expected " + code);
                }
            }
            request = fileRead(w.request);
        }

        private static Request fileRead(RequestKind k) {
            return Request.of("file", "read", Map.of("path", k.path));
        }
    }

    @State(Scope.Benchmark)
    public static class CasbinState {
        Enforcer enforcer;
        String path;

        @Setup(Level.Trial)
        public void setUp(Workload w) {
            enforcer = new Enforcer(Model.newModelFromString(GeneratedPolicy.CASBIN_MODEL)); // in memory, no adapter
            enforcer.enableLog(false); // otherwise every enforce() is logged
            enforcer.addPolicies(GeneratedPolicy.casbinLines(w.policy));
            if (enforcer.getPolicy().size() != w.rules) {
                throw new IllegalStateException("jcasbin holds " + enforcer.getPolicy().size() + " lines, generated " + w.rules);
            }
            for (RequestKind k : RequestKind.values()) {
                if (enforcer.enforce("file", k.path, "read") != k.allowed) {
                    throw new IllegalStateException("jcasbin answered " + k + " wrongly, expected allowed=" + k.allowed);
                }
            }
            path = w.request.path;
        }
    }

    @State(Scope.Benchmark)
    public static class SaplState {
        EmbeddedPolicyDecisionPoint pdp;
        AuthorizationSubscription subscription;

        @Setup(Level.Trial)
        public void setUp(Workload w) throws InitializationException {
            pdp = PolicyDecisionPointFactory.fixedInRamPolicyDecisionPoint(
                    List.of(GeneratedPolicy.saplPolicySet(w.policy)), PolicyDocumentCombiningAlgorithm.DENY_OVERRIDES, Map.of());
            for (RequestKind k : RequestKind.values()) {
                AuthorizationDecision d = pdp.decideOnce(subscription(k)).block();
                if (permitted(d) != k.allowed) {
                    throw new IllegalStateException("SAPL answered " + k + " with " + d + ", expected allowed=" + k.allowed);
                }
            }
            subscription = subscription(w.request);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            pdp.destroy();
        }

        private static AuthorizationSubscription subscription(RequestKind k) {
            return AuthorizationSubscription.of("bench", "read", Map.of("family", "file", "target", k.path));
        }
    }

    /** Anything but PERMIT (DENY, NOT_APPLICABLE, INDETERMINATE) is a denial: default deny. */
    static boolean permitted(AuthorizationDecision d) {
        return d != null && d.getDecision() == io.sapl.api.pdp.Decision.PERMIT;
    }

    @Benchmark
    public Decision agt(AgtState s) {
        return s.evaluator.decide(s.policy, s.request, s.agent);
    }

    @Benchmark
    public boolean jcasbin(CasbinState s) {
        return s.enforcer.enforce("file", s.path, "read");
    }

    /** SAPL takes milliseconds per decision at 1000 rules: warm it longer so the JIT has seen enough calls. */
    @Benchmark
    @Warmup(iterations = 5, time = 3)
    public boolean sapl(SaplState s) {
        return permitted(s.pdp.decideOnce(s.subscription).block());
    }
}
