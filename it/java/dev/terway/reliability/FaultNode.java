package dev.terway.reliability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.terway.cni.pod.VethNames;
import dev.terway.cni.spec.CniReply;
import dev.terway.it.DaemonProcess;
import dev.terway.it.Eventually;
import dev.terway.it.NetnsLab;
import dev.terway.plan.CommandResult;
import dev.terway.plan.ExecCommandRunner;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A lab node for the fault tests: `terway setup` in its namespace, a `terway dhcp daemon` the test can
 * SIGKILL and restart (with extra environment), pods as namespaces, `bin/cni-terway` invoked as a runtime
 * does, and views of what could leak: terway's host veths, lease files, the daemon's leases.
 */
final class FaultNode implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String ARGS = "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=";

    final NetnsLab lab;
    final NetnsLab.Node node;
    final Path dir;
    private final List<String> pods = new ArrayList<>();
    private final List<Process> processes = new ArrayList<>();
    private Process daemon;
    /** Extra members of the network configuration, e.g. {@code ,"onAddressChange":"remove"}. */
    String extraConf = "";
    /** Extra CNI_ARGS, e.g. {@code ;IP=10.0.0.150}. */
    String extraArgs = "";

    FaultNode(NetnsLab lab, String name) {
        this.lab = lab;
        this.node = lab.addNode().configureStatic();
        this.dir = lab.dir().resolve(name);
    }

    static Path home() {
        Path home = Path.of(System.getProperty("terway.home", System.getProperty("user.dir")));
        if (!Files.isDirectory(home.resolve("target/classes")) || !Files.isDirectory(home.resolve("target/lib"))) {
            throw new IllegalStateException("terway is not built in " + home + ": run `mvn -B -DskipTests package`");
        }
        return home;
    }

    String ns() {
        return node.ns();
    }

    Path socket() {
        return dir.resolve("run/dhcp.sock");
    }

    Path stateDir() {
        return dir.resolve("state");
    }

    Path leaseDir() {
        return stateDir().resolve("leases");
    }

    Path daemonLog() {
        return dir.resolve("daemon.log");
    }

    String conf() {
        return "{\"cniVersion\":\"1.0.0\",\"name\":\"lan\",\"type\":\"cni-terway\",\"dhcpSocket\":\"" + socket()
                + "\"" + extraConf + "}";
    }

    void setup() {
        CommandResult setup = NetnsLab.exec(ns(), home().resolve("bin/terway").toString(), "setup",
                "--iface", NetnsLab.NIC, "--state-dir", dir.resolve("setup").toString());
        if (setup.exitCode() != 0) {
            throw new IllegalStateException("terway setup in " + ns() + ": " + setup.stderr());
        }
    }

    /** `terway teardown` in the node's namespace, with the state directory {@link #setup} uses. */
    void teardown() {
        CommandResult teardown = NetnsLab.exec(ns(), home().resolve("bin/terway").toString(), "teardown",
                "--state-dir", dir.resolve("setup").toString());
        if (teardown.exitCode() != 0) {
            throw new IllegalStateException("terway teardown in " + ns() + ": " + teardown.stderr());
        }
    }

    boolean bridgeExists() {
        return run("ip", "-n", ns(), "link", "show", "dev", "mybr0").succeeded();
    }

    /**
     * The host veth as a bridge port ({@code bridge -j -d link show dev V}: master, hairpin, …); a missing
     * node when it is on no bridge.
     */
    JsonNode bridgePort(String veth) {
        try {
            return JSON.readTree(check("ip", "netns", "exec", ns(), "bridge", "-j", "-d", "link", "show", "dev", veth))
                    .path(0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether {@code veth} is a port of mybr0 with hairpin mode on, as ADD leaves it. */
    boolean onBridgeWithHairpin(String veth) {
        JsonNode port = bridgePort(veth);
        return port.path("master").asText().equals("mybr0") && port.path("hairpin").asBoolean(false);
    }

    /** The attachment record files beside the daemon's socket. */
    Set<String> attachmentRecords() {
        Path records = socket().getParent().resolve("attachments");
        Set<String> out = new TreeSet<>();
        if (!Files.isDirectory(records)) {
            return out;
        }
        try (Stream<Path> files = Files.list(records)) {
            files.forEach(f -> out.add(f.getFileName().toString()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** The attachment record of pod {@code id}'s eth0, as JSON; a missing node when there is none. */
    JsonNode attachmentRecord(String id) {
        Path file = socket().getParent().resolve("attachments").resolve(VethNames.hostVeth(id, "eth0") + ".json");
        try {
            return Files.exists(file) ? JSON.readTree(file.toFile()) : JSON.missingNode();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts the daemon; {@code wrapper} runs before `ip netns exec` (e.g. unshare + mount), may be empty. */
    void startDaemon(Map<String, String> env, List<String> wrapper) {
        startDaemon(env, wrapper, List.of());
    }

    /**
     * As {@link #startDaemon(Map, List)}, with more options for `terway dhcp daemon`, e.g. the hidden
     * {@code --inject-fault pause-after-link=4000ms}.
     */
    void startDaemon(Map<String, String> env, List<String> wrapper, List<String> daemonOptions) {
        try {
            Files.createDirectories(socket().getParent());
            List<String> argv = new ArrayList<>(wrapper);
            argv.addAll(List.of("ip", "netns", "exec", ns(), home().resolve("bin/terway").toString(), "dhcp", "daemon",
                    "--socket", socket().toString(), "--state-dir", stateDir().toString()));
            argv.addAll(daemonOptions);
            ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(daemonLog().toFile()));
            pb.environment().putAll(env);
            launch(pb, "the daemon of " + ns());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void startDaemon() {
        startDaemon(Map.of(), List.of());
    }

    /**
     * `terway run` in the node's namespace, as the DaemonSet runs it: setup (with {@link #stateDir()}, not the
     * directory {@link #setup} uses), then the daemon, which watches the bridge. Waits until it answers.
     */
    void startRun() {
        startRun(List.of());
    }

    /** As {@link #startRun()}, with more options for `terway run`, e.g. {@code --metrics-address}. */
    void startRun(List<String> options) {
        try {
            Files.createDirectories(socket().getParent());
            List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", ns(), home().resolve("bin/terway").toString(),
                    "run", "--iface", NetnsLab.NIC, "--socket", socket().toString(), "--state-dir",
                    stateDir().toString()));
            argv.addAll(options);
            launch(new ProcessBuilder(argv)
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(daemonLog().toFile())),
                    "terway run in " + ns());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts the daemon's process (killed with the node) and waits until it answers a ping. */
    private void launch(ProcessBuilder pb, String what) throws IOException {
        daemon = pb.start();
        synchronized (processes) {
            processes.add(daemon);
        }
        Instant deadline = Instant.now().plusSeconds(60);
        while (!ping()) {
            if (!daemon.isAlive() || Instant.now().isAfter(deadline)) {
                throw new IllegalStateException(what + " did not start: " + log());
            }
            sleep(100);
        }
    }

    /** The daemon JVM's pid: `ip netns exec` and bin/terway both exec, unless a wrapper forked. */
    long daemonPid() {
        return daemon.pid();
    }

    /** SIGKILL: no shutdown hook, no socket cleanup, nothing flushed — as the OOM killer or a node crash does. */
    void killDaemon() {
        if (daemon == null) {
            return;
        }
        // the wrapper (if any) and the JVM: kill the whole tree, children first
        daemon.descendants().forEach(ProcessHandle::destroyForcibly);
        daemon.destroyForcibly();
        try {
            daemon.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    String log() {
        return DaemonProcess.log(daemonLog());
    }

    CniReply call(String request) throws IOException {
        return DaemonProcess.call(socket(), 30_000, request);
    }

    boolean ping() {
        return DaemonProcess.ping(socket(), 30_000);
    }

    /** Leases the daemon holds: "containerId/ifname" → address (CIDR). */
    Map<String, String> leases() {
        try {
            CniReply r = call("{\"op\":\"list\"}");
            Map<String, String> out = new LinkedHashMap<>();
            for (JsonNode l : JSON.readTree(r.stdout())) {
                out.put(l.path("containerId").asText() + "/" + l.path("ifname").asText(), l.path("address").asText());
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Set<String> leaseFiles() {
        Set<String> out = new TreeSet<>();
        if (!Files.isDirectory(leaseDir())) {
            return out;
        }
        try (Stream<Path> files = Files.list(leaseDir())) {
            files.forEach(f -> out.add(f.getFileName().toString()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    Set<String> terwayVeths() {
        Set<String> out = new TreeSet<>();
        try {
            for (JsonNode l : JSON.readTree(check("ip", "-n", ns(), "-j", "link", "show"))) {
                String name = l.path("ifname").asText();
                if (VethNames.HOST_VETH.matcher(name).matches()) {
                    out.add(name);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** A new pod namespace, removed by {@link #close}. */
    String newPod(String name) {
        String ns = lab.id() + "-" + name;
        synchronized (pods) {
            pods.add(ns);
        }
        check("ip", "netns", "add", ns);
        check("ip", "-n", ns, "link", "set", "lo", "up");
        return ns;
    }

    void deletePod(String ns) {
        run("ip", "netns", "delete", ns);
    }

    static String netnsPath(String podNs) {
        return "/run/netns/" + podNs;
    }

    Map<String, String> env(String command, String id, String podNs) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("CNI_COMMAND", command);
        env.put("CNI_CONTAINERID", id);
        if (podNs != null) {
            env.put("CNI_NETNS", netnsPath(podNs));
        }
        env.put("CNI_IFNAME", "eth0");
        env.put("CNI_ARGS", ARGS + id + extraArgs);
        env.put("CNI_PATH", "/usr/lib/cni");
        return env;
    }

    /** Starts `cni-terway` in the node's namespace with the config on stdin; the caller waits or kills. */
    Process startCni(String command, String id, String podNs) {
        ProcessBuilder pb = new ProcessBuilder("ip", "netns", "exec", ns(), home().resolve("bin/cni-terway").toString());
        pb.environment().clear();
        pb.environment().put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().putAll(env(command, id, podNs));
        try {
            Process p = pb.start();
            synchronized (processes) {
                processes.add(p);
            }
            try (OutputStream in = p.getOutputStream()) {
                in.write(conf().getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                // judged by the exit code
            }
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    record Result(String id, int exit, String stdout, String stderr) {
        String describe() {
            return id + ": exit " + exit + "\n  stdout: " + stdout.strip() + "\n  stderr: " + stderr.strip();
        }

        /** The pod's address without prefix, from a successful ADD's result. */
        String address() {
            try {
                String cidr = JSON.readTree(stdout).path("ips").path(0).path("address").asText();
                return cidr.substring(0, cidr.indexOf('/'));
            } catch (IOException e) {
                throw new UncheckedIOException(stdout, e);
            }
        }

        int code() {
            try {
                return JSON.readTree(stdout).path("code").asInt(-1);
            } catch (IOException e) {
                return -1;
            }
        }
    }

    Result finish(String id, Process p) {
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        try {
            if (!p.waitFor(180, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("cni-terway for " + id + " did not finish within 180 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return new Result(id, p.exitValue(), out.join(), err.join());
    }

    Result cni(String command, String id, String podNs) {
        return finish(id, startCni(command, id, podNs));
    }

    private static String read(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** dnsmasq's lease file lines that hold {@code address}. */
    boolean dnsmasqHolds(Path leaseFile, String address) {
        try {
            return Files.exists(leaseFile) && Files.readAllLines(leaseFile).stream()
                    .anyMatch(l -> List.of(l.split(" ")).contains(address));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static CommandResult run(String... argv) {
        return new ExecCommandRunner(Duration.ofSeconds(60)).run(List.of(argv));
    }

    static String check(String... argv) {
        CommandResult r = run(argv);
        if (!r.succeeded()) {
            throw new IllegalStateException(String.join(" ", argv) + " exited " + r.exitCode() + ": " + r.stderr());
        }
        return r.stdout();
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Waits up to {@code seconds} for {@code condition}; false when it never held. */
    static boolean eventually(int seconds, java.util.function.BooleanSupplier condition) {
        return Eventually.within(Duration.ofSeconds(seconds), condition);
    }


    @Override
    public void close() {
        synchronized (processes) {
            for (Process p : processes) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
        }
        synchronized (pods) {
            for (String ns : pods) {
                run("ip", "netns", "delete", ns);
            }
        }
    }
}
