package dev.agt.engine.spend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Money as whole micro-units: what is refused, and sums and costs that cannot be fooled. */
class MoneyTest {
    @Test
    void amountsAreReadExactlyAndEverythingElseIsRefused() {
        assertEquals(150_000L, Money.parse(0.15d));
        assertEquals(5_000_000L, Money.parse(5L));
        assertEquals(75_000L, Money.parse("0.075"));
        assertEquals(0L, Money.parse(0L));
        assertEquals(Money.MAX_UNITS * Money.MICROS, Money.parse(Money.MAX_UNITS));
        for (Object bad : List.of(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.parseDouble("1e309"), -0.0d, -1L, -0.5d,
                0.0000001d, Money.MAX_UNITS + 1, Long.MAX_VALUE, "1e3", "NaN", "-1", "0x10", "", " 1", true)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Money.parse(bad), "refused: " + bad);
            assertTrue(!e.getMessage().isEmpty());
        }
        assertThrows(IllegalArgumentException.class, () -> Money.parse(null));
    }

    @Test
    void costsRoundUpAndNeverOverflow() {
        assertEquals(1L, Money.cost(1, 1), "a millionth of a micro-unit is charged as one");
        assertEquals(0L, Money.cost(0, 1_000_000));
        assertEquals(600_000L, Money.cost(1_000_000, 600_000), "a million tokens at 0.60 per million");
        assertEquals(1_200L, Money.cost(2_000, 600_000));
        Random r = new Random(15);
        for (int i = 0; i < 10_000; i++) {
            long tokens = r.nextLong() & ((1L << 40) - 1);
            long price = Math.floorMod(r.nextLong(), Money.MAX_UNITS * Money.MICROS + 1);
            BigInteger[] qr = BigInteger.valueOf(tokens).multiply(BigInteger.valueOf(price)).divideAndRemainder(BigInteger.valueOf(1_000_000));
            BigInteger exact = qr[0].add(qr[1].signum() == 0 ? BigInteger.ZERO : BigInteger.ONE);
            long want = exact.bitLength() < 63 ? exact.longValueExact() : Money.MAX;
            assertEquals(want, Money.cost(tokens, price), tokens + " tokens at " + price);
        }
        assertEquals(Money.MAX, Money.add(Money.MAX, 1), "sums saturate instead of wrapping around to small");
        assertEquals(Money.MAX, Money.add(Long.MAX_VALUE - 1, 5));
        assertEquals("4.25 USD", Money.format(4_250_000L, "USD"));
    }
}
