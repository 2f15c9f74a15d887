package dev.terway.ship;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.terway.cli.TerwayCli;
import dev.terway.cni.entry.CniEntry;
import dev.terway.metrics.MetricsAddress;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Checks manifests/ offline: every document well-formed, the images the Containerfile builds, commands
 * that the real command line accepts (after kubelet's $(VAR) expansion with the ConfigMap's values), and
 * host mounts for every path those commands use with the code's defaults.
 */
class ManifestsTest {

    private static final Path MANIFESTS = Path.of("manifests");
    private static final Path CONTAINERFILE = Path.of("Containerfile");
    /** The daemon's JVM options, which the runtime's bin/terway applies to `run` and `dhcp daemon`. */
    private static final Path DAEMON_JVM_OPTS = Path.of("bin/lib/daemon-jvm-opts.sh");
    /** Where containerd and CRI-O put pod network namespaces (the CNI_NETNS paths); not a terway default. */
    private static final String NETNS_DIR = "/var/run/netns";

    private static List<JsonNode> documents;
    private static JsonNode daemonSet;
    private static JsonNode configMap;

    @BeforeAll
    static void load() throws IOException {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        documents = new ArrayList<>();
        List<Path> files;
        try (Stream<Path> s = Files.list(MANIFESTS)) {
            files = s.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted()
                    .collect(Collectors.toList());
        }
        assertFalse(files.isEmpty(), "no manifests in " + MANIFESTS.toAbsolutePath());
        for (Path file : files) {
            try (MappingIterator<JsonNode> it = yaml.readerFor(JsonNode.class).readValues(file.toFile())) {
                while (it.hasNext()) {
                    JsonNode doc = it.next();
                    if (doc != null && !doc.isNull() && !doc.isEmpty()) {
                        documents.add(doc);
                    }
                }
            }
        }
        daemonSet = only("DaemonSet");
        configMap = only("ConfigMap");
    }

    private static JsonNode only(String kind) {
        List<JsonNode> found = documents.stream().filter(d -> kind.equals(d.path("kind").asText())).toList();
        assertEquals(1, found.size(), "exactly one " + kind + " in manifests/");
        return found.get(0);
    }

