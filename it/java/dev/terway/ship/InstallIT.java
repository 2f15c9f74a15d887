package dev.terway.ship;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.terway.it.Eventually;
import dev.terway.it.FedCommand;
import dev.terway.it.NetnsLab;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The shipped runtime end to end, as a node gets it: `terway install` (run from the runtime Maven built,
 * as the image's init container runs it) into a temporary root; the installed `cni-terway` runs VERSION
 * and an ADD/DEL in a NetnsLab with a clean environment and every JDK of this machine hidden; the daemon
 * is `terway run` from the runtime and keeps the bridge on SIGTERM; an upgrade while VERSION calls run
 * never fails one; uninstall leaves nothing. Root only (namespaces, mounts); skipped otherwise.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class InstallIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The environment a container runtime gives a plugin; this machine's java is hidden too (see noJava). */
    private static final String HOST_PATH = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";

    private Path runtime;
    private Path tmp;
    private Path binDir;
    private Path confDir;
    private Path noJava;

    @BeforeAll
    void prepare() throws IOException {
        Assumptions.assumeTrue(NetnsLab.isRoot(), "installing and hiding the JDKs need root");
        Path home = Path.of(System.getProperty("terway.home", System.getProperty("user.dir")));
        runtime = home.resolve("target/terway-runtime");
        assertTrue(Files.isRegularFile(runtime.resolve(RuntimeImage.PROPERTIES)),
                "no runtime in " + runtime + ": `mvn package` builds it (unless -Dterway.runtime.skip)");
        tmp = Files.createTempDirectory("terway-install-it");
        binDir = tmp.resolve("root/opt/cni/bin");
        confDir = tmp.resolve("root/etc/cni/net.d");
        // Runs its arguments in a private mount namespace where /usr/lib/jvm is an empty tmpfs: no JDK of
        // this machine exists there, so /usr/bin/java dangles. Proves the runtime needs no host Java.
        noJava = tmp.resolve("no-java.sh");
        Files.writeString(noJava, "#!/bin/sh\n"
                + "mount -t tmpfs -o size=1m terway-no-java /usr/lib/jvm || exit 97\n"
                + "if command -v java > /dev/null 2>&1; then echo 'no-java: java is still on the PATH' >&2; exit 98; fi\n"
                + "exec \"$@\"\n");
        Files.setPosixFilePermissions(noJava, PosixFilePermissions.fromString("rwx------"));
    }

    @AfterAll
    void cleanUp() throws IOException {
        if (tmp != null) {
            InstallExecutor.removeTree(tmp);
        }
    }

    private record Result(List<String> argv, int exit, String stdout, String stderr, long millis) {
        String describe() {
            return argv + " exited " + exit + " after " + millis + " ms\nstdout: " + stdout + "\nstderr: " + stderr;
        }
    }

    private static Result run(List<String> argv, String stdin) {
        FedCommand.Outcome o = FedCommand.run(argv, Optional.empty(), stdin, Duration.ofSeconds(120));
        return new Result(argv, o.exit(), o.stdout(), o.stderr(), o.millis());
    }

    /** `terway install` from {@code rt} (its own launcher, its own Java), into the temporary root. */
    private Result install(Path rt, String... more) {
        List<String> argv = new ArrayList<>(List.of("env", "-i", HOST_PATH, rt.resolve("bin/terway").toString(),
                "install", "--cni-bin-dir", binDir.toString(), "--cni-conf-dir", confDir.toString()));
        argv.addAll(List.of(more));
        return run(argv, "");
    }

    /** The installed cni-terway as a runtime runs it: clean environment, no Java, optionally in {@code netns}. */
    private Result plugin(String nodeNs, Map<String, String> cniEnv, String stdin) {
        List<String> argv = new ArrayList<>();
        if (nodeNs != null) {
            argv.addAll(List.of("ip", "netns", "exec", nodeNs));
        }
        argv.addAll(List.of("unshare", "--mount", "--propagation", "private", "/bin/sh", noJava.toString(),
                "env", "-i", HOST_PATH));
        cniEnv.forEach((k, v) -> argv.add(k + "=" + v));
        argv.add(binDir.resolve("cni-terway").toString());
        return run(argv, stdin);
    }

    private Result version() {
        return plugin(null, Map.of("CNI_COMMAND", "VERSION"), "");
    }

    private List<String> files() throws IOException {
        Path root = tmp.resolve("root");
        if (!Files.exists(root)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(p -> !Files.isDirectory(p)).map(p -> root.relativize(p).toString()).sorted()
                    .collect(Collectors.toList());
        }
    }

    @Test
    @Order(1)
    void dryRunShowsThePlanAndInstallGivesAPluginThatNeedsNoJava() throws Exception {
        Result dry = install(runtime, "--dry-run");
        assertEquals(0, dry.exit(), dry::describe);
        assertTrue(dry.stdout().contains("cp -a " + runtime), dry::describe);
        assertEquals(List.of(), files(), "a dry run changes nothing");

        Result installed = install(runtime);
        assertEquals(0, installed.exit(), installed::describe);
        String id = RuntimeImage.read(runtime).id();
        assertTrue(Files.isDirectory(binDir.resolve("terway-runtime").resolve(id)));
        assertTrue(Files.readString(binDir.resolve("cni-terway")).contains("terway-runtime/" + id + "/bin/cni-terway"));

        Result v = version();
        assertEquals(0, v.exit(), v::describe);
        JsonNode reply = JSON.readTree(v.stdout());
        assertEquals("1.1.0", reply.path("cniVersion").asText(), v::describe);
        assertTrue(reply.path("supportedVersions").toString().contains("0.3.1"), v::describe);
        assertEquals("", v.stderr(), "nothing on stderr: JVM warnings would go there");

        // The copy's class-data archive is still valid (the launcher says -Xshare:auto, which would quietly
        // run without it): the same command with the archive required must start.
        Path installedRuntime = binDir.resolve("terway-runtime").resolve(id);
        String line = Files.readAllLines(installedRuntime.resolve("bin/cni-terway")).stream()
                .filter(l -> l.startsWith("exec jre/bin/java ")).findFirst().orElseThrow();
        List<String> strict = new ArrayList<>(List.of(line.substring("exec ".length(), line.lastIndexOf(" \"$@\""))
                .split(" ")));
        strict.replaceAll(a -> a.equals("-Xshare:auto") ? "-Xshare:on" : a);
        if (strict.stream().anyMatch(a -> a.startsWith("-XX:AOTCache="))) {
            strict.add(1, "-XX:AOTMode=on");
        }
        ProcessBuilder pb = new ProcessBuilder(strict).directory(installedRuntime.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectErrorStream(true).redirectOutput(tmp.resolve("strict.out").toFile());
        pb.environment().clear();
        pb.environment().put("CNI_COMMAND", "VERSION");
        Process p = pb.start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        String out = Files.readString(tmp.resolve("strict.out"));
        assertEquals(0, p.waitFor(), "archive required: " + strict + ": " + out);
        assertTrue(out.contains("supportedVersions"), out);

        // The hiding works: the machine's own java cannot run in that environment.
        Result java = run(List.of("unshare", "--mount", "--propagation", "private", "/bin/sh", noJava.toString(),
                "env", "-i", HOST_PATH, "java", "-version"), "");
        assertTrue(java.exit() != 0, java::describe);
    }

    @Test
    @Order(2)
    void addAndDelThroughTheInstalledPluginWithTheDaemonFromTerwayRun() throws Exception {
        try (NetnsLab lab = NetnsLab.create()) {
            lab.startDhcpServer();
            NetnsLab.Node node = lab.addNode().configureStatic();
            Path state = lab.dir().resolve("state");
            Path socket = lab.dir().resolve("run/dhcp.sock");
            // Re-install with this node's socket in the conflist, as the init container would.
            Result reinstall = install(runtime, "--dhcp-socket", socket.toString(), "--service-cidr", "10.96.0.0/12");
            assertEquals(0, reinstall.exit(), reinstall::describe);

            Path log = lab.dir().resolve("run.log");
            Process daemon = new ProcessBuilder("ip", "netns", "exec", node.ns(), "env", "-i", HOST_PATH,
                    runtime.resolve("bin/terway").toString(), "run", "--iface", NetnsLab.NIC,
                    "--state-dir", state.toString(), "--socket", socket.toString())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try {
                awaitProbe(daemon, socket, log);
                String pod = lab.addNamespace("pod1");
                String netns = "/run/netns/" + pod;
                String conf = pluginConfig(Files.readString(confDir.resolve(InstallTarget.CONFLIST)));
                Map<String, String> env = Map.of("CNI_COMMAND", "ADD", "CNI_CONTAINERID", "installit1",
                        "CNI_NETNS", netns, "CNI_IFNAME", "eth0", "CNI_PATH", binDir.toString(),
                        "CNI_ARGS", "K8S_POD_NAMESPACE=default;K8S_POD_NAME=installit");
                Result add = plugin(node.ns(), env, conf);
                assertEquals(0, add.exit(), add::describe);
                JsonNode result = JSON.readTree(add.stdout());
                assertEquals(lab.gateway().ipv4(), result.path("ips").path(0).path("gateway").asText(), add::describe);
                assertTrue(NetnsLab.ping(pod, lab.gateway().ipv4()), "the pod reaches the LAN's gateway");

                Map<String, String> del = new java.util.HashMap<>(env);
                del.put("CNI_COMMAND", "DEL");
                Result removed = plugin(node.ns(), del, withPrevResult(conf, result));
                assertEquals(0, removed.exit(), removed::describe);
                assertEquals("", removed.stdout(), removed::describe);
                assertTrue(Eventually.within(Eventually.DEL_TAIL,
                        () -> !NetnsLab.exec(pod, "ip", "link", "show", "dev", "eth0").succeeded()), "pod end removed");
            } finally {
                // SIGTERM, as kubelet stops the container: the daemon stops, the bridge stays.
                daemon.destroy();
                assertTrue(daemon.waitFor(30, TimeUnit.SECONDS), "terway run stops on SIGTERM");
            }
            assertTrue(NetnsLab.exec(node.ns(), "ip", "link", "show", "dev", "mybr0").succeeded(),
                    "SIGTERM keeps the bridge: " + Files.readString(log));
            assertTrue(Files.readString(log).contains("terway dhcp daemon stopped"), Files.readString(log));
            assertTrue(node.ping(lab.gateway().ipv4()), "the node still reaches its gateway through the bridge");

            // With the daemon gone: ADD asks the runtime to retry; DEL runs in-process, which loads the
            // libraries the thin client keeps off its class path from the installed runtime.
            String pod2 = lab.addNamespace("pod2");
            String conf = pluginConfig(Files.readString(confDir.resolve(InstallTarget.CONFLIST)));
            Map<String, String> env = new java.util.HashMap<>(Map.of("CNI_COMMAND", "ADD",
                    "CNI_CONTAINERID", "installit2", "CNI_NETNS", "/run/netns/" + pod2, "CNI_IFNAME", "eth0",
                    "CNI_PATH", binDir.toString()));
            Result retry = plugin(node.ns(), env, conf);
            assertEquals(1, retry.exit(), retry::describe);
            assertEquals(11, JSON.readTree(retry.stdout()).path("code").asInt(), retry::describe);
            env.put("CNI_COMMAND", "DEL");
            Result localDel = plugin(node.ns(), env, conf);
            assertEquals(0, localDel.exit(), localDel::describe);
            assertEquals("", localDel.stdout(), localDel::describe);
        }
    }

    @Test
    @Order(3)
    void upgradesWhileVersionCallsRunNeverFailOne() throws Exception {
        assertEquals(0, install(runtime).exit());
        Path b = changedBuild("b");
        Path c = changedBuild("c");
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger calls = new AtomicInteger();
        List<String> failures = new CopyOnWriteArrayList<>();
        List<Thread> loops = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            Thread loop = new Thread(() -> {
                while (!stop.get()) {
                    Result v = version();
                    calls.incrementAndGet();
                    if (v.exit() != 0 || !v.stdout().contains("\"supportedVersions\"")) {
                        failures.add(v.describe());
                    }
                }
            }, "version-loop-" + t);
            loop.start();
            loops.add(loop);
        }
        try {
            awaitCalls(calls, 4);
            Result toB = install(b);
            assertEquals(0, toB.exit(), toB::describe);
            int atB = calls.get();
            awaitCalls(calls, atB + 4);
            Result toC = install(c);
            assertEquals(0, toC.exit(), toC::describe);
            awaitCalls(calls, calls.get() + 4);
        } finally {
            stop.set(true);
            for (Thread loop : loops) {
                loop.join(60_000);
            }
        }
        assertEquals(List.of(), failures, "VERSION calls that failed during the upgrades");
        String cId = RuntimeImage.read(c).id();
        String bId = RuntimeImage.read(b).id();
        assertTrue(Files.readString(binDir.resolve("cni-terway")).contains("terway-runtime/" + cId + "/"));
        try (Stream<Path> s = Files.list(binDir.resolve("terway-runtime"))) {
            assertEquals(List.of(bId, cId), s.map(p -> p.getFileName().toString()).sorted().toList(),
                    "the newest runtime and the one it replaced");
        }
        System.out.println("InstallIT: " + calls.get() + " VERSION calls across two upgrades, none failed");
    }

    @Test
    @Order(4)
    void uninstallLeavesNothing() throws Exception {
        Result un = run(List.of("env", "-i", HOST_PATH, runtime.resolve("bin/terway").toString(), "uninstall",
                "--cni-bin-dir", binDir.toString(), "--cni-conf-dir", confDir.toString()), "");
        assertEquals(0, un.exit(), un::describe);
        assertEquals(List.of(), files());
        Result v = version();
        assertTrue(v.exit() != 0, "no plugin left to run");
    }

    /** A copy of the runtime that install sees as a new build: same files and times, another id. */
    private Path changedBuild(String suffix) throws IOException {
        Path copy = tmp.resolve("build-" + suffix);
        Result cp = run(List.of("cp", "-a", runtime.toString(), copy.toString()), "");
        assertEquals(0, cp.exit(), cp::describe);
        Path props = copy.resolve(RuntimeImage.PROPERTIES);
        String text = Files.readString(props);
        Files.writeString(props, text.replaceFirst("(?m)^id=(.*)$", "id=$1-" + suffix));
        return copy;
    }

    private static void awaitCalls(AtomicInteger calls, int atLeast) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(120));
        while (calls.get() < atLeast && Instant.now().isBefore(deadline)) {
            Thread.sleep(20);
        }
        assertTrue(calls.get() >= atLeast, "VERSION calls are running");
    }

    private void awaitProbe(Process daemon, Path socket, Path log) throws Exception {
        Instant deadline = Instant.now().plusSeconds(60);
        while (true) {
            Result probe = run(List.of("env", "-i", HOST_PATH, runtime.resolve("bin/terway-probe").toString(),
                    "--socket", socket.toString()), "");
            if (probe.exit() == 0) {
                return;
            }
            if (!daemon.isAlive() || Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("terway run did not become ready: " + probe.describe() + "\nlog: "
                        + Files.readString(log));
            }
            Thread.sleep(100);
        }
    }

    /** The plugin entry of a conflist as a runtime passes it: with the list's cniVersion and name. */
    private static String pluginConfig(String conflist) throws IOException {
        JsonNode list = JSON.readTree(conflist);
        ObjectNode conf = (ObjectNode) list.path("plugins").path(0).deepCopy();
        conf.put("cniVersion", list.path("cniVersion").asText());
        conf.put("name", list.path("name").asText());
        return conf.toString();
    }

    private static String withPrevResult(String conf, JsonNode result) throws IOException {
        ObjectNode c = (ObjectNode) JSON.readTree(conf);
        c.set("prevResult", result);
        return c.toString();
    }
}
