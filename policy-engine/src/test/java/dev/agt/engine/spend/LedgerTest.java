package dev.agt.engine.spend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The ledger: admission against hard limits, settlement, windows, and concurrent use against a sequential model. */
class LedgerTest {
    static SpendPolicy.Budget budget(String id, SpendPolicy.Per per, long limit, Optional<Duration> window, Optional<String> calendar) {
        return new SpendPolicy.Budget(id, per, per == SpendPolicy.Per.LABEL ? "team" : "", window, calendar, limit, Optional.empty(), false, false, "t:1:1");
    }

    @Test
    void aCallIsAdmittedOnlyIfItsEstimateFitsUnderEveryLimitAndSettlesToWhatItCost() {
        AtomicLong now = new AtomicLong(1_764_806_400_000L);
        Ledger l = new Ledger(now::get);
        Ledger.Account agent = new Ledger.Account(budget("a", SpendPolicy.Per.AGENT, 100, Optional.empty(), Optional.of("day")), "bob");
        Ledger.Account org = new Ledger.Account(budget("o", SpendPolicy.Per.ORGANISATION, 1000, Optional.empty(), Optional.of("month")), "*");
        Ledger.Hold h1 = l.reserve(List.of(agent, org), 60);
        assertTrue(h1.admitted());
        Ledger.Hold h2 = l.reserve(List.of(agent, org), 60);
        assertFalse(h2.admitted(), "60 held plus 60 would pass 100");
        assertEquals(agent, h2.over());
        assertEquals(new Ledger.Balance(0, 60), l.balance(org), "a refused call holds nothing anywhere");
        l.settle(h1, 30);
        assertEquals(new Ledger.Balance(30, 0), l.balance(agent));
        assertTrue(l.reserve(List.of(agent, org), 60).admitted(), "30 spent plus 60 fits");
        assertFalse(l.exhausted(agent));
        // a new UTC day: the daily budget starts again, the monthly one does not
        now.addAndGet(Duration.ofDays(1).toMillis());
        assertEquals(0, l.balance(agent).spent());
        assertEquals(30, l.balance(org).spent());
    }

    /**
     * A ledger restored from its snapshot has spent exactly what the old one had in each window
     * (calendar and rolling), plus what the old one held; a budget the policy changed keeps its
     * spending under its new window.
     */
    @Test
    void aRestoredLedgerGoesOnFromItsSnapshot() {
        AtomicLong now = new AtomicLong(1_764_806_400_000L + Duration.ofHours(10).toMillis());
        Ledger.Account day = new Ledger.Account(budget("d", SpendPolicy.Per.AGENT, 1000, Optional.empty(), Optional.of("day")), "bob");
        Ledger.Account hour = new Ledger.Account(budget("h", SpendPolicy.Per.AGENT, 1000, Optional.of(Duration.ofHours(1)), Optional.empty()), "bob");
        Map<String, Ledger.Saved> saved = new HashMap<>();
        Ledger old = new Ledger(now::get, Map.of(), saved::putAll);
        old.settle(old.reserve(List.of(day, hour), 100), 100);
        now.addAndGet(Duration.ofMinutes(40).toMillis());
        old.settle(old.reserve(List.of(day, hour), 50), 50);
        old.reserve(List.of(day, hour), 7); // in flight when the engine stops
        assertEquals(old.snapshot().keySet(), saved.keySet(), "every change was saved");

        Ledger restored = new Ledger(now::get, saved, null);
        assertEquals(new Ledger.Balance(157, 0), restored.balance(day), "spent, and the hold in flight counted as spent");
        assertEquals(new Ledger.Balance(157, 0), restored.balance(hour));
        now.addAndGet(Duration.ofMinutes(30).toMillis());
        assertEquals(57, restored.balance(hour).spent(), "the first call left the rolling hour at its own time");
        assertEquals(157, restored.balance(day).spent());
        // the policy turns the daily budget into a rolling 30 minutes: what is older drops out
        Ledger.Account changed = new Ledger.Account(budget("d", SpendPolicy.Per.AGENT, 1000, Optional.of(Duration.ofMinutes(31)), Optional.empty()), "bob");
        assertTrue(restored.balance(changed).spent() <= 157, "never more than it was");
        now.addAndGet(Duration.ofHours(1).toMillis());
        assertEquals(0, restored.balance(changed).spent(), "and the new window forgets like any rolling window");
    }

    @Test
    void aHoldThatCannotBeSavedIsNotMade() {
        Ledger.Account a = new Ledger.Account(budget("a", SpendPolicy.Per.AGENT, 100, Optional.empty(), Optional.of("day")), "bob");
        boolean[] fail = {true};
        Ledger l = new Ledger(System::currentTimeMillis, Map.of(), state -> {
            if (fail[0]) {
                throw new java.io.IOException("disk full");
            }
        });
        Ledger.Unsaved e = org.junit.jupiter.api.Assertions.assertThrows(Ledger.Unsaved.class, () -> l.reserve(List.of(a), 60));
        assertTrue(e.getMessage().contains("disk full"), e.getMessage());
        assertEquals(new Ledger.Balance(0, 0), l.balance(a), "nothing held");
        fail[0] = false;
        assertTrue(l.reserve(List.of(a), 60).admitted());
    }

