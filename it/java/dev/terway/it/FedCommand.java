package dev.terway.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs one argv (never through a shell) with text on its standard input, as a CNI runtime runs a plugin:
 * optionally with exactly the given environment, and bounded by a timeout.
 */
public final class FedCommand {

    /** What the command did; {@code millis} is its wall time, start to exit. */
    public record Outcome(int exit, String stdout, String stderr, long millis) {
    }

    private FedCommand() {
    }

    /**
     * @param environment the whole environment of the command, or empty to inherit this process's
     */
    public static Outcome run(List<String> argv, Optional<Map<String, String>> environment, String stdin,
                              Duration timeout) {
        ProcessBuilder pb = new ProcessBuilder(argv);
        environment.ifPresent(env -> {
            pb.environment().clear();
            pb.environment().putAll(env);
        });
        long start = System.nanoTime();
        try {
            Process p = pb.start();
            CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
            try (OutputStream in = p.getOutputStream()) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                // a command that reads no input closes early; it is judged by its exit code
            }
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(argv + " did not finish within " + timeout.toSeconds() + " s");
            }
            return new Outcome(p.exitValue(), out.join(), err.join(), (System.nanoTime() - start) / 1_000_000);
        } catch (IOException e) {
            throw new UncheckedIOException("failed to start " + argv, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String read(InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
