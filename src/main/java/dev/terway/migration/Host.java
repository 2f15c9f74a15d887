package dev.terway.migration;

import dev.terway.plan.CommandRunner;
import dev.terway.plan.ExecCommandRunner;
import java.time.Clock;
import java.time.Duration;

/**
 * The machine terway acts on: how to run commands there and how time passes. The CLI uses
 * {@link #local()}; tests substitute a scripted runner and a fake clock.
 */
public record Host(CommandRunner commands, Clock clock, Sleeper sleeper) {

    /** Generous for `ip`, which answers in milliseconds; the bound is for a wedged netlink or a hung ping. */
    public static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(10);

    public static Host local() {
        return new Host(ExecCommandRunner.registeredOnly(COMMAND_TIMEOUT), Clock.systemUTC(), Sleeper.REAL);
    }
}
