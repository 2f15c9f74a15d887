package dev.terway.dhcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.terway.daemon.DaemonClient;
import dev.terway.daemon.Response;
import dev.terway.it.NetnsLab;
import dev.terway.plan.CommandResult;
import dev.terway.plan.ShellQuote;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * The DHCP daemon's lab on top of {@link NetnsLab}: dnsmasq on the LAN (.100-.199 unless told otherwise,
 * 2 minute leases, T1 10 s, T2 20 s, --no-ping), a node whose LAN NIC is the uplink port of bridge br0 (the node's own address on
 * br0), pods as namespaces with a veth on br0, and the real daemon process, `bin/terway dhcp daemon`,
 * running in the node namespace. Everything goes with {@link #close()}.
 */
final class DhcpLab implements AutoCloseable {

    static final String BRIDGE = "br0";
    static final ObjectMapper JSON = new ObjectMapper();

    final NetnsLab lab;
    final NetnsLab.DhcpServer dhcp;
    final String node;
    final Path dir;
    final Path socket;
    final Path stateDir;
    final Path daemonLog;
    private Process daemon;
    private int daemonStarts;

    DhcpLab() {
        this(100, 199);
    }

    /** A lab whose dnsmasq hands out only .{@code firstHost} to .{@code lastHost} of the LAN. */
    DhcpLab(int firstHost, int lastHost) {
        lab = NetnsLab.create();
        try {
            dhcp = lab.startDhcpServer(lab.net().lanV4(firstHost), lab.net().lanV4(lastHost));
            NetnsLab.Node n = lab.addNode();
            node = n.ns();
            NetnsLab.ip(node, "link", "add", BRIDGE, "type", "bridge", "forward_delay", "0", "stp_state", "0");
            NetnsLab.ip(node, "link", "set", NetnsLab.NIC, "master", BRIDGE);
            NetnsLab.ip(node, "link", "set", BRIDGE, "up");
            NetnsLab.ip(node, "addr", "add", n.ipv4() + "/24", "dev", BRIDGE);
            dir = lab.dir();
            socket = dir.resolve("run/dhcp.sock");
            stateDir = dir.resolve("state");
            daemonLog = dir.resolve("daemon.log");
        } catch (RuntimeException | Error e) {
            lab.close();
            throw e;
        }
    }

    /** A pod namespace {@code <lab>-<name>} whose eth0 is a veth with its peer {@code v-<name>} on br0. */
    String addPod(String name) {
        String ns = lab.addNamespace(name);
        NetnsLab.ip(node, "link", "add", "v-" + name, "type", "veth", "peer", "name", "eth0", "netns", ns);
        NetnsLab.ip(node, "link", "set", "v-" + name, "master", BRIDGE, "up");
        NetnsLab.ip(ns, "link", "set", "eth0", "up");
        return ns;
    }

    static Path netnsPath(String ns) {
        return Path.of("/run/netns", ns);
    }

    /** What CNI ADD does with a lease: the address on the pod's eth0 with the lease's lifetime. */
    static void configure(String pod, JsonNode lease, long lifetime) {
        NetnsLab.ip(pod, "addr", "add", lease.get("address").asText(), "dev", "eth0", "valid_lft",
                Long.toString(lifetime), "preferred_lft", Long.toString(lifetime));
    }

    /** The pod's IPv4 addresses as `ip -j` reports them. */
    static JsonNode addresses(String pod) {
        try {
            return JSON.readTree(NetnsLab.ip(pod, "-j", "-4", "addr", "show", "dev", "eth0")).get(0).get("addr_info");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- the daemon process ----

    /** Starts `bin/terway dhcp daemon` in the node namespace and waits until it answers ping. */
    void startDaemon(String... extra) {
        List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", node,
                home().resolve("bin/terway").toString(), "dhcp", "daemon", "--socket", socket.toString(),
                "--state-dir", stateDir.toString()));
        argv.addAll(List.of(extra));
        try {
            daemon = new ProcessBuilder(argv).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(daemonLog.toFile()))
                    .redirectInput(new File("/dev/null")).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the daemon: " + ShellQuote.join(argv), e);
        }
        daemonStarts++;
        int start = daemonStarts;
        waitFor("the daemon (start " + start + ") answers ping", Duration.ofSeconds(30), () -> {
            if (!daemon.isAlive()) {
                throw new IllegalStateException("the daemon exited " + daemon.exitValue() + ":\n" + log());
            }
            return log().split("terway dhcp daemon listening on").length > start && ping();
        });
    }

    private boolean ping() {
        try {
            return new DaemonClient(socket).call("{\"op\":\"ping\"}").equals(new Response(0, "{\"ok\":true}"));
        } catch (IOException e) {
            return false;
        }
    }

    /** SIGKILL: the daemon gets no chance to clean up, as after a crash or OOM kill. */
    void killDaemon() throws InterruptedException {
        daemon.destroyForcibly();
        if (!daemon.waitFor(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the daemon survived SIGKILL");
        }
    }

    /** SIGTERM; returns the exit code. */
    int terminateDaemon() throws InterruptedException {
        daemon.destroy();
        if (!daemon.waitFor(20, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the daemon did not stop within 20 s of SIGTERM:\n" + log());
        }
        return daemon.exitValue();
    }

    String log() {
        return read(daemonLog);
    }

    String dnsmasqLog() {
        return read(dhcp.log());
    }

    String dnsmasqLeases() {
        return read(dhcp.leaseFile());
    }

    /** Stops dnsmasq: the LAN has no DHCP server any more. */
    void stopDhcpServer() throws InterruptedException {
        dhcp.process().destroy();
        if (!dhcp.process().waitFor(10, TimeUnit.SECONDS)) {
            dhcp.process().destroyForcibly().waitFor();
        }
    }

    // ---- the CLI clients ----

    record Run(List<String> argv, int exit, String out, String err, Duration took) {
        String describe() {
            return ShellQuote.join(argv) + "\n  exit " + exit + " after " + took.toMillis() + " ms\n  stdout: " + out
                    + "\n  stderr: " + err;
        }

        JsonNode json() {
            try {
                return JSON.readTree(out);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + describe(), e);
            }
        }
    }

    /** Runs `bin/terway dhcp ARGS --socket …` in the node namespace, as an operator on the node would. */
    Run cli(String... args) {
        List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", node, home().resolve("bin/terway").toString(),
                "dhcp"));
        argv.addAll(List.of(args));
        argv.addAll(List.of("--socket", socket.toString()));
        CommandResult r = run(argv);
        return new Run(argv, r.exitCode(), r.stdout(), r.stderr(), r.duration());
    }

    static CommandResult run(List<String> argv) {
        long start = System.nanoTime();
        try {
            Path out = Files.createTempFile("twdhcp", ".out");
            Path err = Files.createTempFile("twdhcp", ".err");
            try {
                Process p = new ProcessBuilder(argv).redirectInput(new File("/dev/null"))
                        .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
                if (!p.waitFor(60, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor();
                    return new CommandResult(argv, -1, read(out), read(err) + "\ntimed out",
                            Duration.ofNanos(System.nanoTime() - start));
                }
                return new CommandResult(argv, p.exitValue(), read(out), read(err),
                        Duration.ofNanos(System.nanoTime() - start));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static Path home() {
        Path home = Path.of(System.getProperty("terway.home", System.getProperty("user.dir")));
        if (!Files.isDirectory(home.resolve("target/classes")) || !Files.isDirectory(home.resolve("target/lib"))) {
            throw new IllegalStateException("terway is not built in " + home + ": run `mvn -B -DskipTests package`");
        }
        return home;
    }

    static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void waitFor(String what, Duration limit, BooleanSupplier condition) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + limit.toSeconds() + " s waiting until " + what);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting until " + what);
            }
        }
    }

    /** Lines of the daemon log containing {@code text}. */
    List<String> logLines(String text) {
        return Stream.of(log().split("\n")).filter(l -> l.contains(text)).toList();
    }

    @Override
    public void close() {
        try {
            if (daemon != null && daemon.isAlive()) {
                daemon.destroyForcibly();
                daemon.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lab.close();
        }
    }
}
