package dev.terway.plan;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Appends every executed command as one JSON line (timestamp, argv, the standard input it was fed if
 * any, exit code, duration, stderr), so an operator can reconstruct exactly what terway did to a node.
 * A line is written, whole, before {@link #record} returns, so a command is on record before its result
 * is reported.
 *
 * <p>Bounded by size-based rotation: before a line would take {@code audit.log} past
 * {@link Rotation#maxBytes}, {@code audit.log.N-1} becomes {@code audit.log.N} (the oldest, {@code .N}, is
 * dropped) … {@code audit.log} becomes {@code audit.log.1}, and the line starts a new {@code audit.log}.
 * Lines are never split across files. Several processes write the same log (`terway setup`/`teardown` run
 * by an operator, the daemon, `terway run`, which is both), so every append and every rotation happens
 * under an exclusive lock on {@code audit.log.lock}, a file that is never renamed, and in this JVM under a
 * monitor per log file as well (a JVM may hold only one lock on a file). A writer opens the log only while
 * it holds the lock, so no writer can append to a file that was just renamed away.
 *
 * <p>Our own rotation rather than a logging library's rolling appender: the popular ones (Logback's
 * RollingFileAppender, Log4j 2's RollingFileAppender) rotate safely only within one process (Logback's
 * prudent mode, made for several processes, cannot rotate by size), and this is some forty lines on the
 * file lock terway uses already. `cni-terway`, the per-pod client, never writes the audit log.
 */
public final class AuditLog {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** One monitor per log file in this JVM: the file lock is per JVM, two channels of one JVM would clash. */
    private static final Map<Path, Object> MONITORS = new ConcurrentHashMap<>();

    private final Path file;
    private final Path lockFile;
    private final Clock clock;
    private final Rotation rotation;

    /** With the rotation set by the environment ({@link Rotation#fromEnvironment}). */
    public AuditLog(Path file, Clock clock) {
        this(file, clock, Rotation.fromEnvironment(System.getenv()));
    }

    public AuditLog(Path file, Clock clock, Rotation rotation) {
        this.file = file.toAbsolutePath().normalize();
        this.lockFile = this.file.resolveSibling(this.file.getFileName() + ".lock");
        this.clock = clock;
        this.rotation = rotation;
    }

    public Path file() {
        return file;
    }

    public Rotation rotation() {
        return rotation;
    }

    /** The {@code n}th rotated file, {@code audit.log.n}; 1 is the newest. */
    public Path rotated(int n) {
        return file.resolveSibling(file.getFileName() + "." + n);
    }

    public void record(CommandResult result) {
        record(result, null);
    }

