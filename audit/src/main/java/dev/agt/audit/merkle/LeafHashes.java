package dev.agt.audit.merkle;

import java.io.IOException;

/**
 * Source of leaf hashes by 0-based index, for proof generation. Backed by the log's storage in
 * production, hence the {@link IOException}; an implementation must return a 32-byte hash.
 */
@FunctionalInterface
public interface LeafHashes {
    byte[] get(long index) throws IOException;
}
