package dev.terway.migration;

import dev.terway.plan.CommandRunner;
import dev.terway.plan.ExecCommandRunner;
import dev.terway.plan.ProgramLookup;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * The machine terway acts on: how to run commands there, where its programs are found, and how time
 * passes. The CLI uses {@link #local()}; tests substitute a scripted runner and a fake clock.
 */
public record Host(CommandRunner commands, Clock clock, Sleeper sleeper, ProgramLookup programs) {

    /** Generous for `ip`, which answers in milliseconds; the bound is for a wedged netlink or a hung ping. */
    public static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(10);

    /** A scripted host: its commands are stand-ins, so every program counts as found. */
    public Host(CommandRunner commands, Clock clock, Sleeper sleeper) {
        this(commands, clock, sleeper, command -> Optional.of(Path.of("/scripted", command)));
    }

    public static Host local() {
        return new Host(ExecCommandRunner.registeredOnly(COMMAND_TIMEOUT), Clock.systemUTC(), Sleeper.REAL,
                ProgramLookup.system());
    }
}