    /**
     * Records a command that was fed {@code input} (null: none) on its standard input.
     *
     * @throws UncheckedIOException the line could not be written; {@link RotationFailed} when it was written
     *                              but the log could not be rotated first (it grows past its bound)
     */
    public void record(CommandResult result, String input) {
        ObjectNode line = JSON.createObjectNode();
        line.put("timestamp", clock.instant().toString());
        result.argv().forEach(line.putArray("argv")::add);
        if (input != null) {
            line.put("stdin", input);
        }
        line.put("exitCode", result.exitCode());
        line.put("durationMs", result.duration().toNanos() / 1_000_000.0);
        line.put("stderr", result.stderr());
        byte[] bytes;
        try {
            bytes = (JSON.writeValueAsString(line) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("failed to append to audit log " + file, e);
        }
        append(bytes);
    }

    /** Appends one whole line, rotating first if it would take the log past its bound. */
    void append(byte[] line) {
        IOException rotationFailure = null;
        synchronized (MONITORS.computeIfAbsent(file, f -> new Object())) {
            try {
                Files.createDirectories(file.getParent());
                try (FileChannel lockChannel = FileChannel.open(lockFile, StandardOpenOption.CREATE,
                        StandardOpenOption.WRITE); FileLock lock = lockChannel.lock()) {
                    long size = Files.exists(file) ? Files.size(file) : 0;
                    if (size > 0 && size + line.length > rotation.maxBytes()) {
                        try {
                            rotate();
                        } catch (IOException e) {
                            rotationFailure = e; // the line matters more than the bound: write it anyway
                        }
                    }
                    try (FileChannel log = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                            StandardOpenOption.APPEND)) {
                        ByteBuffer buffer = ByteBuffer.wrap(line);
                        while (buffer.hasRemaining()) {
                            log.write(buffer);
                        }
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("failed to append to audit log " + file, e);
            }
        }
        if (rotationFailure != null) {
            throw new RotationFailed("cannot rotate audit log " + file + ", so it grows past "
                    + rotation.maxBytes() + " bytes", rotationFailure);
        }
    }

    /** Shifts every file one place older, dropping the oldest; the caller holds the lock. */
    private void rotate() throws IOException {
        for (int n = rotation.keep() - 1; n >= 1; n--) {
            if (Files.exists(rotated(n))) {
                move(rotated(n), rotated(n + 1));
            }
        }
        move(file, rotated(1));
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** The line was written, but the log could not be rotated before it: it is past its bound. */
    public static final class RotationFailed extends UncheckedIOException {
        private static final long serialVersionUID = 1L;

        RotationFailed(String message, IOException cause) {
            super(message, cause);
        }
    }

    /**
     * When the log is rotated and how many rotated files are kept.
     *
     * <p>Defaults: {@value #DEFAULT_MAX_BYTES} bytes (10 MiB) × {@value #DEFAULT_KEEP} kept files, at most
     * ~60 MiB with the current file. Measured in the lab: an ADD/DEL cycle writes ~1.2 KiB (1,140 cycles
     * added 1.4 MB), a lease renewal ~250 B. A busy node — 110 pods (kubelet's default limit) renewing
     * every 30 min, 1,000 pods created and deleted a day — writes ~2.5 MB a day, so one file covers about
     * four days and the kept ones about three weeks, long enough to look back over an incident found late;
     * 10 MiB is still comfortable for jq and less. Set by {@value #MAX_BYTES_ENV} (bytes, or with KiB, MiB,
     * GiB) and {@value #KEEP_ENV} (1–{@value #MAX_KEEP}).
     *
     * @param problems what was wrong with the environment's values, which were replaced by the defaults
     */
    public record Rotation(long maxBytes, int keep, List<String> problems) {

        public static final long DEFAULT_MAX_BYTES = 10L * 1024 * 1024;
        public static final int DEFAULT_KEEP = 5;
        public static final long MIN_BYTES = 4096;
        public static final int MAX_KEEP = 100;
        public static final String MAX_BYTES_ENV = "TERWAY_AUDIT_LOG_MAX_SIZE";
        public static final String KEEP_ENV = "TERWAY_AUDIT_LOG_KEEP";
        public static final Rotation DEFAULT = new Rotation(DEFAULT_MAX_BYTES, DEFAULT_KEEP);

        private static final Pattern SIZE = Pattern.compile("([0-9]{1,15})\\s*(|B|KiB|MiB|GiB)",
                Pattern.CASE_INSENSITIVE);

        public Rotation {
            if (maxBytes < 1 || keep < 1) {
                throw new IllegalArgumentException("an audit log rotation needs maxBytes ≥ 1 and keep ≥ 1");
            }
            problems = List.copyOf(problems);
        }

        public Rotation(long maxBytes, int keep) {
            this(maxBytes, keep, List.of());
        }

        /** From {@value #MAX_BYTES_ENV} and {@value #KEEP_ENV}; each one missing or invalid is the default. */
        public static Rotation fromEnvironment(Map<String, String> env) {
            List<String> problems = new ArrayList<>();
            long maxBytes = DEFAULT_MAX_BYTES;
            String size = env.getOrDefault(MAX_BYTES_ENV, "").strip();
            if (!size.isEmpty()) {
                Matcher m = SIZE.matcher(size);
                long parsed = -1;
                if (m.matches()) {
                    long number = Long.parseLong(m.group(1));
                    long unit = unit(m.group(2));
                    parsed = number <= Long.MAX_VALUE / unit ? number * unit : -1;
                }
                if (parsed >= MIN_BYTES) {
                    maxBytes = parsed;
                } else {
                    problems.add(MAX_BYTES_ENV + "=" + size + " is not a size of at least " + MIN_BYTES
                            + " bytes (e.g. 10MiB); using " + DEFAULT_MAX_BYTES + " bytes");
                }
            }
            int keep = DEFAULT_KEEP;
            String kept = env.getOrDefault(KEEP_ENV, "").strip();
            if (!kept.isEmpty()) {
                int parsed = kept.matches("[0-9]{1,3}") ? Integer.parseInt(kept) : -1;
                if (parsed >= 1 && parsed <= MAX_KEEP) {
                    keep = parsed;
                } else {
                    problems.add(KEEP_ENV + "=" + kept + " is not a number of files from 1 to " + MAX_KEEP + "; using "
                            + DEFAULT_KEEP);
                }
            }
            return new Rotation(maxBytes, keep, problems);
        }

        private static long unit(String suffix) {
            return switch (suffix.toLowerCase(Locale.ROOT)) {
                case "kib" -> 1024L;
                case "mib" -> 1024L * 1024;
                case "gib" -> 1024L * 1024 * 1024;
                default -> 1L;
            };
        }
    }
}
