package dev.terway.plan;

import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * A command runner that records every command it runs (and the input it fed) in an {@link AuditLog}.
 * A failure to write the log is reported instead of thrown: an exception between two steps would escape
 * {@link PlanRunner} without running the undos and strand the node half-migrated, which is worse than a gap
 * in the log. The daemon uses it too:
 * a full or read-only state directory must not fail every pod's ADD or leave a renewal half-applied.
 * Warned once per stretch of failures (again after the log could be written in between), so a daemon
 * that runs for months reports a disk that fills up again.
 */
public final class AuditedCommands {

    private AuditedCommands() {
    }

    public static CommandRunner recording(AuditLog log, CommandRunner commands, Consumer<String> tell) {
        log.rotation().problems().forEach(p -> tell.accept("warning: " + p));
        AtomicBoolean warned = new AtomicBoolean();
        return new CommandRunner() {
            @Override
            public CommandResult run(List<String> argv) {
                return recorded(commands.run(argv), null);
            }

            @Override
            public CommandResult run(List<String> argv, String input) {
                return recorded(commands.run(argv, input), input);
            }

            private CommandResult recorded(CommandResult result, String input) {
                try {
                    log.record(result, input);
                    warned.set(false);
                } catch (AuditLog.RotationFailed e) {
                    if (warned.compareAndSet(false, true)) {
                        tell.accept("warning: " + e.getMessage() + ": " + e.getCause().getMessage());
                    }
                } catch (UncheckedIOException e) {
                    if (warned.compareAndSet(false, true)) {
                        tell.accept("warning: cannot write the audit log " + log.file() + ": "
                                + e.getCause().getMessage() + "; continuing, because stopping half-way would strand"
                                + " the node");
                    }
                }
                return result;
            }
        };
    }
}
