package dev.terway.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Turns the DaemonSet in {@code manifests/} into the `podman run` a kubelet would amount to, so the
 * end-to-end suite runs the image exactly as the manifest says and cannot drift from it: host namespaces,
 * security context, environment (ConfigMap references resolved, {@code $(VAR)} expanded as kubelet does),
 * hostPath volumes with their mount propagation, memory limit, command and probes.
 *
 * <p>Every field of the pod template and its containers is either translated or named in a list of
 * fields that have no effect on a single node (scheduling, resource requests). Anything else fails
 * loudly: a manifest change this translator does not understand must not pass the suite silently.
 */
public final class ManifestPodman {

    /** Pod-spec fields that only matter to the scheduler or the API server, not to what runs on the node. */
    private static final Set<String> POD_FIELDS_WITHOUT_NODE_EFFECT = Set.of("priorityClassName", "tolerations",
            "automountServiceAccountToken", "dnsPolicy", "nodeSelector", "affinity", "serviceAccountName");
    private static final Set<String> POD_FIELDS = Set.of("hostNetwork", "hostPID", "hostIPC",
            "terminationGracePeriodSeconds", "initContainers", "containers", "volumes");
    private static final Set<String> CONTAINER_FIELDS = Set.of("name", "image", "command", "args", "env",
            "securityContext", "resources", "volumeMounts", "startupProbe", "readinessProbe", "livenessProbe");
    private static final Set<String> SECURITY_FIELDS = Set.of("runAsUser", "allowPrivilegeEscalation",
            "capabilities", "seccompProfile", "privileged", "readOnlyRootFilesystem");
    private static final Pattern VAR_REF = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");

    /** One container of the pod as podman runs it: {@code command} replaces the image's entrypoint. */
    public record Container(String name, String image, List<String> podmanOptions, List<String> command,
                            List<String> args, Map<String, List<String>> probes) {

        /** {@code podman run OPTIONS… --entrypoint COMMAND IMAGE ARGS…}, with {@code image} in place of the manifest's. */
        public List<String> podmanRun(String image, List<String> extraOptions) {
            List<String> argv = new ArrayList<>(List.of("podman", "run"));
            argv.addAll(extraOptions);
            argv.addAll(podmanOptions);
            if (!command.isEmpty()) {
                try {
                    argv.addAll(List.of("--entrypoint", new ObjectMapper().writeValueAsString(command)));
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw new IllegalStateException("a list of strings always serialises", e);
                }
            }
            argv.add(image);
            argv.addAll(args);
            return argv;
        }
    }

    private final JsonNode daemonSet;
    private final JsonNode configMap;

    public ManifestPodman(JsonNode daemonSet, JsonNode configMap) {
        this.daemonSet = daemonSet;
        this.configMap = configMap;
    }

