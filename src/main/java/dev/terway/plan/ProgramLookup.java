package dev.terway.plan;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Where the programs of {@link Program} are found. The real lookup searches the directories of a PATH in
 * order, as the process launcher does; tests pass a PATH of their own or a scripted lookup.
 */
@FunctionalInterface
public interface ProgramLookup {

    /** The executable file {@code command} resolves to, if any. */
    Optional<Path> find(String command);

    /** The registered programs that {@link #find} does not resolve, in registry order. */
    default List<Program> missing() {
        return Arrays.stream(Program.values()).filter(p -> find(p.command()).isEmpty()).toList();
    }

    /**
     * Fails before anything is changed when a registered program is missing, rather than half-way through a
     * plan.
     *
     * @throws MissingProgramsException naming every missing program and its Debian package
     */
    default void requireAll() {
        List<Program> missing = missing();
        if (!missing.isEmpty()) {
            throw new MissingProgramsException(missing, this.toString());
        }
    }

    /** This process's PATH. */
    static ProgramLookup system() {
        return onPath(System.getenv("PATH"));
    }

    /** Searches {@code path} (colon-separated; null or empty entries are skipped) for executable files. */
    static ProgramLookup onPath(String path) {
        List<Path> directories = path == null ? List.of()
                : Arrays.stream(path.split(":")).filter(d -> !d.isEmpty()).map(Path::of).toList();
        return new SearchPath(directories);
    }

    /** A PATH search; its toString names the PATH, for messages. */
    record SearchPath(List<Path> directories) implements ProgramLookup {

        public SearchPath {
            directories = List.copyOf(directories);
        }

        @Override
        public Optional<Path> find(String command) {
            if (command.isEmpty() || command.contains("/")) {
                return Optional.empty();
            }
            return directories.stream().map(d -> d.resolve(command))
                    .filter(f -> Files.isRegularFile(f) && Files.isExecutable(f))
                    .findFirst();
        }

        @Override
        public String toString() {
            return "PATH=" + String.join(":", directories.stream().map(Path::toString).toList());
        }
    }
}
