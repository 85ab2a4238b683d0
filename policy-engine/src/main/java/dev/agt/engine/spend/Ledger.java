package dev.agt.engine.spend;

import java.io.IOException;
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
 *
 * <p>With a {@link Store}, every change is saved before it takes effect (a hold) or right after
 * (a settlement, which has already happened), so spending outlives the engine: a ledger
 * restored from a saved state counts what was held when it was saved as spent, because the calls
 * those holds were for never settled in its life.
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

    /**
     * An account as saved: its spending as {@code {start millis, amount}} pieces (a calendar
     * window's total is one piece at its period's start) and what it held for calls in flight.
     */
    public record Saved(List<long[]> spent, long held) {
        public Saved {
            spent = List.copyOf(spent);
        }
    }

    /** Where a ledger saves its state, by account key ({@code budget id NUL subject}). */
    public interface Store {
        void save(Map<String, Saved> state) throws IOException;
    }

    /**
     * Spending kept elsewhere by other engines (PostgreSQL): what they spent on an account since a
     * time, and where this ledger reports what its own calls cost. Holds stay local: across
     * engines, parallel calls can overspend by what the others hold for calls in flight.
     */
    public interface Shared {
        /** What other engines spent on account {@code key} since {@code since} (epoch millis). */
        long othersSpent(String key, long since) throws IOException;

        /** Reports that this engine spent {@code amount} on account {@code key} at {@code at}. */
        void spent(String key, long at, long amount) throws IOException;
    }

    /** A change could not be saved: the hold was not made. */
    public static final class Unsaved extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Unsaved(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private static final int BUCKETS = 60;

    private final LongSupplier clock;
    private final Store store;
    private final Map<String, Window> windows = new HashMap<>();
    private final Map<String, Account> accounts = new HashMap<>();
    /** Saved accounts not yet seen in this run, applied when a budget first names them. */
    private final Map<String, Saved> restored;
    private long seq;
    private Shared shared;
    /** Costs settled here that the shared store has not taken yet: {key, at, amount}, written before the next admission. */
    private final List<Object[]> unsent = new ArrayList<>();

    /** Counts other engines' spending from {@code s} from now on (null: this engine's only). */
    public synchronized void share(Shared s) {
        this.shared = s;
    }

    /** What other engines spent on {@code a} in its window now; 0 without a shared store. */
    private long others(Account a, long now) throws IOException {
        if (shared == null) {
            return 0;
        }
        return shared.othersSpent(a.key(), window(a, now).since(now));
    }

    /** Writes costs the shared store missed; throws while it still cannot take them. */
    private void flush() throws IOException {
        while (!unsent.isEmpty()) {
            Object[] u = unsent.get(0);
            shared.spent((String) u[0], (Long) u[1], (Long) u[2]);
            unsent.remove(0);
        }
    }

    /**
     * @param clock    epoch milliseconds
     * @param restored a saved state to start from (empty for none)
     * @param store    where changes are saved, or null to keep them in memory only
     */
    public Ledger(LongSupplier clock, Map<String, Saved> restored, Store store) {
        this.clock = clock;
        this.restored = new HashMap<>(restored);
        this.store = store;
    }

    /** @param clock epoch milliseconds */
    public Ledger(LongSupplier clock) {
        this(clock, Map.of(), null);
    }

    public Ledger() {
        this(System::currentTimeMillis);
    }

    /**
     * Holds {@code amount} on every account if none would pass its hard limit; else holds nothing.
     *
     * @throws Unsaved when the hold cannot be saved (then nothing is held)
     */
    public synchronized Hold reserve(List<Account> accounts, long amount) {
        long now = clock.getAsLong();
        long[] elsewhere = new long[accounts.size()];
        if (shared != null) {
            try {
                flush();
                for (int i = 0; i < accounts.size(); i++) {
                    elsewhere[i] = others(accounts.get(i), now);
                }
            } catch (IOException e) {
                throw new Unsaved("the spending of other engines cannot be read (" + e.getMessage() + "); no model call under a budget is admitted"
                        + " until it can", e);
            }
        }
        for (int i = 0; i < accounts.size(); i++) {
            Account a = accounts.get(i);
            Window w = window(a, now);
            if (Money.add(Money.add(Money.add(w.spent(now), elsewhere[i]), w.held), amount) > a.budget().limit()) {
                return new Hold(++seq, false, List.copyOf(accounts), amount, a);
            }
        }
        long[] before = new long[accounts.size()];
        for (int i = 0; i < accounts.size(); i++) {
            Window w = window(accounts.get(i), now);
            before[i] = w.held;
            w.held = Money.add(w.held, amount);
        }
        try {
            save(now);
        } catch (IOException e) {
            for (int i = 0; i < accounts.size(); i++) {
                window(accounts.get(i), now).held = before[i];
            }
            throw new Unsaved("the spending ledger cannot be saved (" + e.getMessage() + "); no model call is admitted until it can", e);
        }
        return new Hold(++seq, true, List.copyOf(accounts), amount, null);
    }

    /**
     * Makes the saved accounts of these budgets current, so that status shows them before their
     * next call (saved accounts of budgets the policy no longer has are kept, unused).
     */
    public synchronized void adopt(List<SpendPolicy.Budget> budgets) {
        long now = clock.getAsLong();
        for (SpendPolicy.Budget b : budgets) {
            for (String key : List.copyOf(restored.keySet())) {
                if (key.startsWith(b.id() + "\0")) {
                    window(new Account(b, key.substring(b.id().length() + 1)), now);
                }
            }
        }
    }

    /** The state as it would be saved now. */
    public synchronized Map<String, Saved> snapshot() {
        long now = clock.getAsLong();
        Map<String, Saved> out = new java.util.TreeMap<>(restored);
        windows.forEach((k, w) -> out.put(k, new Saved(w.pieces(now), w.held)));
        return out;
    }

    private void save(long now) throws IOException {
        if (store != null) {
            store.save(snapshot());
        }
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
        try {
            save(now);
        } catch (IOException e) {
            // the call already happened and is counted here; the next hold will try to save again
            // and is refused while it cannot, so nothing more is spent unrecorded
        }
        if (shared != null) {
            for (Account a : hold.accounts()) {
                unsent.add(new Object[] {a.key(), now, actual});
            }
            try {
                flush();
            } catch (IOException e) {
                // kept: written before the next admission, which is refused until they are
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

    /**
     * Whether {@code account} has reached its hard limit with what is already spent, here and (when
     * shared) by the other engines.
     *
     * @throws Unsaved when the other engines' spending cannot be read
     */
    public synchronized boolean exhausted(Account account) {
        long now = clock.getAsLong();
        long elsewhere;
        try {
            elsewhere = others(account, now);
        } catch (IOException e) {
            throw new Unsaved("the spending of other engines cannot be read (" + e.getMessage() + ")", e);
        }
        return Money.add(window(account, now).spent(now), elsewhere) >= account.budget().limit();
    }

    /** The account's balance: spent (here, and by the other engines when shared and they can be read), and held here. */
    public synchronized Balance balance(Account account) {
        long now = clock.getAsLong();
        Window w = window(account, now);
        long elsewhere;
        try {
            elsewhere = others(account, now);
        } catch (IOException e) {
            elsewhere = 0; // for status and messages only; admission itself fails closed
        }
        return new Balance(Money.add(w.spent(now), elsewhere), w.held);
    }

    private Window window(Account a, long now) {
        accounts.put(a.key(), a);
        Window w = windows.get(a.key());
        if (w == null) {
            w = new Window(a.budget());
            Saved saved = restored.remove(a.key());
            if (saved != null) {
                // what was held when the state was saved never settled in this run: spent
                w.seed(saved.spent(), now);
                w.add(now, saved.held());
            }
            windows.put(a.key(), w);
        } else if (!w.budget.equals(a.budget())) {
            // the policy changed this budget (its window, limit or threshold): same spending, new rules
            Window next = new Window(a.budget());
            next.seed(w.pieces(now), now);
            next.held = w.held;
            windows.put(a.key(), next);
            w = next;
        }
        return w;
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

        /** The spending in the window now, as {@code {start, amount}} pieces. */
        List<long[]> pieces(long now) {
            long total = spent(now);
            if (bucketMillis == 0) {
                return total == 0 ? List.of() : List.<long[]>of(new long[] {periodStart, total});
            }
            List<long[]> out = new ArrayList<>();
            buckets.forEach(b -> out.add(b.clone()));
            return out;
        }

        /** Starts from saved pieces: those inside the window now count, at their own time. */
        void seed(List<long[]> pieces, long now) {
            List<long[]> sorted = new ArrayList<>(pieces);
            sorted.sort(java.util.Comparator.comparingLong(p -> p[0]));
            spent(now);
            for (long[] p : sorted) {
                if (p[0] > now) {
                    add(now, p[1]); // saved in the future (a clock stepped back): counted now, never dropped
                } else if (bucketMillis == 0) {
                    if (p[0] >= periodStart) {
                        total = Money.add(total, p[1]);
                    }
                } else if (p[0] > now - budget.window().orElseThrow().toMillis() - bucketMillis) {
                    long start = p[0] - Math.floorMod(p[0], bucketMillis);
                    long[] last = buckets.peekLast();
                    if (last != null && last[0] == start) {
                        last[1] = Money.add(last[1], p[1]);
                    } else {
                        buckets.addLast(new long[] {start, p[1]});
                    }
                }
            }
            spent(now); // drops what fell out of the window
        }

        /** Where the window starts now: the calendar period's start, or the rolling window's length ago. */
        long since(long now) {
            return bucketMillis == 0 ? periodStart(now) : now - budget.window().orElseThrow().toMillis();
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