    @Test
    void rollingWindowsForgetWhatIsOlderThanTheWindow() {
        AtomicLong now = new AtomicLong(1_000_000_000L);
        Ledger l = new Ledger(now::get);
        Ledger.Account a = new Ledger.Account(budget("r", SpendPolicy.Per.AGENT, 100, Optional.of(Duration.ofHours(1)), Optional.empty()), "bob");
        l.settle(l.reserve(List.of(a), 90), 90);
        assertFalse(l.reserve(List.of(a), 20).admitted());
        now.addAndGet(Duration.ofMinutes(59).toMillis());
        assertEquals(90, l.balance(a).spent(), "still within the hour");
        now.addAndGet(Duration.ofMinutes(2).toMillis());
        assertEquals(0, l.balance(a).spent(), "an hour and a minute later");
        assertTrue(l.reserve(List.of(a), 20).admitted());
    }

    @Test
    void saturatedAmountsStayOverTheLimit() {
        Ledger l = new Ledger(() -> 0L);
        Ledger.Account a = new Ledger.Account(budget("s", SpendPolicy.Per.AGENT, 100, Optional.empty(), Optional.of("day")), "x");
        Ledger.Hold h = l.reserve(List.of(a), 10);
        l.settle(h, Money.MAX);
        assertTrue(l.exhausted(a));
        assertFalse(l.reserve(List.of(a), 0).admitted(), "spending that saturated never wraps back under a limit");
    }

    /** One operation as it happened: its place in the ledger's order, and what it did. */
    record Op(long seq, boolean reserve, int account, long amount, boolean admitted, int holdId) {
    }

    /**
     * Many threads reserve and settle at random on overlapping accounts; every operation's place
     * in the ledger's order is recorded. Replaying them in that order on a plain sequential model
     * must give the same admissions and the same balances: concurrency changes nothing.
     */
    @Test
    void concurrentUseMatchesASequentialModel() throws Exception {
        for (int round = 0; round < 20; round++) {
            Random seed = new Random(round);
            List<Ledger.Account> accounts = List.of(
                    new Ledger.Account(budget("a", SpendPolicy.Per.AGENT, 5_000, Optional.empty(), Optional.of("month")), "a1"),
                    new Ledger.Account(budget("a", SpendPolicy.Per.AGENT, 5_000, Optional.empty(), Optional.of("month")), "a2"),
                    new Ledger.Account(budget("o", SpendPolicy.Per.ORGANISATION, 8_000, Optional.empty(), Optional.of("month")), "*"));
            Ledger l = new Ledger(() -> 1_764_806_400_000L);
            List<Op> ops = Collections.synchronizedList(new ArrayList<>());
            int threads = 8;
            CountDownLatch go = new CountDownLatch(1);
            List<Thread> ts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                long s = seed.nextLong();
                int agent = t % 2;
                ts.add(new Thread(() -> {
                    Random r = new Random(s);
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    List<Ledger.Hold> open = new ArrayList<>();
                    for (int i = 0; i < 200; i++) {
                        if (open.isEmpty() || r.nextBoolean()) {
                            long est = 1 + r.nextInt(300);
                            Ledger.Hold h = l.reserve(List.of(accounts.get(agent), accounts.get(2)), est);
                            ops.add(new Op(h.seq(), true, agent, est, h.admitted(), System.identityHashCode(h)));
                            if (h.admitted()) {
                                open.add(h);
                            }
                        } else {
                            Ledger.Hold h = open.remove(r.nextInt(open.size()));
                            long actual = r.nextInt(400);
                            ops.add(new Op(l.settle(h, actual), false, agent, actual, true, System.identityHashCode(h)));
                        }
                    }
                }));
            }
            ts.forEach(Thread::start);
            go.countDown();
            for (Thread t : ts) {
                t.join();
            }
            // the sequential model: spent and held per account, holds by identity
            List<Op> ordered = new ArrayList<>(ops);
            ordered.sort(Comparator.comparingLong(Op::seq));
            long[] spent = new long[3];
            long[] held = new long[3];
            long[] limit = {5_000, 5_000, 8_000};
            long[] excess = new long[3];
            Map<Integer, Long> holds = new HashMap<>();
            for (Op op : ordered) {
                int[] on = {op.account(), 2};
                if (op.reserve()) {
                    boolean fits = true;
                    for (int a : on) {
                        fits &= spent[a] + held[a] + op.amount() <= limit[a];
                    }
                    assertEquals(fits, op.admitted(), "round " + round + ", op " + op);
                    if (fits) {
                        for (int a : on) {
                            held[a] += op.amount();
                        }
                        holds.put(op.holdId(), op.amount());
                    }
                } else {
                    long est = holds.remove(op.holdId());
                    for (int a : on) {
                        held[a] -= est;
                        spent[a] += op.amount();
                        excess[a] += Math.max(0, op.amount() - est);
                    }
                }
            }
            for (int a = 0; a < 3; a++) {
                assertEquals(new Ledger.Balance(spent[a], held[a]), l.balance(accounts.get(a)), "round " + round + ", account " + a);
                // the bound: spending passes a limit only by what admitted calls used beyond their estimates
                assertTrue(spent[a] + held[a] <= limit[a] + excess[a], "round " + round + ", account " + a + ": " + spent[a] + " + " + held[a]
                        + " over " + limit[a] + " by more than " + excess[a]);
            }
        }
    }
}
