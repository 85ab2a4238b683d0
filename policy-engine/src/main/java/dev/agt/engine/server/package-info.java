/**
 * The engine process, one class per concern.
 *
 * <ul>
 *   <li>{@link dev.agt.engine.server.Engine}: lifecycle (start, reload of policy and registry,
 *       status, stop) and the state the other parts share: the policy and registry in force (each
 *       an immutable value behind an atomic reference), the audit sink, the kill switch, the tool
 *       pins, the counters and the open connections. It routes each frame to its part.
 *   <li>{@link dev.agt.engine.server.Connection}: one peer, served by one thread that reads
 *       frames, has them handled, writes their entries as one group commit, then the replies.
 *   <li>{@link dev.agt.engine.server.SessionAdmission}: HELLO / CHALLENGE / AUTH, and the
 *       refusals, each logged as {@code session-refused}.
 *   <li>{@link dev.agt.engine.server.DecisionPipeline}: DECIDE, the per-call path (request,
 *       gate, evaluation, entry, reply). Kept flat and allocation-light on purpose.
 *   <li>{@link dev.agt.engine.server.OutcomeIntake}: OUTCOME, an agent's word about what it did
 *       on its own, checked against whose decision it follows.
 *   <li>{@link dev.agt.engine.server.AdminCommands}: STATUS, RELOAD, KILL, REVIVE from the
 *       engine's own user over the Unix socket.
 *   <li>{@link dev.agt.engine.server.StateProblems}: a broken kill switch or pin store reported
 *       once, not per request.
 * </ul>
 *
 * <p>The parts hold no state of their own beyond what only they use (the nonces issued, the
 * evaluator's rate buckets), so there is one place to look for what the engine holds. Every log
 * entry is built as an {@code dev.agt.audit.entry} record and appended through {@code EntryCodec};
 * a reply to a request is sent only once its entry is written (fail closed otherwise).
 */
package dev.agt.engine.server;