    /** Reads the DaemonSet and the ConfigMap from the YAML files of {@code manifests}. */
    public static ManifestPodman read(Path manifests) throws IOException {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        JsonNode ds = null;
        JsonNode cm = null;
        List<Path> files;
        try (Stream<Path> s = Files.list(manifests)) {
            files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
        for (Path file : files) {
            try (MappingIterator<JsonNode> it = yaml.readerFor(JsonNode.class).readValues(file.toFile())) {
                while (it.hasNext()) {
                    JsonNode doc = it.next();
                    String kind = doc == null ? "" : doc.path("kind").asText();
                    if (kind.equals("DaemonSet")) {
                        ds = doc;
                    } else if (kind.equals("ConfigMap")) {
                        cm = doc;
                    }
                }
            }
        }
        if (ds == null || cm == null) {
            throw new IllegalArgumentException("no DaemonSet and ConfigMap in " + manifests);
        }
        return new ManifestPodman(ds, cm);
    }

    private JsonNode podSpec() {
        return daemonSet.path("spec").path("template").path("spec");
    }

    /** The init containers in order, then the containers. */
    public List<String> containerNames() {
        List<String> names = new ArrayList<>();
        podSpec().path("initContainers").forEach(c -> names.add(c.path("name").asText()));
        podSpec().path("containers").forEach(c -> names.add(c.path("name").asText()));
        return names;
    }

    /** The named container (init or main) translated to podman options and its command line. */
    public Container container(String name) {
        JsonNode pod = podSpec();
        checkFields("pod spec", pod, POD_FIELDS, POD_FIELDS_WITHOUT_NODE_EFFECT);
        JsonNode c = findContainer(pod, name);
        checkFields("container " + name, c, CONTAINER_FIELDS, Set.of());

        List<String> options = new ArrayList<>();
        if (!pod.path("hostNetwork").asBoolean(false)) {
            throw new IllegalArgumentException("the DaemonSet must use hostNetwork: the daemon works on the node's network");
        }
        options.addAll(List.of("--network", "host"));
        if (pod.path("hostPID").asBoolean(false)) {
            options.addAll(List.of("--pid", "host"));
        }
        if (pod.path("hostIPC").asBoolean(false)) {
            options.addAll(List.of("--ipc", "host"));
        }
        if (pod.has("terminationGracePeriodSeconds")) {
            options.addAll(List.of("--stop-timeout", pod.path("terminationGracePeriodSeconds").asText()));
        }
        Map<String, String> env = environment(c);
        env.forEach((k, v) -> options.addAll(List.of("--env", k + "=" + v)));
        options.addAll(securityOptions(name, c.path("securityContext")));
        JsonNode limits = c.path("resources").path("limits");
        if (limits.has("memory")) {
            options.addAll(List.of("--memory", podmanQuantity(limits.path("memory").asText())));
        }
        for (JsonNode mount : c.path("volumeMounts")) {
            JsonNode volume = volume(pod, mount.path("name").asText());
            Path host = Path.of(volume.path("hostPath").path("path").asText());
            List<String> flags = new ArrayList<>();
            if (mount.path("readOnly").asBoolean(false)) {
                flags.add("ro");
            }
            switch (mount.path("mountPropagation").asText("None")) {
                case "None" -> { }
                case "HostToContainer" -> flags.add("rslave");
                case "Bidirectional" -> flags.add("rshared");
                default -> throw new IllegalArgumentException("mountPropagation " + mount.path("mountPropagation"));
            }
            options.addAll(List.of("--volume", host + ":" + mount.path("mountPath").asText()
                    + (flags.isEmpty() ? "" : ":" + String.join(",", flags))));
        }
        List<String> command = new ArrayList<>();
        c.path("command").forEach(a -> command.add(expand(a.asText(), env)));
        List<String> args = new ArrayList<>();
        c.path("args").forEach(a -> args.add(expand(a.asText(), env)));
        if (command.isEmpty() && args.isEmpty()) {
            throw new IllegalArgumentException("container " + name + " has no command; the suite runs what the manifest says");
        }
        Map<String, List<String>> probes = new LinkedHashMap<>();
        for (String probe : List.of("startupProbe", "readinessProbe", "livenessProbe")) {
            if (c.has(probe)) {
                List<String> argv = new ArrayList<>();
                JsonNode exec = c.path(probe).path("exec").path("command");
                if (!exec.isArray()) {
                    throw new IllegalArgumentException(name + "." + probe + " is not an exec probe");
                }
                exec.forEach(a -> argv.add(a.asText()));
                probes.put(probe, List.copyOf(argv));
            }
        }
        return new Container(name, c.path("image").asText(), List.copyOf(options), List.copyOf(command),
                List.copyOf(args), probes);
    }

    private static JsonNode findContainer(JsonNode pod, String name) {
        for (String list : List.of("initContainers", "containers")) {
            for (JsonNode c : pod.path(list)) {
                if (name.equals(c.path("name").asText())) {
                    return c;
                }
            }
        }
        throw new IllegalArgumentException("no container '" + name + "' in the DaemonSet");
    }

    private static JsonNode volume(JsonNode pod, String name) {
        for (JsonNode v : pod.path("volumes")) {
            if (name.equals(v.path("name").asText())) {
                String type = v.path("hostPath").path("type").asText("");
                if (!v.has("hostPath") || v.size() != 2 || !(type.equals("DirectoryOrCreate") || type.equals("Directory"))) {
                    // the node's directories exist (E2eNode makes them), which is what both types need
                    throw new IllegalArgumentException("volume " + name + " is not a hostPath directory volume");
                }
                return v;
            }
        }
        throw new IllegalArgumentException("no volume '" + name + "' in the DaemonSet");
    }

    private Map<String, String> environment(JsonNode c) {
        Map<String, String> env = new LinkedHashMap<>();
        for (JsonNode e : c.path("env")) {
            String key = e.path("name").asText();
            if (e.has("value")) {
                env.put(key, expand(e.path("value").asText(), env));
            } else if (e.path("valueFrom").has("configMapKeyRef")) {
                JsonNode ref = e.path("valueFrom").path("configMapKeyRef");
                if (!ref.path("name").asText().equals(configMap.path("metadata").path("name").asText())) {
                    throw new IllegalArgumentException("env " + key + " refers to ConfigMap " + ref.path("name"));
                }
                JsonNode value = configMap.path("data").path(ref.path("key").asText());
                if (value.isMissingNode()) {
                    throw new IllegalArgumentException("env " + key + ": no key " + ref.path("key") + " in the ConfigMap");
                }
                env.put(key, value.asText());
            } else {
                throw new IllegalArgumentException("env " + key + ": only value and configMapKeyRef are translated");
            }
        }
        return env;
    }

    private static List<String> securityOptions(String name, JsonNode sc) {
        checkFields("container " + name + " securityContext", sc, SECURITY_FIELDS, Set.of());
        List<String> options = new ArrayList<>();
        if (sc.path("privileged").asBoolean(false)) {
            options.add("--privileged");
        }
        if (sc.has("runAsUser")) {
            options.addAll(List.of("--user", sc.path("runAsUser").asText()));
        }
        if (sc.has("allowPrivilegeEscalation") && !sc.path("allowPrivilegeEscalation").asBoolean()) {
            options.addAll(List.of("--security-opt", "no-new-privileges"));
        }
        if (sc.path("readOnlyRootFilesystem").asBoolean(false)) {
            options.add("--read-only");
        }
        sc.path("capabilities").path("drop").forEach(cap -> options.addAll(List.of("--cap-drop", cap.asText())));
        sc.path("capabilities").path("add").forEach(cap -> options.addAll(List.of("--cap-add", cap.asText())));
        String seccomp = sc.path("seccompProfile").path("type").asText("RuntimeDefault");
        switch (seccomp) {
            // podman's default profile is the runtime default; privileged containers run unconfined anyway
            case "RuntimeDefault" -> { }
            case "Unconfined" -> options.addAll(List.of("--security-opt", "seccomp=unconfined"));
            default -> throw new IllegalArgumentException("seccompProfile " + seccomp + " is not translated");
        }
        return options;
    }

    /** Kubernetes binary quantities (Mi, Gi) as podman's units. */
    static String podmanQuantity(String quantity) {
        Matcher m = Pattern.compile("([0-9]+)(Ki|Mi|Gi)?").matcher(quantity);
        if (!m.matches()) {
            throw new IllegalArgumentException("memory quantity " + quantity + " is not translated");
        }
        String unit = Optional.ofNullable(m.group(2)).map(u -> switch (u) {
            case "Ki" -> "k";
            case "Mi" -> "m";
            default -> "g";
        }).orElse("b");
        return m.group(1) + unit;
    }

    /** kubelet's $(VAR) expansion: a defined variable is replaced, an undefined reference stays as written. */
    static String expand(String text, Map<String, String> env) {
        Matcher m = VAR_REF.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = env.get(m.group(1));
            m.appendReplacement(out, Matcher.quoteReplacement(value != null ? value : m.group()));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static void checkFields(String what, JsonNode node, Set<String> translated, Set<String> ignored) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!translated.contains(field) && !ignored.contains(field)) {
                throw new IllegalArgumentException(what + ": field '" + field + "' is not translated to podman;"
                        + " teach " + ManifestPodman.class.getSimpleName() + " what it means on a node");
            }
        }
    }
}
