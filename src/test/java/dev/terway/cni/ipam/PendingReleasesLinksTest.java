package dev.terway.cni.ipam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PendingReleasesLinksTest {

    @TempDir
    Path tmp;

    @Test
    void recordsAreOwnerOnlyAndReadBack() throws Exception {
        PendingReleases pending = PendingReleases.besideSocket(tmp.resolve("run/dhcp.sock"));
        Files.createDirectories(tmp.resolve("run"));
        pending.mark("c1", "eth0");
        assertEquals(List.of(new LeaseGateway.Attachment("c1", "eth0")), pending.pending(w -> { }));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(pending.dir())));
        try (var files = Files.list(pending.dir())) {
            for (Path f : files.toList()) {
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)), f.toString());
            }
        }
    }

    @Test
    void aSymlinkedDirectoryIsRefusedNotWrittenThrough() throws Exception {
        Path elsewhere = Files.createDirectory(tmp.resolve("elsewhere"));
        Files.createDirectories(tmp.resolve("run"));
        Files.createSymbolicLink(tmp.resolve("run").resolve(PendingReleases.DIR_NAME), elsewhere);
        PendingReleases pending = PendingReleases.besideSocket(tmp.resolve("run/dhcp.sock"));
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> pending.mark("c1", "eth0"));
        assertTrue(e.getCause().getMessage().contains("symbolic link"), e.getCause().getMessage());
        try (var files = Files.list(elsewhere)) {
            assertEquals(0, files.count());
        }
        assertEquals(List.of(), pending.pending(w -> { }), "a linked directory is not read either");
    }

    @Test
    void symlinkedAndOversizedRecordsAreIgnoredWithAWarning() throws Exception {
        PendingReleases pending = PendingReleases.besideSocket(tmp.resolve("run/dhcp.sock"));
        Files.createDirectories(tmp.resolve("run"));
        pending.mark("c1", "eth0");
        Path secret = Files.writeString(tmp.resolve("secret"), "{\"containerId\":\"x\",\"ifname\":\"y\"}");
        Files.createSymbolicLink(pending.dir().resolve("twlink0000000.json"), secret);
        Files.writeString(pending.dir().resolve("twhuge00000000.json"), " ".repeat(100_000) + "{}");
        List<String> warnings = new ArrayList<>();
        assertEquals(List.of(new LeaseGateway.Attachment("c1", "eth0")), pending.pending(warnings::add));
        assertEquals(2, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains("twhuge00000000.json") && warnings.get(0).contains("more than the 4096"),
                warnings.toString());
        assertTrue(warnings.get(1).contains("twlink0000000.json") && warnings.get(1).contains("symbolic link"),
                warnings.toString());
    }
}
