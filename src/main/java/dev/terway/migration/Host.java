package dev.terway.migration;

import dev.terway.plan.CommandRunner;
import dev.terway.plan.ExecCommandRunner;
import dev.terway.plan.ProgramLookup;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The machine terway acts on: how to run commands there, where its programs are found, how time passes
 * and which network namespace the commands change. The CLI uses {@link #local()}; tests substitute a
 * scripted runner and a fake clock.
 *
 * @param netns the network namespace the commands change, as setup records it; empty when unknown
 */
public record Host(CommandRunner commands, Clock clock, Sleeper sleeper, ProgramLookup programs,
                   Supplier<Optional<SetupRecord.BridgedNamespace>> netns) {

    /** Generous for `ip`, which answers in milliseconds; the bound is for a wedged netlink or a hung ping. */
    public static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(10);

    /** A host whose namespace is not known. */
    public Host(CommandRunner commands, Clock clock, Sleeper sleeper, ProgramLookup programs) {
        this(commands, clock, sleeper, programs, Optional::empty);
    }

    /** A scripted host: its commands are stand-ins, so every program counts as found. */
    public Host(CommandRunner commands, Clock clock, Sleeper sleeper) {
        this(commands, clock, sleeper, command -> Optional.of(Path.of("/scripted", command)));
    }

    /** This machine: `ip` and friends run here, in the namespace this process runs in. */
    public static Host local() {
        return new Host(ExecCommandRunner.registeredOnly(COMMAND_TIMEOUT), Clock.systemUTC(), Sleeper.REAL,
                ProgramLookup.system(), SetupRecord.BridgedNamespace::current);
    }
}
