package dev.terway.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Finding the registered programs on a PATH: a fake one made of temporary directories. */
class ProgramLookupTest {

    @TempDir
    Path dir;

    private Path bin(String name, String... programs) throws IOException {
        Path bin = Files.createDirectories(dir.resolve(name));
        for (String p : programs) {
            executable(bin.resolve(p));
        }
        return bin;
    }

    private static Path executable(Path file) throws IOException {
        Files.writeString(file, "#!/bin/sh\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        return file;
    }

    @Test
    void findsEachProgramInTheFirstDirectoryOfPathThatHasIt() throws IOException {
        Path sbin = bin("sbin", "ip", "bridge", "sysctl");
        Path usrBin = bin("bin", "ip", "nsenter", "ping");
        ProgramLookup lookup = ProgramLookup.onPath(dir.resolve("absent") + "::" + sbin + ":" + usrBin);
        assertEquals(Optional.of(sbin.resolve("ip")), lookup.find("ip"));
        assertEquals(Optional.of(usrBin.resolve("ping")), lookup.find("ping"));
        assertEquals(List.of(), lookup.missing());
        lookup.requireAll();
    }

    @Test
    void aMissingProgramIsNamedWithItsPackage() throws IOException {
        Path bin = bin("bin", "ip", "bridge", "nsenter");
        Files.writeString(bin.resolve("ping"), "not executable");
        Files.createDirectory(bin.resolve("sysctl"));
        ProgramLookup lookup = ProgramLookup.onPath(bin.toString());
        assertEquals(List.of(Program.SYSCTL, Program.PING), lookup.missing(),
                "a file that is not executable and a directory do not count");
        MissingProgramsException e = assertThrows(MissingProgramsException.class, lookup::requireAll);
        assertEquals(List.of(Program.SYSCTL, Program.PING), e.missing());
        assertTrue(e.getMessage().startsWith("missing programs: sysctl (Debian package procps), ping (Debian package"
                + " iputils-ping); not found on PATH=" + bin + "."), e.getMessage());
        assertTrue(e.getMessage().contains("install procps iputils-ping"), e.getMessage());
    }

    @Test
    void noPathFindsNothing() {
        assertEquals(List.of(Program.values()), ProgramLookup.onPath(null).missing());
        assertEquals(List.of(Program.values()), ProgramLookup.onPath("").missing());
        assertEquals(Optional.empty(), ProgramLookup.onPath("/usr/sbin:/usr/bin").find("/usr/sbin/ip"));
    }
}
