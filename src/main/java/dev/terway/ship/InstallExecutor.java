package dev.terway.ship;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.Consumer;

/**
 * Carries out an {@link InstallPlan} on the local file system. Every action is atomic for readers (see
 * {@link InstallAction}); a failed action cleans up its own temporary files and the plan stops there.
 */
public final class InstallExecutor {

    private final Consumer<String> progress;

    public InstallExecutor(Consumer<String> progress) {
        this.progress = progress;
    }

    public void run(InstallPlan plan) throws InstallException {
        for (InstallAction action : plan.actions()) {
            try {
                apply(action);
            } catch (IOException e) {
                throw new InstallException("failed to " + describe(action) + ": " + e, e);
            }
            progress.accept(describe(action));
        }
    }

    private void apply(InstallAction action) throws IOException {
        // Java 17: no pattern matching in switch yet; the interface is sealed, so this chain is complete.
        if (action instanceof InstallAction.CopyRuntime c) {
            copyRuntime(c);
        } else if (action instanceof InstallAction.WriteFile w) {
            writeFile(w);
        } else if (action instanceof InstallAction.RemoveTree r) {
            removeTree(r.path());
        } else if (action instanceof InstallAction.RemoveFile r) {
            Files.deleteIfExists(r.path());
            syncDirectory(r.path().getParent());
        } else {
            throw new IllegalStateException("unknown install action " + action);
        }
    }

    static String describe(InstallAction action) {
        if (action instanceof InstallAction.CopyRuntime c) {
            return "install runtime " + c.destination() + " from " + c.source();
        } else if (action instanceof InstallAction.WriteFile w) {
            return "write " + w.path();
        } else if (action instanceof InstallAction.RemoveTree r) {
            return "remove " + r.path();
        } else if (action instanceof InstallAction.RemoveFile r) {
            return "remove " + r.path();
        }
        throw new IllegalStateException("unknown install action " + action);
    }

    /**
     * Copy with modes and modification times kept (the class-data archive checks the jars' times), sync
     * every file, then one rename makes the runtime appear complete or not at all.
     */
    private void copyRuntime(InstallAction.CopyRuntime c) throws IOException {
        removeTree(c.staging());
        Files.createDirectories(c.staging().getParent());
        try {
            copyTree(c.source(), c.staging());
            if (Files.exists(c.destination(), LinkOption.NOFOLLOW_LINKS)) {
                throw new FileAlreadyExistsException(c.destination().toString(), null,
                        "another install put it there meanwhile");
            }
            Files.move(c.staging(), c.destination(), StandardCopyOption.ATOMIC_MOVE);
            syncDirectory(c.destination().getParent());
        } catch (IOException | RuntimeException e) {
            removeTree(c.staging());
            throw e;
        }
    }

    private static void copyTree(Path source, Path destination) throws IOException {
        Deque<Path[]> directoryTimes = new ArrayDeque<>();
        Files.walkFileTree(source, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Path to = destination.resolve(source.relativize(dir).toString());
                Files.copy(dir, to, StandardCopyOption.COPY_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
                directoryTimes.push(new Path[] {dir, to});
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Path to = destination.resolve(source.relativize(file).toString());
                Files.copy(file, to, StandardCopyOption.COPY_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
                if (attrs.isRegularFile()) {
                    try (FileChannel ch = FileChannel.open(to, StandardOpenOption.READ)) {
                        ch.force(true);
                    }
                }
                return FileVisitResult.CONTINUE;
            }
        });
        // Creating entries touched the directories' times; put the source's back, deepest first.
        while (!directoryTimes.isEmpty()) {
            Path[] pair = directoryTimes.pop();
            FileTime time = Files.getLastModifiedTime(pair[0], LinkOption.NOFOLLOW_LINKS);
            Files.setLastModifiedTime(pair[1], time);
        }
    }

    /** Temporary file beside the target, synced, mode set, renamed over the target, directory synced. */
    private void writeFile(InstallAction.WriteFile w) throws IOException {
        Path temp = InstallAction.WriteFile.temporary(w.path());
        Files.createDirectories(w.path().getParent());
        Files.deleteIfExists(temp);
        try {
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ch.write(StandardCharsets.UTF_8.encode(w.content()));
                ch.force(true);
            }
            Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString(permissions(w.mode())));
            try {
                Files.move(temp, w.path(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cannot rename " + temp + " over " + w.path() + " atomically", e);
            }
            syncDirectory(w.path().getParent());
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
    }

    /** "755" -> "rwxr-xr-x". */
    static String permissions(String octal) {
        if (!octal.matches("[0-7]{3}")) {
            throw new IllegalArgumentException("mode '" + octal + "' is not three octal digits");
        }
        StringBuilder s = new StringBuilder(9);
        for (char c : octal.toCharArray()) {
            int d = c - '0';
            s.append((d & 4) != 0 ? 'r' : '-').append((d & 2) != 0 ? 'w' : '-').append((d & 1) != 0 ? 'x' : '-');
        }
        return s.toString();
    }

    /** Deletes a tree without following symlinks; a missing tree is fine. */
    static void removeTree(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                Files.deleteIfExists(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** Makes a rename or unlink in {@code dir} durable. */
    private static void syncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (NoSuchFileException e) {
            // the directory itself went away (uninstall removed it); nothing to make durable
        }
    }
}
