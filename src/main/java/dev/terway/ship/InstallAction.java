package dev.terway.ship;

import dev.terway.plan.ShellQuote;
import java.nio.file.Path;
import java.util.List;

/**
 * One file-system change of an install or uninstall. Each is atomic as seen by a reader: a runtime is
 * copied beside its final name and renamed into place, a file is written to a temporary name and renamed
 * over the old one. So an install that stops half-way leaves a consistent node, and no undo is needed.
 */
public sealed interface InstallAction {

    String reason();

    /** The action as shell commands with the same effect, for --dry-run. */
    List<String> shell();

    /** Copies the runtime tree to {@code staging} (modes and times kept), syncs it, renames it to {@code destination}. */
    record CopyRuntime(Path source, Path staging, Path destination, String reason) implements InstallAction {
        @Override
        public List<String> shell() {
            return List.of(ShellQuote.join(List.of("cp", "-a", source.toString(), staging.toString())),
                    ShellQuote.join(List.of("sync")),
                    ShellQuote.join(List.of("mv", "-T", staging.toString(), destination.toString())));
        }
    }

    /** Writes {@code content} with permissions {@code mode} (e.g. "755") through a temporary file and a rename. */
    record WriteFile(Path path, String content, String mode, String reason) implements InstallAction {
        @Override
        public List<String> shell() {
            String temp = WriteFile.temporary(path).toString();
            String body = content.endsWith("\n") ? content : content + "\n";
            return List.of("cat > " + ShellQuote.quote(temp) + " <<'TERWAY_EOF'\n" + body + "TERWAY_EOF",
                    ShellQuote.join(List.of("chmod", mode, temp)),
                    ShellQuote.join(List.of("mv", "-T", temp, path.toString())));
        }

        /** Starts with a dot and ends in .tmp, so a runtime scanning the directory never takes it as a config. */
        static Path temporary(Path path) {
            return path.resolveSibling("." + path.getFileName() + ".tmp");
        }
    }

    /** Removes a directory tree (an old runtime, a staging leftover, the runtimes directory). */
    record RemoveTree(Path path, String reason) implements InstallAction {
        @Override
        public List<String> shell() {
            return List.of(ShellQuote.join(List.of("rm", "-rf", path.toString())));
        }
    }

    /** Removes one file. */
    record RemoveFile(Path path, String reason) implements InstallAction {
        @Override
        public List<String> shell() {
            return List.of(ShellQuote.join(List.of("rm", "-f", path.toString())));
        }
    }
}
