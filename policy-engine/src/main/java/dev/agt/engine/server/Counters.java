package dev.agt.engine.server;

import java.util.concurrent.atomic.LongAdder;

/** Engine-wide counters for status and metrics; contention-free under many threads. */
final class Counters {
    final LongAdder allowed = new LongAdder();
    final LongAdder denied = new LongAdder();
    final LongAdder auditFailures = new LongAdder();
    final LongAdder evaluationErrors = new LongAdder();
    final LongAdder protocolErrors = new LongAdder();
    final LongAdder reloadsOk = new LongAdder();
    final LongAdder reloadsRejected = new LongAdder();
    final LongAdder connectionsTotal = new LongAdder();
    /** Local outcomes logged (OUTCOME frames acknowledged). */
    final LongAdder outcomes = new LongAdder();
    /** OUTCOME frames refused: malformed, or naming a decision that is not the agent's. */
    final LongAdder outcomesRefused = new LongAdder();
}
