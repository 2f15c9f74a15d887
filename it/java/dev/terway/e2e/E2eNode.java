package dev.terway.e2e;

import dev.terway.it.FedCommand;
import dev.terway.it.NetnsLab;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A Kubernetes node as the shipped artefacts meet it, built from a lab node namespace: its own mount
 * namespace in which the node's directories ({@code /opt/cni/bin}, {@code /etc/cni/net.d},
 * {@code /var/lib/terway}, {@code /run/terway}, {@code /var/lib/cni}, {@code /run/containerd}) are its
 * own (bind mounts of directories of the lab), and mount propagation is shared as on a systemd host, so
 * that podman's hostPath volumes and the pods' namespace mounts behave as on a node. Everything run "on
 * the node" runs in that mount namespace and in the node's network namespace; nothing touches the
 * machine's own network namespace or directories (the empty mount points aside).
 *
 * <p>The node runs the terway containers with podman (as kubelet would through its runtime) and pods
 * with podman's CNI backend and with containerd's {@code ctr run --cni}: both read the conflist and run
 * the plugin that the init container installed.
 */
final class E2eNode implements AutoCloseable {

    /** The node's own directories: hostPath volumes of the DaemonSet and what the runtimes keep. */
    static final List<String> NODE_DIRECTORIES = List.of("/opt/cni/bin", "/etc/cni/net.d", "/var/lib/terway",
            "/run/terway", "/var/lib/cni", "/run/containerd");
    /** The reference plugins a node ships beside the CNI of its choice (the kubernetes-cni package). */
    static final List<String> NODE_PLUGINS = List.of("portmap", "loopback", "host-local", "bandwidth");
    static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(120);

    private final NetnsLab.Node node;
    private final Path dir;
    private final Path imageStore;
    private final Process holder;
    private final List<Path> createdMountPoints = new ArrayList<>();
    private Process containerd;
    private final List<Process> ctrRuns = new ArrayList<>();