    @Test
    void everyDocumentHasTheRequiredFieldsAndLivesInKubeSystem() {
        for (JsonNode doc : documents) {
            String what = doc.path("kind").asText() + " " + doc.path("metadata").path("name").asText();
            assertFalse(doc.path("apiVersion").asText().isEmpty(), what + ": apiVersion");
            assertFalse(doc.path("kind").asText().isEmpty(), what + ": kind");
            assertTrue(doc.path("metadata").path("name").asText().matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?"),
                    what + ": metadata.name must be a DNS label");
            assertEquals("kube-system", doc.path("metadata").path("namespace").asText(), what + ": namespace");
        }
        Set<String> kinds = documents.stream().map(d -> d.path("kind").asText()).collect(Collectors.toSet());
        for (String apiKind : List.of("ServiceAccount", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")) {
            assertFalse(kinds.contains(apiKind), "terway never calls the Kubernetes API; no " + apiKind);
        }
        assertEquals("apps/v1", daemonSet.path("apiVersion").asText());
    }

    @Test
    void daemonSetRunsOnTheHostNetworkWithMatchingSelector() {
        JsonNode spec = daemonSet.path("spec");
        JsonNode labels = spec.path("template").path("metadata").path("labels");
        spec.path("selector").path("matchLabels").fields().forEachRemaining(e ->
                assertEquals(e.getValue().asText(), labels.path(e.getKey()).asText(),
                        "the selector must match the pod template's label " + e.getKey()));
        JsonNode pod = spec.path("template").path("spec");
        assertTrue(pod.path("hostNetwork").asBoolean(), "hostNetwork");
        assertTrue(pod.path("hostPID").asBoolean(false),
                "hostPID: runtimes that pass CNI_NETNS=/proc/<pid>/ns/net need the node's /proc in the daemon");
        assertFalse(pod.path("automountServiceAccountToken").asBoolean(true), "no API token");
        assertEquals(1, pod.path("initContainers").size());
        assertEquals(1, pod.path("containers").size());
    }

    @Test
    void imagesAreTheOneTheContainerfileDocuments() throws IOException {
        Matcher m = Pattern.compile("build -t (\\S+) -f Containerfile").matcher(Files.readString(CONTAINERFILE));
        assertTrue(m.find(), "the Containerfile documents its tag as `build -t IMAGE -f Containerfile`");
        String image = m.group(1);
        for (JsonNode c : allContainers()) {
            assertEquals(image, c.path("image").asText(), "image of container " + c.path("name").asText());
        }
    }

    @Test
    void commandsAreTheRuntimeLaunchersOfTheImage() throws IOException {
        Matcher m = Pattern.compile("(?m)^RUN .*bin/build-runtime \\S+ \\S+ (\\S+)$").matcher(Files.readString(CONTAINERFILE));
        assertTrue(m.find(), "the Containerfile builds the runtime with bin/build-runtime into a directory");
        Path runtime = Path.of(m.group(1));
        for (JsonNode c : allContainers()) {
            assertEquals(runtime.resolve("bin/terway").toString(), c.path("command").path(0).asText(),
                    "container " + c.path("name").asText() + " runs the image's terway");
        }
        JsonNode main = mainContainer();
        for (String probe : List.of("startupProbe", "readinessProbe", "livenessProbe")) {
            String exe = main.path(probe).path("exec").path("command").path(0).asText();
            assertEquals(runtime.resolve("bin/terway-probe").toString(), exe, probe);
            assertTrue(RuntimeImage.REQUIRED.contains(runtime.relativize(Path.of(exe)).toString()), probe);
        }
    }

    @Test
    void theInitContainerInstallsAndTheMainContainerRunsWithArgumentsTheCliAccepts() {
        CommandLine.ParseResult install = parse(initContainer());
        assertEquals("install", install.subcommand().commandSpec().name());
        CommandLine.ParseResult run = parse(mainContainer());
        assertEquals("run", run.subcommand().commandSpec().name());
        // The plugin's configuration must name the socket the daemon listens on.
        assertEquals(value(install, "--dhcp-socket"), value(run, "--socket"),
                "install's --dhcp-socket (written to the conflist) is run's --socket");
        assertEquals(Path.of(CniEntry.DEFAULT_SOCKET), value(run, "--socket"));
    }

    @Test
    void theDaemonServesMetricsOnTheNodesLoopbackByDefault() {
        String address = parse(mainContainer()).subcommand().commandSpec().findOption("--metrics-address").getValue();
        MetricsAddress metrics = MetricsAddress.parse(address);
        assertEquals("127.0.0.1", metrics.host(), "only the node reaches them unless the ConfigMap says otherwise");
    }

    @Test
    void probesAskTheDaemonsSocket() {
        Path socket = value(parse(mainContainer()), "--socket");
        for (String probe : List.of("startupProbe", "readinessProbe", "livenessProbe")) {
            JsonNode p = mainContainer().path(probe);
            assertTrue(p.isObject(), probe + " is set");
            List<String> command = strings(p.path("exec").path("command"));
            DaemonProbe.Arguments a = DaemonProbe.parse(command.subList(1, command.size()).toArray(String[]::new));
            assertEquals(socket, a.socket(), probe + " --socket");
            assertTrue(a.timeoutMillis() < p.path("timeoutSeconds").asLong(1) * 1000L,
                    probe + ": the probe gives up before kubelet's timeoutSeconds, so its reason is logged");
        }
    }

    @Test
    void everyPathTheCommandsUseIsAHostMountAtTheSamePath() {
        CommandLine.ParseResult install = parse(initContainer());
        List<Path> installNeeds = List.of(value(install, "--cni-bin-dir"), value(install, "--cni-conf-dir"));
        assertMounted(initContainer(), installNeeds, false);

        CommandLine.ParseResult run = parse(mainContainer());
        Path socket = value(run, "--socket");
        // The state directory, the socket's directory (and the pending releases beside it), the pod netns
        // paths, and CNI_PATH for delegated IPAM plugins.
        List<Path> runNeeds = List.of(value(run, "--state-dir"), socket.getParent(), Path.of(NETNS_DIR),
                Path.of(InstallTarget.DEFAULT_CNI_BIN_DIR));
        assertMounted(mainContainer(), runNeeds, false);
        assertMounted(mainContainer(), List.of(Path.of(NETNS_DIR)), true);
    }

    @Test
    void onlyTheDaemonIsPrivilegedAndTheInstallerHasNoCapability() {
        JsonNode install = initContainer().path("securityContext");
        assertFalse(install.path("privileged").asBoolean(false), "install only copies files");
        assertFalse(install.path("allowPrivilegeEscalation").asBoolean(true), "install escalation");
        assertEquals(List.of("ALL"), strings(install.path("capabilities").path("drop")), "install drops");
        assertTrue(strings(install.path("capabilities").path("add")).isEmpty(),
                "install only copies files into root-owned directories");
        // Runtimes mount /proc/sys read-only in every container that is not privileged, whatever its
        // capabilities, and setup writes net.ipv6.conf.<bridge>.* on every node with IPv6 (the e2e suite
        // proves the privileged daemon works under a real runtime).
        JsonNode daemon = mainContainer().path("securityContext");
        assertTrue(daemon.path("privileged").asBoolean(false), "the daemon writes /proc/sys/net");
        assertTrue(daemon.path("capabilities").isMissingNode(),
                "capabilities beside privileged would suggest a narrower grant than the container has");
        assertFalse(daemon.has("allowPrivilegeEscalation"),
                "allowPrivilegeEscalation: false with privileged: true is refused by the API server");
        String manifest = readDaemonSetText();
        for (String use : List.of("/proc/sys", "NET_ADMIN", "SYS_ADMIN", "NET_RAW", "NET_BIND_SERVICE")) {
            assertTrue(manifest.contains(use), "the manifest justifies the privilege with what it is used for: " + use);
        }
    }

    private static String readDaemonSetText() {
        try {
            return Files.readString(MANIFESTS.resolve("terway-daemonset.yaml"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void everyContainerHasMemoryRequestsAndLimitsThatItsHeapFits() throws IOException {
        for (JsonNode c : allContainers()) {
            JsonNode r = c.path("resources");
            long request = bytes(r.path("requests").path("memory").asText());
            long limit = bytes(r.path("limits").path("memory").asText());
            assertTrue(request > 0 && limit >= request, c.path("name") + ": memory request <= limit");
            assertFalse(r.path("requests").path("cpu").asText().isEmpty(), c.path("name") + ": cpu request");
            long heap = maxHeapMiB(c) << 20;
            assertTrue(heap * 2 <= limit,
                    c.path("name") + ": the limit leaves room beside the heap for metaspace, code and threads");
        }
    }

    /**
     * The -Xmx a container's JVM runs with: the last one in TERWAY_JAVA_OPTS (the launcher puts those flags
     * last), else, for the daemon, the launcher's own daemon options.
     */
    private static long maxHeapMiB(JsonNode container) throws IOException {
        Pattern xmx = Pattern.compile("-Xmx(\\d+)m");
        Matcher fromEnv = xmx.matcher(env(container).getOrDefault("TERWAY_JAVA_OPTS", ""));
        long found = -1;
        while (fromEnv.find()) {
            found = Long.parseLong(fromEnv.group(1));
        }
        if (found > 0) {
            return found;
        }
        String subcommand = parse(container).subcommand().commandSpec().name();
        assertEquals("run", subcommand, container.path("name") + ": only the daemon may leave its heap to the launcher");
        Matcher fromLauncher = xmx.matcher(Files.readString(DAEMON_JVM_OPTS));
        assertTrue(fromLauncher.find(), DAEMON_JVM_OPTS + " bounds the daemon's heap");
        return Long.parseLong(fromLauncher.group(1));
    }

    @Test
    void configMapReferencesResolve() {
        JsonNode data = configMap.path("data");
        String name = configMap.path("metadata").path("name").asText();
        for (JsonNode c : allContainers()) {
            for (JsonNode e : c.path("env")) {
                JsonNode ref = e.path("valueFrom").path("configMapKeyRef");
                if (ref.isObject()) {
                    assertEquals(name, ref.path("name").asText(), e.path("name") + " refers to " + name);
                    assertTrue(data.has(ref.path("key").asText()), e.path("name") + ": key "
                            + ref.path("key") + " exists in " + name);
                }
            }
        }
        for (String key : List.of("iface", "bridge", "service-cidr")) {
            assertTrue(data.has(key), "the ConfigMap sets " + key);
        }
    }

    // --- helpers ---

    private static List<JsonNode> allContainers() {
        List<JsonNode> all = new ArrayList<>();
        JsonNode pod = daemonSet.path("spec").path("template").path("spec");
        pod.path("initContainers").forEach(all::add);
        pod.path("containers").forEach(all::add);
        return all;
    }

    private static JsonNode initContainer() {
        return daemonSet.path("spec").path("template").path("spec").path("initContainers").path(0);
    }

    private static JsonNode mainContainer() {
        return daemonSet.path("spec").path("template").path("spec").path("containers").path(0);
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    /** The container's environment with ConfigMap references resolved, as kubelet would. */
    private static Map<String, String> env(JsonNode container) {
        Map<String, String> env = new HashMap<>();
        for (JsonNode e : container.path("env")) {
            JsonNode ref = e.path("valueFrom").path("configMapKeyRef");
            env.put(e.path("name").asText(), ref.isObject()
                    ? configMap.path("data").path(ref.path("key").asText()).asText()
                    : e.path("value").asText());
        }
        return env;
    }

    /** The container's args after kubelet's $(VAR) expansion, parsed by the real terway command line. */
    private static CommandLine.ParseResult parse(JsonNode container) {
        Map<String, String> env = env(container);
        List<String> args = new ArrayList<>();
        for (String arg : strings(container.path("args"))) {
            Matcher m = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)").matcher(arg);
            StringBuilder expanded = new StringBuilder();
            while (m.find()) {
                String value = env.get(m.group(1));
                if (value == null) {
                    fail(container.path("name") + ": $(" + m.group(1) + ") is not in the container's env");
                }
                m.appendReplacement(expanded, Matcher.quoteReplacement(value));
            }
            m.appendTail(expanded);
            args.add(expanded.toString());
        }
        CommandLine cli = TerwayCli.create(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
        try {
            CommandLine.ParseResult result = cli.parseArgs(args.toArray(String[]::new));
            assertNotNull(result.subcommand(), container.path("name") + " runs a subcommand");
            return result;
        } catch (CommandLine.ParameterException e) {
            return fail(container.path("name") + ": terway refuses " + args + ": " + e.getMessage());
        }
    }

    /** The value (given or default) of {@code option} of the parsed subcommand. */
    private static Path value(CommandLine.ParseResult parsed, String option) {
        Object v = parsed.subcommand().commandSpec().findOption(option).getValue();
        return Path.of(v.toString());
    }

    private static void assertMounted(JsonNode container, List<Path> needed, boolean propagation) {
        Map<String, JsonNode> volumes = new HashMap<>();
        daemonSet.path("spec").path("template").path("spec").path("volumes")
                .forEach(v -> volumes.put(v.path("name").asText(), v));
        for (Path path : needed) {
            boolean covered = false;
            for (JsonNode mount : container.path("volumeMounts")) {
                Path mountPath = Path.of(mount.path("mountPath").asText());
                JsonNode volume = volumes.get(mount.path("name").asText());
                assertNotNull(volume, "volume " + mount.path("name") + " is defined");
                Path hostPath = Path.of(volume.path("hostPath").path("path").asText("/nonexistent"));
                assertEquals(hostPath, mountPath, "host paths are mounted at the same path inside");
                if (path.startsWith(mountPath)) {
                    covered = true;
                    if (propagation) {
                        assertEquals("HostToContainer", mount.path("mountPropagation").asText(),
                                path + " needs mounts made on the host after the container started");
                    }
                }
            }
            assertTrue(covered, container.path("name") + " needs a host mount covering " + path);
        }
    }

    private static long bytes(String quantity) {
        Matcher m = Pattern.compile("(\\d+)(Ki|Mi|Gi)?").matcher(quantity);
        if (!m.matches()) {
            return -1;
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "" : m.group(2);
        return switch (unit) {
            case "Ki" -> n << 10;
            case "Mi" -> n << 20;
            case "Gi" -> n << 30;
            default -> n;
        };
    }
}
