/**
 * {@code agt policy suggest}: learning mode. Reads what a verified decision log shows the
 * agents doing and writes a starter policy for a person to review, with policy tests.
 *
 * <p>Design notes:
 * <ul>
 *   <li>Every semantic question is asked of the engine itself: whether the {@code jvm-runtime}
 *       base already allows a call, whether a path is a secret, and whether the written policy
 *       allows every call it was learned from are all answered by {@code PolicyLoader} and
 *       {@code Evaluator}, never by a second matcher kept here. The writer refuses to emit a
 *       policy that fails its own check.</li>
 *   <li>Only calls that went ahead are learned: allowed ones, and denials of agents in monitor
 *       mode (which were logged, not enforced). Denials while enforcing are listed for review:
 *       turning them into allow rules would undo the policy that was in force.</li>
 *   <li>Generalization stays narrow and says what it did: see {@link dev.agt.cli.suggest.PathGeneralizer}
 *       for paths; hosts, ports, executables, libraries, servers and tools stay exact.</li>
 *   <li>Memory grows with the number of distinct (agent, call, target) triples, not with the
 *       number of entries: identical calls are counted, not kept.</li>
 * </ul>
 */
package dev.agt.cli.suggest;
