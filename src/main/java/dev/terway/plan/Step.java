package dev.terway.plan;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One command of a plan: the argv to run, the argv that undoes it (if the change can be undone by a
 * command at all), a one-line reason that an operator reads in the dry-run output and audit log, and
 * optionally the text fed to the command's standard input (the command lines of an `ip -batch -`).
 */
public record Step(List<String> argv, Optional<List<String>> undo, String reason, Optional<String> input) {

    public Step {
        argv = List.copyOf(argv);
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("a step needs a command");
        }
        undo = Objects.requireNonNull(undo).map(List::copyOf);
        undo.ifPresent(u -> {
            if (u.isEmpty()) {
                throw new IllegalArgumentException("an undo needs a command");
            }
        });
        reason = Objects.requireNonNull(reason);
        input = Objects.requireNonNull(input);
    }

    public static Step of(String reason, List<String> argv) {
        return new Step(argv, Optional.empty(), reason, Optional.empty());
    }

    public static Step undoable(String reason, List<String> argv, List<String> undo) {
        return new Step(argv, Optional.of(undo), reason, Optional.empty());
    }

    /** A command that reads {@code input} on its standard input, such as {@code ip -batch -}. */
    public static Step fed(String reason, List<String> argv, String input) {
        return new Step(argv, Optional.empty(), reason, Optional.of(input));
    }

    /**
     * A fed command with an undo. An `ip -batch` that fails has applied the lines before the failing one,
     * so {@link PlanRunner} also undoes a fed step that failed past its first line.
     */
    public static Step fed(String reason, List<String> argv, String input, List<String> undo) {
        return new Step(argv, Optional.of(undo), reason, Optional.of(input));
    }
}
