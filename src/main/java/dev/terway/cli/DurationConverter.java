package dev.terway.cli;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Reads durations as operators write them: {@code 5s}, {@code 500ms}, {@code 2m}, or ISO-8601 {@code PT5S};
 * and {@code 0}, the one number that needs no unit (as in "{@code --arp-probe 0}: off").
 */
public final class DurationConverter implements ITypeConverter<Duration> {

    private static final Pattern SIMPLE = Pattern.compile("(\\d+)(ms|s|m)");

    @Override
    public Duration convert(String value) {
        if (value.strip().equals("0")) {
            return Duration.ZERO;
        }
        Matcher m = SIMPLE.matcher(value.strip());
        Duration d;
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            d = switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                default -> Duration.ofMinutes(n);
            };
        } else {
            try {
                d = Duration.parse(value.strip());
            } catch (DateTimeParseException e) {
                throw new TypeConversionException("'" + value + "' is not a duration; write e.g. 5s, 500ms or 2m");
            }
        }
        if (d.isNegative()) {
            throw new TypeConversionException("'" + value + "' is negative; a timeout must be 0 or more");
        }
        return d;
    }
}
