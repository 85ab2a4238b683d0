/**
 * The typed model of a log entry, the one every writer and reader uses: {@link
 * dev.agt.audit.entry.LogEntry} is the closed set of what the engine writes ({@link
 * dev.agt.audit.entry.DecisionEntry}, {@link dev.agt.audit.entry.OutcomeEntry}, the {@link
 * dev.agt.audit.entry.EngineEvent} kinds) plus {@link dev.agt.audit.entry.UnknownEntry}, and
 * {@link dev.agt.audit.entry.EntryCodec} is the only translation between the records and the
 * stored lines. The engine builds records and appends {@code EntryCodec.toMap(entry)}; {@code agt
 * audit show}, {@code agt report}, {@code agt policy suggest} and the demo read lines with {@code
 * EntryCodec.read}.
 *
 * <p>The bytes in the log are the contract, not the records: the log stores canonical JSON and
 * hashes it, so a record must write exactly the members (names, value types, which are omitted
 * when empty) the engine wrote before. {@code EntryCodecTest} round-trips real engine lines byte
 * for byte; a change of shape is a change of the log format and needs a new member or type, never
 * a renamed one.
 *
 * <p>Local outcomes ({@link dev.agt.audit.entry.OutcomeEntry}) are the agent's word about what it
 * finally did with a call on its own, after or without an engine decision: the engine checks
 * what it can (that a linked decision is one of the same agent's) and records the rest as the
 * agent said it, including the agent's clock ({@code outcome.at}). They are evidence like every
 * other entry: hashed into the chain and the Merkle tree, covered by the signed checkpoints.
 *
 * <p>Readers take what they cannot read as absent rather than failing: a log that does not
 * verify still gets a report, and its lines may be anything. Only a line that is no entry at all
 * (not a JSON object with a string {@code type}) is an error, {@link
 * dev.agt.audit.entry.MalformedEntryException}, which readers count and skip.
 */
package dev.agt.audit.entry;
