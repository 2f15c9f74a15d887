package dev.terway.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Records what each lab created, in /run/terway-lab/ID.lab (one `owner PID`, then `netns NAME` and
 * `dir PATH` lines), so that a lab whose process died without cleaning up (SIGKILL, a killed fork) is
 * removed by the next lab that starts. Only labs whose owner process is gone are swept, so labs of
 * concurrent runs are never touched. it/lib/lab.sh writes the same format.
 */
public final class LabRegistry {

    static final Path DIR = Path.of("/run/terway-lab");

    private final Path file;
    private final List<String> lines = new ArrayList<>();

    LabRegistry(String labId) {
        this.file = DIR.resolve(labId + ".lab");
        lines.add("owner " + ProcessHandle.current().pid());
        write();
    }

    void netns(String name) {
        lines.add("netns " + name);
        write();
    }

    void dir(Path dir) {
        lines.add("dir " + dir);
        write();
    }

    void remove() throws IOException {
        Files.deleteIfExists(file);
    }

    private void write() {
        try {
            Files.createDirectories(DIR);
            Files.write(file, lines, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record lab resources in " + file, e);
        }
    }

    /** Removes every recorded lab whose owner process no longer exists. */
    static void sweepAbandoned() {
        if (!Files.isDirectory(DIR)) {
            return;
        }
        try (Stream<Path> files = Files.list(DIR)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".lab")).toList()) {
                List<String> recorded = Files.readAllLines(f, StandardCharsets.UTF_8);
                if (recorded.isEmpty() || !recorded.get(0).startsWith("owner ")) {
                    continue;
                }
                long owner = Long.parseLong(recorded.get(0).substring("owner ".length()).strip());
                if (ProcessHandle.of(owner).isPresent()) {
                    continue;
                }
                // Newest resources first: nodes before the LAN they are plugged into.
                for (int i = recorded.size() - 1; i > 0; i--) {
                    String line = recorded.get(i);
                    if (line.startsWith("netns ")) {
                        deleteNamespace(line.substring("netns ".length()));
                    } else if (line.startsWith("dir ")) {
                        Path dir = Path.of(line.substring("dir ".length()));
                        // only a lab's own temporary directory, whatever the file says
                        if (dir.getFileName() != null && dir.getFileName().toString().startsWith("tw")) {
                            deleteTree(dir);
                        }
                    }
                }
                Files.deleteIfExists(f);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot sweep abandoned labs in " + DIR, e);
        }
    }

    /** Kills what still runs inside (dnsmasq, ping), which would otherwise keep the namespace alive. */
    static void deleteNamespace(String name) {
        if (!Files.exists(Path.of("/run/netns", name))) {
            return;
        }
        String pids = Cmd.run("ip", "netns", "pids", name).stdout();
        for (String pid : pids.strip().split("\\s+")) {
            if (!pid.isEmpty()) {
                ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
        Cmd.check("ip", "netns", "delete", name);
    }

    /** Deletes a directory tree; a missing one is fine. */
    public static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
