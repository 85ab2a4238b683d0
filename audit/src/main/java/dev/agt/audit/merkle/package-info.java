/**
 * The Merkle tree math of the audit log: RFC 6962 hashing and the inclusion and consistency
 * proofs of RFC 9162 section 2.1 (which restates RFC 6962's tree with clearer algorithms).
 *
 * <p>Design notes for the next reader:
 * <ul>
 *   <li>The log is append-only, so the writer never needs the whole tree. {@link
 *       dev.agt.audit.merkle.CompactRange} keeps one hash per set bit of the size (at most 64),
 *       which gives the current root after every append in O(log n) hashes without storing or
 *       rereading interior nodes. A checkpoint signer only ever needs that.</li>
 *   <li>Proof generation reads leaf hashes back through {@link dev.agt.audit.merkle.LeafHashes}
 *       and recomputes the subtree roots it needs, O(n) hashes per proof. Proofs are asked for
 *       rarely (audits, disputes), so no node cache is kept; add one behind LeafHashes if that
 *       changes.</li>
 *   <li>Verification is the iterative algorithm of RFC 9162 2.1.3.2 / 2.1.4.2: O(log n) hashes,
 *       a few microseconds for a million-leaf tree. It runs on data from outside (a proof file, a
 *       peer), so every malformed input is a {@link dev.agt.audit.merkle.ProofException} naming
 *       the failed check, never a runtime exception.</li>
 *   <li>Leaf and node hashes carry the 0x00 / 0x01 prefixes of RFC 6962 section 2.1 so that an
 *       interior node can never be presented as a leaf.</li>
 * </ul>
 */
package dev.agt.audit.merkle;
