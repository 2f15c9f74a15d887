package dev.terway.plan;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.zeroturnaround.exec.ProcessExecutor;
import org.zeroturnaround.exec.ProcessResult;

/** Runs commands as child processes through zt-exec, each bounded by a timeout. */
public final class ExecCommandRunner implements CommandRunner {

    private final Duration timeout;

    public ExecCommandRunner(Duration timeout) {
        this.timeout = timeout;
    }

    @Override
    public CommandResult run(List<String> argv) {
        return execute(argv, null);
    }

    @Override
    public CommandResult run(List<String> argv, String input) {
        return execute(argv, input);
    }

    /** {@code input} null: the command is given no input of ours. */
    private CommandResult execute(List<String> argv, String input) {
        long start = System.nanoTime();
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        int exit;
        String failure = "";
        try {
            ProcessExecutor executor = new ProcessExecutor();
            if (input != null) {
                executor.redirectInput(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));
            }
            ProcessResult result = executor
                    .command(argv)
                    .redirectOutput(stdout)
                    .redirectError(stderr)
                    .timeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
                    .destroyOnExit()
                    .execute();
            exit = result.getExitValue();
        } catch (TimeoutException e) {
            exit = -1;
            failure = "timed out after " + timeout.toMillis() + " ms";
        } catch (java.io.IOException e) {
            exit = -1;
            failure = "could not start: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            exit = -1;
            failure = "interrupted";
        }
        String err = stderr.toString(StandardCharsets.UTF_8);
        if (!failure.isEmpty()) {
            err = err.isEmpty() ? failure : err + "\n" + failure;
        }
        return new CommandResult(argv, exit, stdout.toString(StandardCharsets.UTF_8), err,
                Duration.ofNanos(System.nanoTime() - start));
    }
}
