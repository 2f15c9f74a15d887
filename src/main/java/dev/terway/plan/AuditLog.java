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
 * Appends every executed command as one JSON line (timestamp, argv, exit code, duration, stderr), so
 * an operator can reconstruct exactly what terway did to a node.
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

    public synchronized void record(CommandResult result) {
        ObjectNode line = JSON.createObjectNode();
        line.put("timestamp", clock.instant().toString());
        result.argv().forEach(line.putArray("argv")::add);
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

    /** A runner that records every command it runs in this log. */
    public CommandRunner recording(CommandRunner runner) {
        return argv -> {
            CommandResult result = runner.run(argv);
            record(result);
            return result;
        };
    }
}
