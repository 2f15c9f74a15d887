package dev.terway.migration;

import dev.terway.plan.AuditLog;
import dev.terway.plan.CommandResult;
import dev.terway.plan.CommandRunner;
import java.io.UncheckedIOException;
import java.util.function.Consumer;

/**
 * Like {@link AuditLog#recording}, except that a failure to write the log is reported instead of thrown:
 * an exception between two steps would escape {@link dev.terway.plan.PlanRunner} without running the
 * undos and strand the node half-migrated, which is worse than a gap in the log.
 */
final class AuditedCommands {

    private AuditedCommands() {
    }

    static CommandRunner recording(AuditLog log, CommandRunner commands, Consumer<String> tell) {
        boolean[] warned = {false};
        return argv -> {
            CommandResult result = commands.run(argv);
            try {
                log.record(result);
            } catch (UncheckedIOException e) {
                if (!warned[0]) {
                    warned[0] = true;
                    tell.accept("warning: cannot write the audit log " + log.file() + ": " + e.getCause().getMessage()
                            + "; continuing, because stopping half-way would strand the node");
                }
            }
            return result;
        };
    }
}
