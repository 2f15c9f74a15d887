package dev.terway.ship;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * What a node has of terway's files now: the launcher's text, the conflist's text, the installed
 * runtime ids and staging leftovers of an interrupted install.
 *
 * @param launcher  the text of {@code <cni-bin-dir>/cni-terway} when it is a regular file
 * @param launcherForeign true when something that is not a regular file (a symlink, a directory) is there
 * @param conflist  the text of {@code <cni-conf-dir>/10-terway.conflist}
 */
public record InstalledState(Optional<String> launcher, boolean launcherForeign, Optional<String> conflist,
                             SortedSet<String> runtimeIds, List<Path> leftovers, boolean runtimesDirExists) {

    public InstalledState {
        runtimeIds = new TreeSet<>(runtimeIds);
        leftovers = List.copyOf(leftovers);
    }

    public static InstalledState empty() {
        return new InstalledState(Optional.empty(), false, Optional.empty(), new TreeSet<>(), List.of(), false);
    }

    /** Reads the state under {@code target}; no symlink is followed. */
    public static InstalledState read(InstallTarget target) throws InstallException {
        Path launcher = target.launcher();
        boolean foreign = Files.exists(launcher, LinkOption.NOFOLLOW_LINKS)
                && !Files.isRegularFile(launcher, LinkOption.NOFOLLOW_LINKS);
        Optional<String> launcherText = foreign ? Optional.empty() : readIfRegular(launcher);
        Optional<String> conflist = readIfRegular(target.conflist());
        SortedSet<String> ids = new TreeSet<>();
        List<Path> leftovers = new ArrayList<>();
        Path runtimes = target.runtimes();
        boolean dirExists = Files.isDirectory(runtimes, LinkOption.NOFOLLOW_LINKS);
        if (dirExists) {
            try (Stream<Path> entries = Files.list(runtimes)) {
                for (Path p : (Iterable<Path>) entries::iterator) {
                    String name = p.getFileName().toString();
                    if (name.startsWith(InstallTarget.STAGING_PREFIX)) {
                        leftovers.add(p);
                    } else if (RuntimeImage.isId(name) && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                        ids.add(name);
                    }
                }
            } catch (IOException e) {
                throw new InstallException("cannot list the installed runtimes in " + runtimes + ": " + e.getMessage(), e);
            }
        }
        return new InstalledState(launcherText, foreign, conflist, ids, leftovers, dirExists);
    }

    private static Optional<String> readIfRegular(Path file) throws InstallException {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        try {
            // Lenient decoding: a foreign binary in its place must be reported as foreign, not as unreadable.
            return Optional.of(new String(Files.readAllBytes(file), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new InstallException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
