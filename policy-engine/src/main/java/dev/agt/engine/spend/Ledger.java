package dev.agt.engine.spend;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * What has been spent and what is held against each budget account (a budget and whose spending
 * it counts: an agent, a label's value, the organisation), over the budget's window.
 *
 * <p>A model call is admitted only if, on every account it counts against, what was spent plus
 * what is held for calls in flight plus this call's estimate stays within the hard limit; the
 * estimate is then held until the call settles with its actual cost (or, when no usage ever
 * comes, with the estimate). So parallel calls cannot overspend by more than what admitted calls
 * use beyond their estimates. One lock orders every change: the ledger is small and each
 * operation is a few map lookups.
 */
public final class Ledger {
    /** A budget account: the budget's id and the subject it counts for. */
    public record Account(SpendPolicy.Budget budget, String subject) {
        String key() {
            return budget.id() + "\0" + subject;
        }
    }

    /** A call's hold: what was reserved on which accounts; {@code admitted} false when it was refused. */
    public record Hold(long seq, boolean admitted, List<Account> accounts, long amount, Account over) {
    }

    /** An account's state: spent in its current window, held for calls in flight. */
    public record Balance(long spent, long held) {
    }

    private static final int BUCKETS = 60;

    private final LongSupplier clock;
    private final Map<String, Window> windows = new HashMap<>();
    private final Map<String, Account> accounts = new HashMap<>();
    private long seq;

    /** @param clock epoch milliseconds */
    public Ledger(LongSupplier clock) {
        this.clock = clock;
    }

    public Ledger() {
        this(System::currentTimeMillis);
    }

    /** Holds {@code amount} on every account if none would pass its hard limit; else holds nothing. */
    public synchronized Hold reserve(List<Account> accounts, long amount) {
        long now = clock.getAsLong();
        for (Account a : accounts) {
            Window w = window(a, now);
            if (Money.add(Money.add(w.spent(now), w.held), amount) > a.budget().limit()) {
                return new Hold(++seq, false, List.copyOf(accounts), amount, a);
            }
        }
        for (Account a : accounts) {
            Window w = window(a, now);
            w.held = Money.add(w.held, amount);
        }
        return new Hold(++seq, true, List.copyOf(accounts), amount, null);
    }

    /** Releases an admitted hold and records {@code actual} as spent now; returns the operation's sequence number. */
    public long settle(Hold hold, long actual) {
        return settled(hold, actual).seq();
    }

    /**
     * A settlement: its place in the ledger's order, and the accounts whose spending crossed their
     * soft threshold ({@code warn}) with it, each with its balance after.
     */
    public record Settled(long seq, Map<Account, Balance> crossedWarn) {
    }

    /** As {@link #settle}, saying which soft thresholds the settlement crossed. */
    public synchronized Settled settled(Hold hold, long actual) {
        if (!hold.admitted()) {
            throw new IllegalArgumentException("a refused hold has nothing to settle");
        }
        long now = clock.getAsLong();
        Map<Account, Balance> crossed = new java.util.LinkedHashMap<>();
        for (Account a : hold.accounts()) {
            Window w = window(a, now);
            long before = w.spent(now);
            w.held = Math.max(0, w.held - hold.amount());
            w.add(now, actual);
            long after = w.spent(now);
            if (a.budget().warn().isPresent() && before < a.budget().warn().get() && after >= a.budget().warn().get()) {
                crossed.put(a, new Balance(after, w.held));
            }
        }
        return new Settled(++seq, crossed);
    }

    /** Every account the ledger has seen, with its balance now, in a stable order. */
    public synchronized Map<Account, Balance> balances() {
        long now = clock.getAsLong();
        Map<Account, Balance> out = new java.util.TreeMap<>(java.util.Comparator.comparing(Account::key));
        accounts.forEach((k, a) -> {
            Window w = window(a, now);
            out.put(a, new Balance(w.spent(now), w.held));
        });
        return out;
    }

    /** Whether {@code account} has reached its hard limit with what is already spent. */
    public synchronized boolean exhausted(Account account) {
        long now = clock.getAsLong();
        return window(account, now).spent(now) >= account.budget().limit();
    }

    public synchronized Balance balance(Account account) {
        long now = clock.getAsLong();
        Window w = window(account, now);
        return new Balance(w.spent(now), w.held);
    }

    private Window window(Account a, long now) {
        accounts.putIfAbsent(a.key(), a);
        return windows.computeIfAbsent(a.key(), k -> new Window(a.budget()));
    }

    /**
     * Spending in a budget's window. Calendar windows (UTC day or month) keep one total and
     * restart at the period's start; rolling windows keep {@value #BUCKETS} buckets of
     * window/{@value #BUCKETS} each, so the memory per account is bounded.
     */
    private static final class Window {
        final SpendPolicy.Budget budget;
        final long bucketMillis;
        final Deque<long[]> buckets = new ArrayDeque<>(); // {bucket start, amount}
        long periodStart = Long.MIN_VALUE;
        long total;
        long held;

        Window(SpendPolicy.Budget budget) {
            this.budget = budget;
            Duration w = budget.window().orElse(null);
            this.bucketMillis = w == null ? 0 : Math.max(1, w.toMillis() / BUCKETS);
        }

        long spent(long now) {
            if (bucketMillis == 0) {
                long start = periodStart(now);
                if (start != periodStart) {
                    periodStart = start;
                    total = 0;
                }
                return total;
            }
            long from = now - budget.window().orElseThrow().toMillis();
            while (!buckets.isEmpty() && buckets.peekFirst()[0] + bucketMillis <= from) {
                buckets.removeFirst();
            }
            long sum = 0;
            for (long[] b : buckets) {
                sum = Money.add(sum, b[1]);
            }
            return sum;
        }

        void add(long now, long amount) {
            spent(now);
            if (bucketMillis == 0) {
                total = Money.add(total, amount);
                return;
            }
            long start = now - Math.floorMod(now, bucketMillis);
            long[] last = buckets.peekLast();
            if (last != null && last[0] == start) {
                last[1] = Money.add(last[1], amount);
            } else {
                buckets.addLast(new long[] {start, amount});
            }
        }

        private long periodStart(long now) {
            ZonedDateTime t = Instant.ofEpochMilli(now).atZone(ZoneOffset.UTC).truncatedTo(ChronoUnit.DAYS);
            if (budget.calendar().orElse("day").equals("month")) {
                t = t.withDayOfMonth(1);
            }
            return t.toInstant().toEpochMilli();
        }
    }

    /** Every account a call counts against, for an agent with {@code id} and {@code labels}. */
    public static List<Account> accounts(SpendPolicy policy, String id, Map<String, String> labels) {
        List<Account> out = new ArrayList<>();
        for (SpendPolicy.Budget b : policy.budgets()) {
            switch (b.per()) {
                case AGENT -> out.add(new Account(b, id));
                case ORGANISATION -> out.add(new Account(b, "*"));
                case LABEL -> {
                    String v = labels.get(b.label());
                    if (v != null) {
                        out.add(new Account(b, v));
                    }
                }
            }
        }
        return out;
    }
}
