package dev.terway.plan;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One command of a plan: the argv to run, the argv that undoes it (if the change can be undone by a
 * command at all), and a one-line reason that an operator reads in the dry-run output and audit log.
 */
public record Step(List<String> argv, Optional<List<String>> undo, String reason) {

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
    }

    public static Step of(String reason, List<String> argv) {
        return new Step(argv, Optional.empty(), reason);
    }

    public static Step undoable(String reason, List<String> argv, List<String> undo) {
        return new Step(argv, Optional.of(undo), reason);
    }
}
