package dev.terway.plan;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs a plan step by step. When a step fails, the undo of every completed step runs in reverse
 * order, so a failed plan leaves the system as it found it. A fed step (`ip -batch -`) can fail half-way:
 * ip stops at the failing line, names it on stderr ("Command failed -:N") and keeps what the lines
 * before it did, so such a step that failed past its first line (or without saying where) is undone
 * first. A step the runner throws for instead of running (one it refuses) is handled the same way: the
 * completed steps are undone before the exception goes on.
 */
public final class PlanRunner {

    private final CommandRunner runner;
    private final PlanOutcomes outcomes;

    public PlanRunner(CommandRunner runner) {
        this(runner, PlanOutcomes.PROCESS);
    }

    /** Counting into {@code outcomes} instead of the process's (tests). */
    public PlanRunner(CommandRunner runner, PlanOutcomes outcomes) {
        this.runner = runner;
        this.outcomes = outcomes;
    }

    /** Runs every step; returns the steps that completed, which {@link #undo} can roll back later. */
    public List<Step> run(Plan plan) throws PlanFailedException {
        List<Step> done = new ArrayList<>();
        for (Step step : plan.steps()) {
            CommandResult result;
            try {
                result = step.input().isPresent() ? runner.run(step.argv(), step.input().get())
                        : runner.run(step.argv());
            } catch (RuntimeException e) {
                // A runner that refuses a step (a program not in Program) must not strand the steps before it.
                outcomes.stepFailed();
                for (CommandResult failed : undo(done)) {
                    e.addSuppressed(new IllegalStateException("undo failed: " + ShellQuote.join(failed.argv())
                            + " exited " + failed.exitCode() + ": " + failed.stderr().strip()));
                }
                throw e;
            }
            if (!result.succeeded()) {
                outcomes.stepFailed();
                List<Step> toUndo = new ArrayList<>(done);
                if (step.undo().isPresent() && partlyApplied(step, result)) {
                    toUndo.add(step);
                }
                List<CommandResult> failedUndos = undo(toUndo);
                throw new PlanFailedException(step, result, failedUndos);
            }
            done.add(step);
        }
        return List.copyOf(done);
    }

    private static final Pattern FAILED_LINE = Pattern.compile("Command failed \\S*:(\\d{1,9})");

    /** Whether a failed fed step may have applied some of its lines. */
    static boolean partlyApplied(Step step, CommandResult result) {
        if (step.input().isEmpty()) {
            return false;
        }
        Matcher line = FAILED_LINE.matcher(result.stderr());
        return !line.find() || Integer.parseInt(line.group(1)) > 1;
    }

    /**
     * Undoes completed steps, last first. Every undo is attempted even when one fails, because each
     * one restores a separate piece of state; the failed ones are returned.
     */
    public List<CommandResult> undo(List<Step> completed) {
        List<CommandResult> failed = new ArrayList<>();
        boolean undid = false;
        for (int i = completed.size() - 1; i >= 0; i--) {
            Step step = completed.get(i);
            if (step.undo().isEmpty()) {
                continue;
            }
            undid = true;
            CommandResult result;
            try {
                result = runner.run(step.undo().get());
            } catch (RuntimeException e) {
                // Refused (or broken): reported like an undo that could not start, and the others still run.
                result = new CommandResult(step.undo().get(), -1, "", String.valueOf(e.getMessage()),
                        Duration.ZERO);
            }
            if (!result.succeeded()) {
                failed.add(result);
            }
        }
        if (undid) {
            outcomes.rolledBack(failed.size());
        }
        return failed;
    }
}
