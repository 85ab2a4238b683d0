package dev.agt.engine.spend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** A ledger that counts other engines' spending (a narrow fake of the shared store; SharedStateIT runs the real one). */
class SharedLedgerTest {
    /** Others' spending as {key, at, amount}; what this ledger wrote; and whether the store answers. */
    static final class Store implements Ledger.Shared {
        final List<Object[]> others = new ArrayList<>();
        final List<Object[]> written = new ArrayList<>();
        boolean down;
        long askedSince = -1;

        @Override
        public long othersSpent(String key, long since) throws IOException {
            if (down) {
                throw new IOException("gone");
            }
            askedSince = since;
            return others.stream().filter(o -> o[0].equals(key) && (Long) o[1] >= since).mapToLong(o -> (Long) o[2]).sum();
        }

        @Override
        public void spent(String key, long at, long amount) throws IOException {
            if (down) {
                throw new IOException("gone");
            }
            written.add(new Object[] {key, at, amount});
        }
    }

    @Test
    void othersSpendingInTheWindowCountsAndWhatIsSpentHereIsReportedEvenAfterAnOutage() {
        AtomicLong now = new AtomicLong(1_764_806_400_000L + 3_600_000L); // 01:00 UTC
        Ledger l = new Ledger(now::get);
        Store store = new Store();
        l.share(store);
        Ledger.Account agent = new Ledger.Account(LedgerTest.budget("d", SpendPolicy.Per.AGENT, 100, Optional.empty(), Optional.of("day")), "bob");
        store.others.add(new Object[] {"d\0bob", 1_764_806_400_000L + 60_000L, 70L}); // today, on another engine
        store.others.add(new Object[] {"d\0bob", 1_764_806_400_000L - 60_000L, 90L}); // yesterday: outside the window
        assertFalse(l.reserve(List.of(agent), 40).admitted(), "70 spent elsewhere today plus 40 passes 100");
        assertEquals(1_764_806_400_000L, store.askedSince, "asked from the calendar day's start");
        Ledger.Hold h = l.reserve(List.of(agent), 30);
        assertTrue(h.admitted());
        assertEquals(new Ledger.Balance(70, 30), l.balance(agent));

        store.down = true;
        assertThrows(Ledger.Unsaved.class, () -> l.reserve(List.of(agent), 1), "others' spending unknown: refused, never admitted");
        assertThrows(Ledger.Unsaved.class, () -> l.exhausted(agent));
        l.settle(h, 25); // the call happened: counted here, kept for the store
        assertTrue(store.written.isEmpty());
        store.down = false;
        assertFalse(l.reserve(List.of(agent), 10).admitted(), "25 here and 70 elsewhere plus 10 passes 100");
        assertEquals(1, store.written.size(), "the cost the store missed is written before the next admission");
        assertEquals(25L, store.written.get(0)[2]);
        assertTrue(l.exhausted(agent) == false && l.reserve(List.of(agent), 5).admitted());
    }

    @Test
    void aRollingWindowAsksFromItsLengthAgo() {
        AtomicLong now = new AtomicLong(1_764_806_400_000L);
        Ledger l = new Ledger(now::get);
        Store store = new Store();
        l.share(store);
        Ledger.Account a = new Ledger.Account(LedgerTest.budget("h", SpendPolicy.Per.AGENT, 100, Optional.of(Duration.ofHours(1)), Optional.empty()), "x");
        assertTrue(l.reserve(List.of(a), 10).admitted());
        assertEquals(now.get() - 3_600_000L, store.askedSince);
    }
}
