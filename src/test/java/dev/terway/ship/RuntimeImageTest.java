package dev.terway.ship;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RuntimeImageTest {

    @TempDir
    Path tmp;

    @Test
    void theRuntimeThisTerwayRunsFromComesFirst() throws Exception {
        Files.createDirectories(tmp.resolve("target/terway-runtime"));
        assertEquals(Optional.of(Path.of("/opt/terway")),
                RuntimeImage.defaultRoot(Optional.of("/opt/terway"), Optional.of(tmp.toString())));
    }

    @Test
    void aSourceCheckoutFallsBackToItsBuiltRuntimeWhenItExists() throws Exception {
        assertEquals(Optional.empty(), RuntimeImage.defaultRoot(Optional.empty(), Optional.of(tmp.toString())),
                "not built yet");
        Files.createDirectories(tmp.resolve("target/terway-runtime"));
        assertEquals(Optional.of(tmp.resolve("target/terway-runtime")),
                RuntimeImage.defaultRoot(Optional.empty(), Optional.of(tmp.toString())));
        assertEquals(Optional.of(tmp.resolve("target/terway-runtime")),
                RuntimeImage.defaultRoot(Optional.of(" "), Optional.of(tmp.toString())), "a blank property is none");
    }

    @Test
    void neitherIsNone() {
        assertEquals(Optional.empty(), RuntimeImage.defaultRoot(Optional.empty(), Optional.empty()));
        assertEquals(Optional.empty(), RuntimeImage.defaultRoot(Optional.of(""), Optional.of("")));
    }
}
