package dev.terway.plan;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;

/**
 * Appends every executed command as one JSON line (timestamp, argv, the standard input it was fed if
 * any, exit code, duration, stderr), so an operator can reconstruct exactly what terway did to a node.
 */
public final class AuditLog {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final Clock clock;

    public AuditLog(Path file, Clock clock) {
        this.file = file;
        this.clock = clock;
    }

    public Path file() {
        return file;
    }

    public void record(CommandResult result) {
        record(result, null);
    }

    /** Records a command that was fed {@code input} (null: none) on its standard input. */
    public synchronized void record(CommandResult result, String input) {
        ObjectNode line = JSON.createObjectNode();
        line.put("timestamp", clock.instant().toString());
        result.argv().forEach(line.putArray("argv")::add);
        if (input != null) {
            line.put("stdin", input);
        }
        line.put("exitCode", result.exitCode());
        line.put("durationMs", result.duration().toNanos() / 1_000_000.0);
        line.put("stderr", result.stderr());
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, JSON.writeValueAsString(line) + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new UncheckedIOException("failed to append to audit log " + file, e);
        }
    }
}
