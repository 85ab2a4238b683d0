package dev.agt.audit.entry;

/**
 * One entry of the decision log, as the engine writes it and every reader reads it. The closed
 * set of what the engine writes, plus {@link UnknownEntry} for a type this reader does not know
 * (written by a newer engine, or by hand into a log that does not verify). {@link EntryCodec} is
 * the only place that turns an entry into the fields the log stores and a stored line back
 * into an entry.
 */
public sealed interface LogEntry permits DecisionEntry, OutcomeEntry, EngineEvent, UnknownEntry {

    /** The entry's sequence number, {@code -1} before the log has given it one (or when a stored line lacks it). */
    long seq();

    /** When the engine logged it (ISO-8601), {@code ""} when a stored line lacks it. */
    String time();

    /** The stored {@code type} member: {@code decision}, {@code outcome}, {@code event}, or whatever an unknown entry says. */
    String type();
}
