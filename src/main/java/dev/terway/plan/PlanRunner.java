package dev.terway.plan;

import java.util.ArrayList;
import java.util.List;

/**
 * Runs a plan step by step. When a step fails, the undo of every completed step runs in reverse
 * order, so a failed plan leaves the system as it found it.
 */
public final class PlanRunner {

    private final CommandRunner runner;

    public PlanRunner(CommandRunner runner) {
        this.runner = runner;
    }

    /** Runs every step; returns the steps that completed, which {@link #undo} can roll back later. */
    public List<Step> run(Plan plan) throws PlanFailedException {
        List<Step> done = new ArrayList<>();
        for (Step step : plan.steps()) {
            CommandResult result = step.input().isPresent() ? runner.run(step.argv(), step.input().get())
                    : runner.run(step.argv());
            if (!result.succeeded()) {
                List<CommandResult> failedUndos = undo(done);
                throw new PlanFailedException(step, result, failedUndos);
            }
            done.add(step);
        }
        return List.copyOf(done);
    }

    /**
     * Undoes completed steps, last first. Every undo is attempted even when one fails, because each
     * one restores a separate piece of state; the failed ones are returned.
     */
    public List<CommandResult> undo(List<Step> completed) {
        List<CommandResult> failed = new ArrayList<>();
        for (int i = completed.size() - 1; i >= 0; i--) {
            Step step = completed.get(i);
            if (step.undo().isEmpty()) {
                continue;
            }
            CommandResult result = runner.run(step.undo().get());
            if (!result.succeeded()) {
                failed.add(result);
            }
        }
        return failed;
    }
}
