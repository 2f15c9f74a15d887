package dev.terway.dhcp.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RetransmitPolicyTest {

    @Test
    void rfcScheduleDoublesFromFourSecondsToSixtyFour() {
        RetransmitPolicy rfc = RetransmitPolicy.RFC_2131;
        long[] expected = {4, 8, 16, 32, 64, 64, 64};
        for (int i = 0; i < expected.length; i++) {
            assertEquals(Duration.ofSeconds(expected[i]), rfc.base(i), "attempt " + i);
        }
        assertEquals(Duration.ofSeconds(64), rfc.base(1000), "no overflow for large attempt numbers");
    }

    @Test
    void shortLanIntervals() {
        RetransmitPolicy lan = new RetransmitPolicy(Duration.ofMillis(250), Duration.ofSeconds(2), 0.1);
        assertEquals(Duration.ofMillis(250), lan.base(0));
        assertEquals(Duration.ofMillis(1000), lan.base(2));
        assertEquals(Duration.ofSeconds(2), lan.base(4));
    }

    @Test
    void jitterStaysWithinTheFractionAndVaries() {
        RetransmitPolicy rfc = RetransmitPolicy.RFC_2131;
        Random random = new Random(7);
        Set<Duration> seen = new HashSet<>();
        for (int i = 0; i < 2000; i++) {
            Duration delay = rfc.delay(0, random);
            assertTrue(delay.toMillis() >= 3000 && delay.toMillis() <= 5000, "4 s ± 1 s, got " + delay);
            seen.add(delay);
        }
        assertTrue(seen.size() > 1000, "delays spread over the interval: " + seen.size());
        assertEquals(Duration.ofSeconds(4), new RetransmitPolicy(Duration.ofSeconds(4), Duration.ofSeconds(64), 0)
                .delay(0, random));
    }

    @Test
    void rejectsNonsense() {
        assertThrows(IllegalArgumentException.class, () -> new RetransmitPolicy(Duration.ZERO, Duration.ofSeconds(1), 0));
        assertThrows(IllegalArgumentException.class,
                () -> new RetransmitPolicy(Duration.ofSeconds(2), Duration.ofSeconds(1), 0));
        assertThrows(IllegalArgumentException.class,
                () -> new RetransmitPolicy(Duration.ofSeconds(1), Duration.ofSeconds(1), 1.0));
        assertThrows(IllegalArgumentException.class,
                () -> new RetransmitPolicy(Duration.ofSeconds(1), Duration.ofSeconds(1), Double.NaN));
    }
}
