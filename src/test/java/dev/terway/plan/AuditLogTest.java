package dev.terway.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The audit log stays JSON lines, bounded by rotation, and loses or tears no line when threads and
 * processes write it at once, across rotations.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS) // a hang guard
class AuditLogTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** Line {@code n} of writer {@code writer}: its argv says who and which, its stderr pads it. */
    static CommandResult line(String writer, int n) {
        return new CommandResult(List.of("ip", "link", "set", "dev", writer, Integer.toString(n)), n % 3, "",
                "x".repeat(n % 50), Duration.ofMillis(n));
    }

    /** Every file from the oldest to the newest: audit.log.N … audit.log.1, audit.log. */
    private static List<Path> filesOldestFirst(AuditLog log) {
        List<Path> files = new ArrayList<>();
        for (int n = log.rotation().keep() + 1; n >= 1; n--) {
            if (Files.exists(log.rotated(n))) {
                files.add(log.rotated(n));
            }
        }
        if (Files.exists(log.file())) {
            files.add(log.file());
        }
        return files;
    }

    /** Parses every line of every file, oldest first; a torn line fails the parse. */
    private static List<JsonNode> lines(AuditLog log) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (Path f : filesOldestFirst(log)) {
            String text = Files.readString(f);
            assertTrue(text.isEmpty() || text.endsWith("\n"), f + " ends in the middle of a line");
            for (String l : text.split("\n", -1)) {
                if (!l.isEmpty()) {
                    out.add(JSON.readTree(l));
                }
            }
        }
        return out;
    }

    /** Every writer's lines are all there, once each and in their order. */
    private static void assertComplete(List<JsonNode> lines, Map<String, Integer> expected) {
        Map<String, Integer> next = new HashMap<>();
        for (JsonNode l : lines) {
            String writer = l.path("argv").path(4).asText();
            int n = l.path("argv").path(5).asInt();
            int want = next.getOrDefault(writer, 0);
            assertEquals(want, n, "writer " + writer + ": line " + n + " where " + want + " was due (lost, doubled or"
                    + " out of order)");
            assertEquals(n % 3, l.path("exitCode").asInt());
            assertEquals("x".repeat(n % 50), l.path("stderr").asText());
            next.put(writer, n + 1);
        }
        assertEquals(expected, next);
    }

    private void assertEachFileWithinBound(AuditLog log) throws IOException {
        for (Path f : filesOldestFirst(log)) {
            assertTrue(Files.size(f) <= log.rotation().maxBytes(), f + " has " + Files.size(f) + " bytes");
        }
    }

    @Test
    void eachLineIsOneJsonObjectWithTheCommandsRecord() throws IOException {
        AuditLog log = new AuditLog(dir.resolve("state/audit.log"), Clock.systemUTC());
        log.record(new CommandResult(List.of("ip", "addr", "add", "e;x"), 2, "", "RTNETLINK answers: File exists\n",
                Duration.ofMillis(3)), "addr add 10.0.0.5/24 dev e;x\n");
        List<String> text = Files.readAllLines(log.file());
        assertEquals(1, text.size());
        JsonNode l = JSON.readTree(text.get(0));
        assertEquals(List.of("timestamp", "argv", "stdin", "exitCode", "durationMs", "stderr"),
                iterable(l.fieldNames()));
        assertEquals("e;x", l.path("argv").path(3).asText());
        assertEquals(2, l.path("exitCode").asInt());
        assertEquals(3.0, l.path("durationMs").asDouble());
    }

    private static List<String> iterable(java.util.Iterator<String> it) {
        List<String> out = new ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }

    @Test
    void rotationKeepsTheNewestFilesWholeAndDropsTheOldest() throws IOException {
        AuditLog log = new AuditLog(dir.resolve("audit.log"), Clock.systemUTC(), new AuditLog.Rotation(1000, 3));
        for (int i = 0; i < 200; i++) {
            log.record(line("w", i));
        }
        assertTrue(Files.exists(log.rotated(3)));
        assertFalse(Files.exists(log.rotated(4)), "only three rotated files are kept");
        assertEachFileWithinBound(log);
        List<JsonNode> kept = lines(log);
        // a contiguous tail of what was written, ending with the last line, every line as it was written
        int first = kept.get(0).path("argv").path(5).asInt();
        assertTrue(first > 0, "the oldest lines were dropped");
        for (int i = 0; i < kept.size(); i++) {
            JsonNode l = kept.get(i);
            int n = first + i;
            assertEquals(Integer.toString(n), l.path("argv").path(5).asText());
            assertEquals("x".repeat(n % 50), l.path("stderr").asText());
        }
        assertEquals(199, first + kept.size() - 1);
        // each rotated file is full: the next line would not have fit
        for (int n = 1; n <= 3; n++) {
            assertTrue(Files.size(log.rotated(n)) > 1000 - 250, log.rotated(n) + ": " + Files.size(log.rotated(n)));
        }
    }

    @Test
    void aLineLargerThanTheBoundIsWrittenWholeInAFileOfItsOwn() throws IOException {
        AuditLog log = new AuditLog(dir.resolve("audit.log"), Clock.systemUTC(), new AuditLog.Rotation(300, 2));
        log.record(line("w", 0));
        log.record(new CommandResult(List.of("ip", "-batch", "-"), 0, "", "", Duration.ZERO), "y".repeat(1000));
        log.record(line("w", 1));
        assertTrue(Files.readString(log.rotated(1)).contains("y".repeat(1000)));
        assertEquals(1, Files.readAllLines(log.rotated(1)).size());
        assertEquals(1, Files.readAllLines(log.file()).size());
    }

    /** `terway run` has two logs on one file in one JVM (setup's and the daemon's), each with threads. */
    @Test
    void concurrentThreadsOfTwoLogsOnOneFileLoseNoLineAcrossRotations() throws Exception {
        AuditLog.Rotation rotation = new AuditLog.Rotation(4096, 1000); // keep everything, to count it
        AuditLog a = new AuditLog(dir.resolve("audit.log"), Clock.systemUTC(), rotation);
        AuditLog b = new AuditLog(dir.resolve("./audit.log"), Clock.systemUTC(), rotation);
        int threads = 8;
        int each = 400;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> done = new ArrayList<>();
        Map<String, Integer> expected = new HashMap<>();
        for (int t = 0; t < threads; t++) {
            String writer = "t" + t;
            AuditLog log = t % 2 == 0 ? a : b;
            expected.put(writer, each);
            done.add(pool.submit(() -> {
                start.await();
                for (int i = 0; i < each; i++) {
                    log.record(line(writer, i));
                }
                return null;
            }));
        }
        start.countDown();
        for (Future<?> f : done) {
            f.get(120, TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertTrue(Files.exists(a.rotated(20)), "it rotated many times");
        assertEachFileWithinBound(a);
        assertComplete(lines(a), expected);
    }

    /** The daemon and an operator's `terway setup`/`teardown` are separate processes on one log. */
    @Test
    void concurrentProcessesLoseNoLineAcrossRotations() throws Exception {
        Path file = dir.resolve("audit.log");
        long maxBytes = 4096;
        int keep = 1000;
        int each = 600;
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<Process> processes = new ArrayList<>();
        Map<String, Integer> expected = new HashMap<>();
        for (int p = 0; p < 3; p++) {
            String writer = "p" + p;
            expected.put(writer, each);
            processes.add(new ProcessBuilder(java, "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp",
                    System.getProperty("java.class.path"), AuditLogWriter.class.getName(), file.toString(),
                    Long.toString(maxBytes), Integer.toString(keep), writer, Integer.toString(each))
                    .redirectErrorStream(true).start());
        }
        AuditLog here = new AuditLog(file, Clock.systemUTC(), new AuditLog.Rotation(maxBytes, keep));
        // this JVM's writers join in once the processes are writing
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(file) && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        Thread[] threads = new Thread[2];
        for (int t = 0; t < threads.length; t++) {
            String writer = "t" + t;
            expected.put(writer, each);
            threads[t] = new Thread(() -> {
                for (int i = 0; i < each; i++) {
                    here.record(line(writer, i));
                }
            });
            threads[t].start();
        }
        for (Thread t : threads) {
            t.join(120_000);
        }
        for (Process p : processes) {
            assertTrue(p.waitFor(120, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), new String(p.getInputStream().readAllBytes()));
        }
        assertEachFileWithinBound(here);
        List<JsonNode> all = lines(here);
        assertComplete(all, expected);
        assertTrue(interleavings(all) > 10, "the writers took turns: " + interleavings(all));
    }

    /** How often the writer of a line is a different process than the writer of the line before. */
    private static int interleavings(List<JsonNode> lines) {
        int changes = 0;
        for (int i = 1; i < lines.size(); i++) {
            String before = lines.get(i - 1).path("argv").path(4).asText();
            String now = lines.get(i).path("argv").path(4).asText();
            if (!before.equals(now) && (before.startsWith("p") || now.startsWith("p"))) {
                changes++;
            }
        }
        return changes;
    }

    @Test
    void aLogThatCannotRotateStillRecordsTheLineAndSaysSo() throws IOException {
        AuditLog log = new AuditLog(dir.resolve("audit.log"), Clock.systemUTC(), new AuditLog.Rotation(300, 1));
        log.record(line("w", 0));
        log.record(line("w", 1));
        // a non-empty directory where the rotated file must go: the rename fails
        Files.createDirectories(log.rotated(1).resolve("in-the-way"));
        Files.writeString(log.file(), "x".repeat(290) + "\n", java.nio.file.StandardOpenOption.APPEND);
        AuditLog.RotationFailed failed = assertThrows(AuditLog.RotationFailed.class, () -> log.record(line("w", 2)));
        assertTrue(failed.getMessage().contains("grows past 300 bytes"), failed.getMessage());
        assertTrue(Files.readString(log.file()).contains("\"2\"]"), "the line is on record anyway");
    }

    @Test
    void theEnvironmentSetsTheBoundAndInvalidValuesFallBackToTheDefaults() {
        AuditLog.Rotation none = AuditLog.Rotation.fromEnvironment(Map.of());
        assertEquals(new AuditLog.Rotation(10L * 1024 * 1024, 5), none);
        assertEquals(new AuditLog.Rotation(512 * 1024, 3), AuditLog.Rotation.fromEnvironment(Map.of(
                "TERWAY_AUDIT_LOG_MAX_SIZE", "512KiB", "TERWAY_AUDIT_LOG_KEEP", "3")));
        assertEquals(2L * 1024 * 1024 * 1024, AuditLog.Rotation.fromEnvironment(Map.of(
                "TERWAY_AUDIT_LOG_MAX_SIZE", "2 GiB")).maxBytes());
        assertEquals(1048576, AuditLog.Rotation.fromEnvironment(Map.of("TERWAY_AUDIT_LOG_MAX_SIZE", "1048576"))
                .maxBytes());
        for (String bad : List.of("10MB", "ten", "-1", "100", "999999999999999GiB", "1.5MiB")) {
            AuditLog.Rotation r = AuditLog.Rotation.fromEnvironment(Map.of("TERWAY_AUDIT_LOG_MAX_SIZE", bad));
            assertEquals(10L * 1024 * 1024, r.maxBytes(), bad);
            assertEquals(1, r.problems().size(), bad);
            assertTrue(r.problems().get(0).startsWith("TERWAY_AUDIT_LOG_MAX_SIZE=" + bad + " is not a size"), bad);
        }
        for (String bad : List.of("0", "101", "x", "-2")) {
            AuditLog.Rotation r = AuditLog.Rotation.fromEnvironment(Map.of("TERWAY_AUDIT_LOG_KEEP", bad));
            assertEquals(5, r.keep(), bad);
            assertEquals(1, r.problems().size(), bad);
        }
    }
}
