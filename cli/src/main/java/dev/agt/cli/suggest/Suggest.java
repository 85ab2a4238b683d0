package dev.agt.cli.suggest;

import dev.agt.audit.note.NoteKeys;
import java.io.IOException;
import java.nio.file.Path;

/** {@code agt policy suggest}: a starter policy learned from a decision log. See package-info. */
public final class Suggest {

    /** The policy text, the policy-test text and a one-line summary. */
    public record Result(String policy, String tests, String summary, boolean verified) {
    }

    /** Nothing to learn from, or nothing that may be learned from; the message says why and what to do. */
    public static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message);
        }
    }

    private Suggest() {
    }

    /**
     * @param key        the pinned public key, or null when there is none
     * @param keyProblem why there is no key
     * @param agent      only this agent's decisions, or null for all
     * @param home       the directory written as {@code ${home}}, or null
     * @param testsName  where the tests go, for the header, or null when they are not written
     */
    public static Result fromLog(Path dir, NoteKeys.Verifier key, String keyProblem, boolean unverified, String agent,
                                 String home, String testsName) throws IOException, Refused {
        DecisionLog.Reading r;
        try {
            r = DecisionLog.read(dir, key, keyProblem, unverified, agent);
        } catch (DecisionLog.Refused e) {
            throw new Refused(e.getMessage());
        }
        if (r.decisions() == 0) {
            throw new Refused(dir + " holds no decisions to learn from (run the agents under the engine, in monitor mode"
                    + " for a first policy, then suggest again)");
        }
        if (r.observed().isEmpty()) {
            throw new Refused("no decisions by agent '" + agent + "' in " + dir + " (agents in the log: "
                    + String.join(", ", r.agents()) + ")");
        }
        String h = home == null ? null : PathGeneralizer.normalize(home);
        Suggester.Suggestion s = new Suggester(new PathGeneralizer(h)).suggest(r.observed());
        PolicyWriter.Output out = new PolicyWriter().write(s, r, agent, h == null || h.equals("/") ? null : h, testsName);
        return new Result(out.policy(), out.tests(), out.summary(), r.verified());
    }
}
