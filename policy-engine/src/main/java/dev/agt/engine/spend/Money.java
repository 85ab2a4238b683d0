package dev.agt.engine.spend;

import java.math.BigDecimal;

/**
 * Money as whole micro-units (one millionth of the policy's currency) in a {@code long}: never
 * binary floating point, which rounds, and whose NaN, infinities and negative zero have let
 * agents keep spending past a budget in other governance tools. Every amount that enters is
 * checked by {@link #parse}; every sum saturates at {@link #MAX} instead of overflowing, so an
 * absurd amount can only make spending look larger, never wrap around to small.
 */
public final class Money {
    /** Micro-units per currency unit. */
    public static final long MICROS = 1_000_000L;
    /** The largest amount anything can add up to: spending at this level exceeds every budget. */
    public static final long MAX = Long.MAX_VALUE;
    /** The largest amount a price or budget may state, in currency units: beyond it, a typo. */
    public static final long MAX_UNITS = 1_000_000_000_000L;

    private Money() {
    }

    /**
     * An amount as the policy writes it (a whole or decimal number, or a decimal string) in
     * micro-units. Refused: NaN, infinities (and 1e309, which YAML reads as one), negatives, -0,
     * more than six decimal places, text that is not a plain decimal, and amounts over
     * {@link #MAX_UNITS}.
     *
     * @throws IllegalArgumentException saying what is wrong, for a message at the value's position
     */
    public static long parse(Object value) {
        BigDecimal d;
        if (value instanceof Long l) {
            d = BigDecimal.valueOf(l);
        } else if (value instanceof Double x) {
            if (x.isNaN() || x.isInfinite()) {
                throw new IllegalArgumentException("is not a finite number (" + x + ")");
            }
            if (Double.doubleToRawLongBits(x) == Double.doubleToRawLongBits(-0.0d)) {
                throw new IllegalArgumentException("is negative zero");
            }
            d = BigDecimal.valueOf(x); // the shortest decimal that reads back as x: 0.15 is 0.15
        } else if (value instanceof String s && s.matches("[0-9]{1,13}(\\.[0-9]{1,6})?")) {
            d = new BigDecimal(s);
        } else {
            throw new IllegalArgumentException("must be an amount such as 5 or 0.15, not " + describe(value));
        }
        if (d.signum() < 0) {
            throw new IllegalArgumentException("is negative (" + d.toPlainString() + ")");
        }
        if (d.compareTo(BigDecimal.valueOf(MAX_UNITS)) > 0) {
            throw new IllegalArgumentException("is over " + MAX_UNITS + " (" + d.toPlainString() + ")");
        }
        if (d.stripTrailingZeros().scale() > 6) {
            throw new IllegalArgumentException("has more than six decimal places (" + d.toPlainString() + ")");
        }
        return d.movePointRight(6).longValueExact();
    }

    private static String describe(Object v) {
        return v == null ? "nothing" : v instanceof String s ? "'" + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + "'" : String.valueOf(v);
    }

    /** {@code a + b}, or {@link #MAX} when that would overflow. Both must be non-negative. */
    public static long add(long a, long b) {
        long s = a + b;
        return s < 0 ? MAX : s;
    }

    /**
     * What {@code tokens} cost at {@code microsPerMillion} (micro-units per million tokens),
     * rounded up to a whole micro-unit: a cost is never counted below what was spent. Exact and
     * overflow-free for every count up to 2^40 and price up to {@link #MAX_UNITS} per million.
     */
    public static long cost(long tokens, long microsPerMillion) {
        if (tokens < 0 || microsPerMillion < 0) {
            throw new IllegalArgumentException("negative tokens or price");
        }
        long millions = tokens / 1_000_000L;
        long rest = tokens % 1_000_000L;
        long whole;
        try {
            whole = Math.multiplyExact(millions, microsPerMillion);
            long part = Math.multiplyExact(rest, microsPerMillion);
            return add(whole, part / 1_000_000L + (part % 1_000_000L == 0 ? 0 : 1));
        } catch (ArithmeticException e) {
            return MAX;
        }
    }

    /** An amount for people: {@code 4.250000 USD} as {@code 4.25 USD}. */
    public static String format(long micros, String currency) {
        return BigDecimal.valueOf(micros, 6).stripTrailingZeros().toPlainString() + (currency.isEmpty() ? "" : " " + currency);
    }
}
