package dev.agt.engine.session;

import java.util.Map;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Whose decision each recent audit entry is, so that an agent's OUTCOME may name only its own
 * decisions ({@code follows}): an agent must not annotate another agent's entries.
 *
 * <p>"Its own" is the agent process behind the session, not the connection: the agent's outcome
 * spool delivers over a new connection what it could not deliver over the old one, so a decision
 * of an earlier session of the same process is its own too. The process is named by
 * {@link #principal}: how it was authenticated, the DID it proved (or the name it declared), the
 * peer's user and the declared pid.
 *
 * <p>A ring of the last {@code capacity} decisions by sequence number, lock-free (one slot
 * written per decision, after its entry is in the log). A number whose slot has since been taken
 * by a later decision, or that was written before this engine started, is {@link Unknown}: the
 * engine then reads the entry back from the log.
 */
public final class DecisionOwners {
    public static final int DEFAULT_CAPACITY = 1 << 18;

    /** What the ring says about a sequence number. */
    public sealed interface Lookup permits Owner, NotADecision, Unknown {
    }

    /** A decision made for {@code principal} in {@code session}. */
    public record Owner(long session, String principal, String name) implements Lookup {
    }

    /** In the ring's window, and no decision: an event, an outcome, or not written yet. */
    public record NotADecision() implements Lookup {
    }

    /** Before this engine started, or evicted from the ring: read the log. */
    public record Unknown() implements Lookup {
    }

    private record Slot(long seq, Owner owner) {
    }

    private final AtomicReferenceArray<Slot> slots;
    private final int mask;
    private final long firstSeq;

    /**
     * @param capacity a power of two
     * @param firstSeq the first sequence number this engine writes: decisions before it are not in the ring
     */
    public DecisionOwners(int capacity, long firstSeq) {
        if (Integer.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("capacity must be a power of two");
        }
        this.slots = new AtomicReferenceArray<>(capacity);
        this.mask = capacity - 1;
        this.firstSeq = firstSeq;
    }

    /** Records that entry {@code seq}, just written, is a decision of {@code owner}. */
    public void decided(long seq, Owner owner) {
        slots.set((int) (seq & mask), new Slot(seq, owner));
    }

    public Lookup find(long seq) {
        if (seq < firstSeq) {
            return new Unknown();
        }
        Slot s = slots.get((int) (seq & mask));
        if (s != null && s.seq() == seq) {
            return s.owner();
        }
        if (s == null || s.seq() < seq) {
            // this slot would hold seq had it been a decision: no later one has taken it yet
            return new NotADecision();
        }
        return new Unknown();
    }

    /**
     * The agent process an entry's {@code agent} fields name: the same for every session of one
     * process, different for any other agent (another DID, name, user or pid).
     */
    public static String principal(Map<String, ?> agent) {
        Object did = agent.get("did");
        return agent.get("auth") + "\n" + (did != null ? did : agent.get("name")) + "\n" + agent.get("uid") + "\n" + agent.get("pid");
    }
}
