package dev.terway.plan;

import java.util.List;

/** Runs one argv, without a shell, and reports what happened. Never throws for a failing command. */
@FunctionalInterface
public interface CommandRunner {

    CommandResult run(List<String> argv);
}
