package dev.terway.e2e;

import dev.terway.it.FedCommand;
import dev.terway.it.LabRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The images the end-to-end suite runs, built once per run into podman storage of the suite's own
 * (it/e2e/build-image.sh, it/e2e/pod-image.sh): the terway image from this checkout's Containerfile under
 * the name the manifest uses, a second terway image for the rolling upgrade (the same source with one
 * launcher file changed, so it carries a runtime of another id, as a new release would), and the pods'
 * busybox image. All are built before any node runs, because the nodes read this storage as their image
 * store and must not see it change under them.
 */
record E2eImages(Path store, String terway, String upgrade, String pod, Path podArchive) {

    static final Path PROJECT = Path.of(System.getProperty("terway.home", ".")).toAbsolutePath().normalize();
    static final Path SCRIPTS = PROJECT.resolve("it/e2e");
    /** An uncached image build took 212 s on 2 cores; the upgrade image reuses most of its layers. */
    private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(20);

    /** Where the suite keeps podman storage and logs: {@code -Dterway.e2e.dir}, else target/e2e. */
    static Path directory() {
        return Path.of(System.getProperty("terway.e2e.dir", PROJECT.resolve("target/e2e").toString()));
    }

    static E2eImages build(String terwayImage) throws IOException {
        Path dir = directory();
        Path store = dir.resolve("images");
        Files.createDirectories(store);
        String upgrade = terwayImage.replaceFirst(":[^:/]*$", "") + ":e2e-upgrade";
        String pod = "localhost/terway-e2e/busybox:latest";
        script(dir.resolve("build-image.log"), "build-image.sh", store.toString(), terwayImage, PROJECT.toString());
        script(dir.resolve("build-upgrade.log"), "build-image.sh", store.toString(), upgrade,
                upgradeSource(dir.resolve("upgrade-src")).toString());
        script(dir.resolve("pod-image.log"), "pod-image.sh", store.toString(), pod);
        return new E2eImages(store, terwayImage, upgrade, pod, store.resolve("pod-image.tar"));
    }

    private static void script(Path log, String name, String... args) {
        List<String> argv = new java.util.ArrayList<>(List.of("bash", SCRIPTS.resolve(name).toString()));
        argv.addAll(List.of(args));
        FedCommand.Outcome o = FedCommand.run(argv, Optional.empty(), "", BUILD_TIMEOUT);
        try {
            Files.writeString(log, o.stdout() + o.stderr());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (o.exit() != 0) {
            String out = o.stdout() + o.stderr();
            throw new IllegalStateException(name + " failed (exit " + o.exit() + ", log " + log + "): "
                    + out.substring(Math.max(0, out.length() - 4000)));
        }
    }

    /**
     * The build context of the "next release": this checkout's Containerfile, pom.xml, src/ and bin/, with a
     * comment added to a launcher file the runtime carries, so the runtime's id (a hash of its files)
     * differs and `terway install` performs a real runtime switch.
     */
    private static Path upgradeSource(Path to) throws IOException {
        LabRegistry.deleteTree(to);
        Files.createDirectories(to);
        for (String file : List.of("Containerfile", "pom.xml", ".containerignore")) {
            Files.copy(PROJECT.resolve(file), to.resolve(file), StandardCopyOption.COPY_ATTRIBUTES);
        }
        for (String tree : List.of("src", "bin")) {
            copyTree(PROJECT.resolve(tree), to.resolve(tree));
        }
        Files.writeString(to.resolve("bin/lib/daemon-jvm-opts.sh"), "# end-to-end suite: the upgrade's build\n",
                StandardOpenOption.APPEND);
        return to;
    }

    private static void copyTree(Path from, Path to) throws IOException {
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Files.createDirectories(to.resolve(from.relativize(dir).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.copy(file, to.resolve(from.relativize(file).toString()), StandardCopyOption.COPY_ATTRIBUTES);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
