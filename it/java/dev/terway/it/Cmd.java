package dev.terway.it;

import dev.terway.plan.CommandResult;
import dev.terway.plan.ShellQuote;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs lab commands as argv (never through a shell); {@link #check} turns a failure into an exception.
 * Plain ProcessBuilder rather than the product's zt-exec runner: the lab's cleanup also runs from a JVM
 * shutdown hook, where zt-exec's destroy-on-exit (itself a shutdown hook) cannot be registered.
 */
final class Cmd {

    /** Lab commands (`ip`, `ping -w 5`) finish in seconds; a minute means something hangs. */
    static final Duration TIMEOUT = Duration.ofSeconds(60);

    private Cmd() {
    }

    static CommandResult run(List<String> argv) {
        long start = System.nanoTime();
        Path out = null;
        Path err = null;
        try {
            // Files, not pipes: a command that leaves a background child holding the pipe open must
            // not make us wait for that child.
            out = Files.createTempFile("twcmd", ".out");
            err = Files.createTempFile("twcmd", ".err");
            Process p = new ProcessBuilder(argv).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            int exit;
            String failure = "";
            if (p.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                exit = p.exitValue();
            } else {
                p.destroyForcibly().waitFor();
                exit = -1;
                failure = "\ntimed out after " + TIMEOUT.toSeconds() + " s";
            }
            return new CommandResult(argv, exit, read(out), read(err) + failure,
                    Duration.ofNanos(System.nanoTime() - start));
        } catch (IOException e) {
            return new CommandResult(argv, -1, "", "could not start: " + e.getMessage(),
                    Duration.ofNanos(System.nanoTime() - start));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + ShellQuote.join(argv), e);
        } finally {
            deleteQuietly(out);
            deleteQuietly(err);
        }
    }

    static CommandResult run(String... argv) {
        return run(List.of(argv));
    }

    /** Runs the command and returns its stdout, or throws naming the command, exit code and stderr. */
    static String check(List<String> argv) {
        CommandResult r = run(argv);
        if (!r.succeeded()) {
            throw new IllegalStateException("lab command failed: " + ShellQuote.join(argv) + " exited "
                    + r.exitCode() + ": " + r.stderr().strip());
        }
        return r.stdout();
    }

    static String check(String... argv) {
        return check(List.of(argv));
    }

    private static String read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static void deleteQuietly(Path file) {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                // a leftover empty temp file is not worth failing a test for
            }
        }
    }
}