    E2eNode(NetnsLab.Node node, Path dir, Path imageStore) {
        this.node = node;
        this.dir = dir;
        this.imageStore = imageStore;
        try {
            Files.createDirectories(dir);
            // The holder keeps the node's mount namespace alive; it lives in the node's network namespace,
            // so the lab kills it with the namespace even if this JVM dies first. nsenter, not `ip netns
            // exec`: that one remounts /sys, which hides the cgroup mounts runc needs.
            holder = new ProcessBuilder("nsenter", "--net=/run/netns/" + node.ns(), "unshare", "--mount",
                    "--propagation", "private", "sleep", "infinity").redirectErrorStream(true)
                    .redirectOutput(dir.resolve("holder.log").toFile()).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the node's mount namespace", e);
        }
        try {
            awaitHolder();
            // As on a systemd host: mounts propagate, so hostPath volumes with HostToContainer see the pods'
            // namespace mounts made after the container started.
            check(List.of("mount", "--make-rshared", "/"));
            for (String d : NODE_DIRECTORIES) {
                Path mountPoint = Path.of(d);
                if (!Files.exists(mountPoint)) {
                    Files.createDirectories(mountPoint);
                    createdMountPoints.add(mountPoint);
                }
                Path own = dir.resolve("root" + d);
                Files.createDirectories(own);
                check(List.of("mount", "--bind", own.toString(), d));
            }
            for (String plugin : NODE_PLUGINS) {
                Files.copy(Path.of("/usr/lib/cni", plugin), hostPath("/opt/cni/bin/" + plugin));
            }
            FedCommand.Outcome env = FedCommand.run(List.of("bash", "-c",
                    ". \"$0\"; e2e_podman_env \"$@\"", E2eImages.SCRIPTS.resolve("podman-env.sh").toString(),
                    dir.resolve("podman").toString(), "/opt/cni/bin", "/etc/cni/net.d", imageStore.toString()),
                    Optional.empty(), "", COMMAND_TIMEOUT);
            if (env.exit() != 0) {
                throw new IllegalStateException("podman configuration: " + env.stderr());
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        }
    }

    /** nsenter and unshare each exec the next program: the holder is `sleep` once both have run. */
    private void awaitHolder() throws IOException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline && holder.isAlive()) {
            Path mounts = Path.of("/proc/" + holder.pid() + "/ns/mnt");
            if (holder.info().command().filter(c -> c.endsWith("/sleep")).isPresent()
                    && !Files.readSymbolicLink(mounts).equals(Files.readSymbolicLink(Path.of("/proc/self/ns/mnt")))) {
                holderPid = holder.pid();
                return;
            }
            sleep(Duration.ofMillis(20));
        }
        throw new IllegalStateException("the node's mount namespace did not come up: " + read(dir.resolve("holder.log")));
    }

    private long holderPid = -1;

    NetnsLab.Node lab() {
        return node;
    }

    String ns() {
        return node.ns();
    }

    /** Where a path of the node is in this machine's file system. */
    Path hostPath(String nodePath) {
        for (String d : NODE_DIRECTORIES) {
            if (nodePath.equals(d) || nodePath.startsWith(d + "/")) {
                return dir.resolve("root" + nodePath);
            }
        }
        throw new IllegalArgumentException(nodePath + " is not one of the node's own directories");
    }

    /** The argv that runs {@code argv} on the node: its mount and network namespaces, podman configured. */
    List<String> onNode(List<String> argv) {
        List<String> full = new ArrayList<>(List.of("nsenter", "-t", Long.toString(holderPid), "-m",
                "--net=/run/netns/" + node.ns(), "--", "env",
                "CONTAINERS_CONF=" + dir.resolve("podman/containers.conf"),
                "CONTAINERS_STORAGE_CONF=" + dir.resolve("podman/storage.conf")));
        full.addAll(argv);
        return full;
    }

    FedCommand.Outcome run(List<String> argv) {
        return FedCommand.run(onNode(argv), Optional.empty(), "", COMMAND_TIMEOUT);
    }

    String check(List<String> argv) {
        FedCommand.Outcome o = run(argv);
        if (o.exit() != 0) {
            throw new IllegalStateException("on node " + node.ns() + ": " + String.join(" ", argv) + " exited "
                    + o.exit() + ": " + o.stderr().strip() + " " + o.stdout().strip());
        }
        return o.stdout();
    }

    FedCommand.Outcome podman(String... args) {
        return run(Stream.concat(Stream.of("podman"), Stream.of(args)).toList());
    }

    /** Runs a command in a pod's network namespace, named as the runtime named it to the plugin. */
    FedCommand.Outcome inPodNetns(String netns, String... argv) {
        return run(Stream.concat(Stream.of("nsenter", "--net=" + netns), Stream.of(argv)).toList());
    }

    /** containerd in the node (its CRI plugin off: `ctr` needs none), with state under the lab. */
    void startContainerd() throws IOException {
        Path c = dir.resolve("containerd");
        Files.createDirectories(c);
        Files.writeString(c.resolve("config.toml"), String.join("\n",
                "version = 2",
                "root = \"" + c.resolve("root") + "\"",
                "state = \"" + c.resolve("state") + "\"",
                "disabled_plugins = [\"io.containerd.grpc.v1.cri\"]",
                "[grpc]",
                "  address = \"" + c.resolve("containerd.sock") + "\"",
                ""));
        containerd = new ProcessBuilder(onNode(List.of("containerd", "--config", c.resolve("config.toml").toString())))
                .redirectErrorStream(true).redirectOutput(c.resolve("containerd.log").toFile()).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!Files.exists(c.resolve("containerd.sock"))) {
            if (!containerd.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("containerd did not start: " + read(c.resolve("containerd.log")));
            }
            sleep(Duration.ofMillis(100));
        }
    }

    List<String> ctr(String... args) {
        return Stream.concat(Stream.of("ctr", "--address", dir.resolve("containerd/containerd.sock").toString()),
                Stream.of(args)).toList();
    }

    /**
     * {@code ctr run --rm --cni IMAGE ID ARGS…} in the foreground, as its own process: ctr sets up the
     * network (CNI ADD) before the task starts and tears it down (CNI DEL) when the task has exited.
     */
    Process ctrRun(String image, String id, String... args) throws IOException {
        List<String> argv = new ArrayList<>(ctr("run", "--rm", "--cni", image, id));
        argv.addAll(List.of(args));
        Process p = new ProcessBuilder(onNode(argv)).redirectErrorStream(true)
                .redirectOutput(dir.resolve("ctr-" + id + ".log").toFile()).start();
        ctrRuns.add(p);
        return p;
    }

    String ctrLog(String id) {
        return read(dir.resolve("ctr-" + id + ".log"));
    }

    /** The pid of a running ctr task, or empty. */
    Optional<Long> ctrTaskPid(String id) {
        FedCommand.Outcome o = run(ctr("task", "ls"));
        for (String line : o.stdout().split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 3 && f[0].equals(id) && f[2].equals("RUNNING")) {
                return Optional.of(Long.parseLong(f[1]));
            }
        }
        return Optional.empty();
    }

    @Override
    public void close() {
        if (holderPid > 0) {
            FedCommand.Outcome ps = run(List.of("podman", "ps", "-aq"));
            for (String id : ps.stdout().split("\\s+")) {
                if (!id.isBlank()) {
                    run(List.of("podman", "rm", "-f", "-t", "0", id));
                }
            }
            if (containerd != null && containerd.isAlive()) {
                FedCommand.Outcome tasks = run(ctr("task", "ls", "-q"));
                for (String id : tasks.stdout().split("\\s+")) {
                    if (!id.isBlank()) {
                        run(ctr("task", "kill", "-a", "-s", "SIGKILL", id));
                    }
                }
            }
        }
        for (Process p : ctrRuns) {
            waitOrKill(p, Duration.ofSeconds(10));
        }
        if (containerd != null) {
            containerd.destroy();
            waitOrKill(containerd, Duration.ofSeconds(10));
        }
        holder.destroy();
        ProcessHandle.of(holderPid).ifPresent(ProcessHandle::destroyForcibly);
        waitOrKill(holder, Duration.ofSeconds(5));
        for (Path p : createdMountPoints) {
            try {
                // only if still empty: the mount point is all this suite made there
                Files.deleteIfExists(p);
            } catch (IOException e) {
                // not empty: someone else uses it now; leave it
            }
        }
    }

    private static void waitOrKill(Process p, Duration limit) {
        try {
            if (!p.waitFor(limit.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e + ")";
        }
    }

    static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
