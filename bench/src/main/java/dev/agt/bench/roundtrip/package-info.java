/**
 * The governed round trip against its floor.
 *
 * <p>Why the echo is built the way it is: a fair floor has the same concurrency shape as the
 * real client, or the ratio means nothing. A blocking one-thread ping-pong would measure a
 * different thing (no lock, no futures, no hand-over between waiting callers, no pipelining), so
 * {@link dev.agt.bench.roundtrip.EchoClient} copies {@code EngineClient}'s design: one shared
 * non-blocking connection, id-tagged messages, a write lock, and the first waiting caller
 * reading for everyone in a selector (leader/follower, no reader thread). The
 * server writes one reply per message, as the engine does. What remains between the two is the
 * price of governance: the frame codec on both ends, evaluation, the audit append and the
 * engine's reply queue.
 *
 * <p>The echo message is 64 bytes each way; the governed call sends a DECIDE frame of about 120
 * bytes for this file read and gets a DECISION of about 220 back. At these sizes a Unix socket's
 * cost is per call, not per byte.
 */
package dev.agt.bench.roundtrip;
