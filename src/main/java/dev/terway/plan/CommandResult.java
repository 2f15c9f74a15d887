package dev.terway.plan;

import java.time.Duration;
import java.util.List;

/** What one command did. An exit code of -1 means it could not be started or timed out. */
public record CommandResult(List<String> argv, int exitCode, String stdout, String stderr, Duration duration) {

    public CommandResult {
        argv = List.copyOf(argv);
    }

    public boolean succeeded() {
        return exitCode == 0;
    }
}
