package dev.terway.plan;

import java.util.List;

/**
 * A step failed; the undo of every completed step has been attempted. Carries the failing command and
 * the undo commands that failed too, because those leave state an operator must look at.
 */
public final class PlanFailedException extends Exception {

    private static final long serialVersionUID = 1L;

    private final transient Step step;
    private final transient CommandResult result;
    private final transient List<CommandResult> failedUndos;

    public PlanFailedException(Step step, CommandResult result, List<CommandResult> failedUndos) {
        super(describe(step, result, failedUndos));
        this.step = step;
        this.result = result;
        this.failedUndos = List.copyOf(failedUndos);
    }

    public Step step() {
        return step;
    }

    public CommandResult result() {
        return result;
    }

    public List<CommandResult> failedUndos() {
        return failedUndos;
    }

    private static String describe(Step step, CommandResult result, List<CommandResult> failedUndos) {
        StringBuilder s = new StringBuilder()
                .append("step failed (").append(step.reason()).append("): ")
                .append(ShellQuote.join(step.argv()))
                .append(" exited ").append(result.exitCode());
        if (!result.stderr().isBlank()) {
            s.append(": ").append(result.stderr().strip());
        }
        if (failedUndos.isEmpty()) {
            s.append("; every completed step was undone");
        } else {
            for (CommandResult undo : failedUndos) {
                s.append("; undo failed: ").append(ShellQuote.join(undo.argv()))
                        .append(" exited ").append(undo.exitCode());
                if (!undo.stderr().isBlank()) {
                    s.append(": ").append(undo.stderr().strip());
                }
            }
        }
        return s.toString();
    }
}
