/**
 * The policy language: reading ({@link dev.agt.config.YamlReader},
 * {@link dev.agt.engine.policy.PolicyLoader}), the compiled model ({@link dev.agt.engine.policy.Policy},
 * {@link dev.agt.engine.policy.Rule}, {@link dev.agt.engine.policy.Condition}) and deciding
 * ({@link dev.agt.engine.policy.Evaluator}).
 *
 * <p>Design notes. Semantics are Cedar's and IAM's: deny overrides, then allow, then default deny.
 * The deciding rule among several is the smallest id, never the first in the file, so
 * reordering or duplicating rules cannot change a decision; the loader refuses exact duplicates
 * anyway, because a rule that can never decide is a mistake worth telling its author about.
 * Nothing here does I/O at evaluation time: IP literals are parsed by hand (no resolver), regexes
 * run with a step budget, and {@code ${agent.id}} patterns are compiled per agent with the id
 * escaped, so an agent's name can never act as a wildcard.
 */
package dev.agt.engine.policy;
