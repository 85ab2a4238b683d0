/**
 * Typed models of log entries that more than one reader needs, written by the engine and read by
 * {@code agt audit show}, {@code agt report} and tests through the same record, so the shape is
 * defined once.
 *
 * <p>Local outcomes ({@link dev.agt.audit.entry.OutcomeEntry}) are the agent's word about what it
 * finally did with a call on its own, after or without an engine decision: the engine checks
 * what it can (that a linked decision is one of the same agent's) and records the rest as the
 * agent said it, including the agent's clock ({@code outcome.at}). They are evidence like every
 * other entry: hashed into the chain and the Merkle tree, covered by the signed checkpoints.
 *
 * <p>Readers take what they cannot read as absent rather than failing: a log that does not
 * verify still gets a report, and its lines may be anything.
 */
package dev.agt.audit.entry;
