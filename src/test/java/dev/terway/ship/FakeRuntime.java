package dev.terway.ship;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;

/** A directory shaped like bin/build-runtime's output, small enough for unit tests. */
final class FakeRuntime {

    private FakeRuntime() {
    }

    static RuntimeImage create(Path dir, String id) throws IOException, InstallException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(RuntimeImage.PROPERTIES),
                "id=" + id + "\nversion=0.1.0\njava.version=25.0.3\narchive=aot\n");
        for (String file : RuntimeImage.REQUIRED) {
            Path p = dir.resolve(file);
            Files.createDirectories(p.getParent());
            Files.writeString(p, "#!/bin/sh\necho " + id + "\n");
            if (file.contains("bin/")) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            // An old, exact time: the copy must keep it (the class-data archive checks the jars' times).
            Files.setLastModifiedTime(p, FileTime.from(Instant.parse("2024-01-02T03:04:05Z")));
        }
        return RuntimeImage.read(dir);
    }
}
