package dev.agt.audit;

import java.io.Closeable;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where decisions and engine events are recorded. The engine replies to an agent only from
 * {@link Completion#done}, after the entry is written; an error there turns the decision into
 * a denial with reason {@code audit-unavailable}.
 *
 * <p>Appends are synchronous group commits: the call returns once the entries are written, and
 * concurrent callers share one write (whoever holds the log writes everything queued so far,
 * and completes the others' entries too). No hand-off to a writer thread on the decision path.
 */
public interface AuditSink extends Closeable {

    /**
     * Writes the entries, then calls {@code done} for each (in order), possibly from another
     * caller's thread; returns when all are done.
     */
    void append(List<Map<String, Object>> entries, List<Completion> done);

    /** Appends one entry and returns its sequence number. */
    default long appendAndWait(Map<String, Object> entry) throws IOException {
        long[] seq = {-1};
        Throwable[] err = {null};
        append(List.of(entry), List.of((s, e) -> {
            seq[0] = s;
            err[0] = e;
        }));
        if (err[0] != null) {
            throw err[0] instanceof IOException io ? io : new IOException(err[0]);
        }
        return seq[0];
    }

    /**
     * The stored line of entry {@code seq} (canonical JSON, as hashed), or empty when this sink
     * cannot read entries back or holds no such entry. Not for the decision path: it may read a
     * whole segment.
     */
    default Optional<byte[]> entry(long seq) throws IOException {
        return Optional.empty();
    }

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
