package dev.terway.plan;

import java.util.List;

/** Runs one argv, without a shell, and reports what happened. Never throws for a failing command. */
@FunctionalInterface
public interface CommandRunner {

    CommandResult run(List<String> argv);

    /**
     * Runs argv with {@code input} on its standard input (a {@link Step#fed fed} step). Only the runners
     * that run plans with such steps implement it: the process runner and the audit log around it; the
     * others refuse, which a plan without fed steps never asks of them.
     */
    default CommandResult run(List<String> argv, String input) {
        throw new UnsupportedOperationException("this command runner cannot feed standard input to " + argv);
    }
}
