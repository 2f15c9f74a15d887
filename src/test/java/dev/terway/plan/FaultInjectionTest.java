package dev.terway.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FaultInjectionTest {

    @Test
    void readsEachFaultAndWritesThemBack() {
        FaultInjection f = FaultInjection.parse("pause-after-link=4000ms,fail-after-step=3");
        assertEquals(new FaultInjection(Duration.ofSeconds(4), OptionalInt.of(3)), f);
        assertEquals("pause-after-link=4000ms,fail-after-step=3", f.toString());
        assertEquals(f, FaultInjection.parse(f.toString()));
        assertEquals(Duration.ofSeconds(2), FaultInjection.parse("pause-after-link=2s").pauseAfterLink());
        assertEquals(OptionalInt.of(0), FaultInjection.parse("fail-after-step=0").failAfterStep());
        assertEquals("", FaultInjection.NONE.toString());
        assertTrue(FaultInjection.parse("pause-after-link=0ms").isNone());
    }

    @Test
    void aLaterOptionWinsWhereBothSetAFault() {
        FaultInjection merged = FaultInjection.parse("pause-after-link=1s,fail-after-step=1")
                .and(FaultInjection.parse("fail-after-step=2"));
        assertEquals(new FaultInjection(Duration.ofSeconds(1), OptionalInt.of(2)), merged);
        assertEquals(merged, merged.and(FaultInjection.NONE));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "pause-after-link", "pause-after-link=4", "pause-after-link=-1ms",
        "pause-after-link=11m", "pause-after-link=601s", "fail-after-step=x", "fail-after-step=-1", "explode=1",
        "fail-after-step=1,"})
    void anythingElseIsRefusedWithTheReason(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FaultInjection.parse(text));
        assertTrue(e.getMessage().contains("pause-after-link") || e.getMessage().contains("fail-after-step"),
                e.getMessage());
    }
}
