package dev.terway.jni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The build compiles libterwaynet.so and the test JVM finds it. The native calls here fail before any
 * privileged step, so they run without root.
 */
class NativeLibraryTest {

    private static final int ENOENT = 2;
    private static final int EINVAL = 22;

    @Test
    void theBuiltLibraryLoadsFromJavaLibraryPath() {
        NativeLibrary.ensureLoaded();
        Optional<String> from = NativeLibrary.loadedFrom();
        assertTrue(from.isPresent());
        assertTrue(from.get().startsWith("java.library.path="), from.get());
    }

    @Test
    void aMissingNamespaceFileIsReportedWithPathAndErrno() throws IOException {
        Path self = ownNamespace();
        NativeSocketException e = assertThrows(NativeSocketException.class,
                () -> NetnsUdpSocket.open(Path.of("/nonexistent/terway-netns"), "eth0", 68));
        assertEquals("open network namespace /nonexistent/terway-netns failed: No such file or directory",
                e.getMessage());
        assertEquals("open network namespace", e.operation());
        assertEquals("/nonexistent/terway-netns", e.object());
        assertEquals(ENOENT, e.errno());
        assertEquals(self, ownNamespace());
    }

    @Test
    void aFileThatIsNotANetworkNamespaceIsRefusedBySetns(@TempDir Path dir) throws IOException {
        // setns() refuses a plain file with EINVAL before any privilege check, so this needs no root
        Path plain = Files.writeString(dir.resolve("not-a-netns"), "x");
        NativeSocketException e = assertThrows(NativeSocketException.class,
                () -> NetnsUdpSocket.open(plain, "eth0", 68));
        assertEquals("setns into " + plain + " failed: Invalid argument (not a network namespace)", e.getMessage());
        assertEquals(EINVAL, e.errno());
        assertEquals(Optional.of("not a network namespace"), e.hint());
    }

    @Test
    void fallsBackToTheConfiguredDirectory(@TempDir Path dir) throws IOException {
        // a copy under a name that is not on java.library.path can only be found through the fallback
        Path built = Path.of(System.getProperty("java.library.path").split(":")[0]); // the pom's target/native
        Files.copy(built.resolve(System.mapLibraryName(NativeLibrary.NAME)),
                dir.resolve(System.mapLibraryName("terwaynet-fallback-copy")));
        assertEquals(dir.resolve(System.mapLibraryName("terwaynet-fallback-copy")).toString(),
                NativeLibrary.load("terwaynet-fallback-copy", null, dir.toString()));
    }

    @Test
    void aLibraryFoundNowhereNamesEveryPlaceTried(@TempDir Path dir) {
        UnsatisfiedLinkError e = assertThrows(UnsatisfiedLinkError.class,
                () -> NativeLibrary.load("terwaynet-missing", dir.toString(), null));
        String message = e.getMessage();
        assertTrue(message.startsWith("cannot load the terway native library libterwaynet-missing.so"), message);
        assertTrue(message.contains("java.library.path="), message);
        assertTrue(message.contains("-Dterway.native.dir: " + dir.resolve("libterwaynet-missing.so")
                + " does not exist"), message);
        assertTrue(message.contains("$TERWAY_NATIVE_DIR: not set"), message);
    }

    private static Path ownNamespace() throws IOException {
        return Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net"));
    }
}
