package dev.agt.engine.audit;

import java.io.Closeable;
import java.util.Map;

/**
 * Where decisions and engine events are recorded. The engine replies to an agent only from
 * {@link Completion#done}, after the entry is written; an error there turns the decision into
 * a denial with reason {@code audit-unavailable}. Implementations group concurrent appends
 * into one write.
 */
public interface AuditSink extends Closeable {

    /** Queues one entry; {@code done} runs once it is written (or could not be). */
    void append(Map<String, Object> entry, Completion done);

    /** Appends and waits; for engine events, where nobody waits on a socket. */
    long appendAndWait(Map<String, Object> entry) throws java.io.IOException;

    /** The sequence number the next entry will get. */
    long nextSeq();

    /** Failed writes so far. */
    long failures();

    @FunctionalInterface
    interface Completion {
        /** @param error null on success */
        void done(long seq, Throwable error);
    }
}
