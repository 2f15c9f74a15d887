package dev.terway.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateDirectoryTest {

    @TempDir
    Path dir;

    /** Run in a child JVM: tries the lock once and prints "locked" or "busy". */
    public static void main(String[] args) throws IOException {
        try (FileChannel ch = FileChannel.open(Path.of(args[0]), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            FileLock lock = ch.tryLock();
            System.out.println(lock == null ? "busy" : "locked");
        }
    }

    private String otherProcessTries(Path lockFile) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                StateDirectoryTest.class.getName(), lockFile.toString()).redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish");
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    }

    @Test
    @SuppressWarnings("try")
    void theLockExcludesOtherProcessesUntilReleased() throws Exception {
        StateDirectory state = new StateDirectory(dir.resolve("terway"));
        List<String> told = new ArrayList<>();
        try (StateDirectory.Lock lock = state.lock(told::add)) {
            assertEquals("busy", otherProcessTries(state.lockFile()));
        }
        assertEquals("locked", otherProcessTries(state.lockFile()));
        assertEquals(List.of(), told, "an uncontended lock does not wait");
    }

    @Test
    @SuppressWarnings("try")
    void theDirectoryIsCreatedPrivate() throws Exception {
        StateDirectory state = new StateDirectory(dir.resolve("a/b"));
        try (StateDirectory.Lock lock = state.lock(m -> { })) {
            assertTrue(Files.isDirectory(state.path()));
            assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(state.path())));
        }
        assertEquals(state.path().resolve("setup.json"), state.records().file());
    }
}
