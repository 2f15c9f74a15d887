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

/**
 * Runs commands as child processes through zt-exec, each bounded by a timeout. terway's own code runs
 * commands only through {@link #registeredOnly}, which refuses a program that {@link Program} does not list
 * (a unit test keeps src/main on it); the public constructor runs any program, for test labs that set up
 * namespaces and servers with tools terway itself never runs.
 */
public final class ExecCommandRunner implements CommandRunner {

    private final Duration timeout;
    private final boolean registeredOnly;

    /** Runs any program: for test labs. terway's own code uses {@link #registeredOnly}. */
    public ExecCommandRunner(Duration timeout) {
        this(timeout, false);
    }

    private ExecCommandRunner(Duration timeout, boolean registeredOnly) {
        this.timeout = timeout;
        this.registeredOnly = registeredOnly;
    }

    /**
     * The runner of terway's commands: it refuses, with an IllegalArgumentException naming the program and
     * {@link Program}, an argv whose program (or the program an {@code nsenter} in front of it runs) is not
     * registered, so the image cannot lack a program terway uses without a test noticing.
     */
    public static ExecCommandRunner registeredOnly(Duration timeout) {
        return new ExecCommandRunner(timeout, true);
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
        if (registeredOnly) {
            Program.requireRegistered(argv);
        }
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
