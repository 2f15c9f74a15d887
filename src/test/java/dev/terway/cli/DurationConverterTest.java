package dev.terway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

class DurationConverterTest {

    private final DurationConverter converter = new DurationConverter();

    @Test
    void readsTheUsualShortForms() {
        assertEquals(Duration.ofSeconds(5), converter.convert("5s"));
        assertEquals(Duration.ofMillis(500), converter.convert("500ms"));
        assertEquals(Duration.ofMinutes(2), converter.convert("2m"));
        assertEquals(Duration.ZERO, converter.convert("0s"));
        assertEquals(Duration.ZERO, converter.convert("0"), "zero needs no unit");
        assertEquals(Duration.ofMillis(1500), converter.convert("PT1.5S"));
    }

    @Test
    void rejectsWhatIsNotADuration() {
        assertThrows(TypeConversionException.class, () -> converter.convert("5"));
        assertThrows(TypeConversionException.class, () -> converter.convert("5 sec"));
        assertThrows(TypeConversionException.class, () -> converter.convert("-5s"));
        assertThrows(TypeConversionException.class, () -> converter.convert("PT-5S"));
    }
}
