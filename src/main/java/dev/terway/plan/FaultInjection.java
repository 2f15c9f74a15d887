package dev.terway.plan;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * The faults a test asks a terway process to inject, so that the reliability and rollback tests can reach
 * the paths a real failure takes. One object, parsed once from the hidden command-line option {@code
 * --inject-fault} ({@code terway setup}, {@code terway dhcp daemon}, {@code terway run}) and handed down to
 * the code that honours it; nothing reads the environment for it, and nothing in a CNI request or a
 * network configuration can set it. Each process uses the faults that apply to it and ignores the others,
 * so {@code terway run} can pass every one to both of its halves.
 *
 * <p>The option's text: {@code NAME=VALUE[,NAME=VALUE…]}, the option repeatable:
 * <ul>
 *   <li>{@code pause-after-link=DURATION} ({@code 4000ms}, {@code 4s}): the daemon's ADD pauses this long
 *       once the veth exists and before the lease is asked for, so a test can kill `cni-terway` or the
 *       daemon in between;</li>
 *   <li>{@code fail-after-step=N}: setup runs the first N steps of its plan and then undoes them exactly
 *       as if step N + 1 had failed.</li>
 * </ul>
 *
 * @param pauseAfterLink zero: no pause
 * @param failAfterStep  empty: setup runs its whole plan
 */
public record FaultInjection(Duration pauseAfterLink, OptionalInt failAfterStep) {

    /** Longer than any test needs; bounds a typing mistake. (Before NONE, which the constructor checks with it.) */
    public static final Duration MAX_PAUSE = Duration.ofMinutes(10);
    /** No fault: what every process runs with unless a test says otherwise. */
    public static final FaultInjection NONE = new FaultInjection(Duration.ZERO, OptionalInt.empty());

    static final String PAUSE_AFTER_LINK = "pause-after-link";
    static final String FAIL_AFTER_STEP = "fail-after-step";

    public FaultInjection {
        Objects.requireNonNull(pauseAfterLink, "pauseAfterLink");
        Objects.requireNonNull(failAfterStep, "failAfterStep");
        if (pauseAfterLink.isNegative() || pauseAfterLink.compareTo(MAX_PAUSE) > 0) {
            throw new IllegalArgumentException(PAUSE_AFTER_LINK + " must be 0 to " + MAX_PAUSE.toMinutes()
                    + " minutes, got " + pauseAfterLink.toMillis() + "ms");
        }
        if (failAfterStep.isPresent() && failAfterStep.getAsInt() < 0) {
            throw new IllegalArgumentException(FAIL_AFTER_STEP + " must be 0 or more, got "
                    + failAfterStep.getAsInt());
        }
    }

    /**
     * Reads {@code NAME=VALUE[,NAME=VALUE…]}.
     *
     * @throws IllegalArgumentException naming the part that is wrong and what the option takes
     */
    public static FaultInjection parse(String text) {
        FaultInjection faults = NONE;
        for (String part : text.split(",", -1)) {
            int eq = part.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("'" + part + "' is not NAME=VALUE; " + usage());
            }
            String name = part.substring(0, eq).strip();
            String value = part.substring(eq + 1).strip();
            faults = switch (name) {
                case PAUSE_AFTER_LINK -> new FaultInjection(duration(value), faults.failAfterStep);
                case FAIL_AFTER_STEP -> new FaultInjection(faults.pauseAfterLink, OptionalInt.of(count(value)));
                default -> throw new IllegalArgumentException("no fault '" + name + "'; " + usage());
            };
        }
        return faults;
    }

    /** These faults with those {@code other} sets, {@code other}'s winning where both set one. */
    public FaultInjection and(FaultInjection other) {
        return new FaultInjection(other.pauseAfterLink.isZero() ? pauseAfterLink : other.pauseAfterLink,
                other.failAfterStep.isPresent() ? other.failAfterStep : failAfterStep);
    }

    public boolean isNone() {
        return equals(NONE);
    }

    /** The option's text for these faults (empty for none): {@code parse(toString())} gives them back. */
    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        if (!pauseAfterLink.isZero()) {
            parts.add(PAUSE_AFTER_LINK + "=" + pauseAfterLink.toMillis() + "ms");
        }
        failAfterStep.ifPresent(n -> parts.add(FAIL_AFTER_STEP + "=" + n));
        return String.join(",", parts);
    }

    private static Duration duration(String value) {
        try {
            if (value.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(value.substring(0, value.length() - 2)));
            }
            if (value.endsWith("s")) {
                return Duration.ofSeconds(Long.parseLong(value.substring(0, value.length() - 1)));
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(PAUSE_AFTER_LINK + "=" + value + ": not a duration; write e.g. 4000ms or 4s");
    }

    private static int count(String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(FAIL_AFTER_STEP + "=" + value + ": not a number of steps");
        }
    }

    private static String usage() {
        return "--inject-fault takes " + PAUSE_AFTER_LINK + "=DURATION and " + FAIL_AFTER_STEP
                + "=N, joined by commas";
    }
}
