package dev.terway.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The translation of the DaemonSet into podman options, on the real manifests and on edited copies. */
class ManifestPodmanTest {

    private static final Path MANIFESTS = Path.of("manifests");

    @Test
    void theDaemonRunsPrivilegedInTheNodesNetworkAndPidNamespacesWithItsVolumes() throws IOException {
        ManifestPodman.Container main = ManifestPodman.read(MANIFESTS).container("terway");
        List<String> o = main.podmanOptions();
        assertTrue(Collections.indexOfSubList(o, List.of("--network", "host")) >= 0, o.toString());
        assertTrue(Collections.indexOfSubList(o, List.of("--pid", "host")) >= 0, o.toString());
        assertTrue(o.contains("--privileged"), o.toString());
        assertTrue(o.contains("/var/run/netns:/var/run/netns:rslave"), "HostToContainer is rslave: " + o);
        assertTrue(o.contains("/opt/cni/bin:/opt/cni/bin:ro"), o.toString());
        assertEquals(List.of("/opt/terway/bin/terway"), main.command());
        // kubelet expands $(VAR) from the container's environment, here the ConfigMap's values
        assertEquals(List.of("run", "--bridge", "mybr0", "--iface", "", "--metrics-address", "127.0.0.1:9153"),
                main.args());
        assertEquals(List.of("startupProbe", "readinessProbe", "livenessProbe"), List.copyOf(main.probes().keySet()));
    }

    @Test
    void theInstallerDropsEveryCapabilityAndCannotEscalate() throws IOException {
        List<String> o = ManifestPodman.read(MANIFESTS).container("install").podmanOptions();
        assertTrue(Collections.indexOfSubList(o, List.of("--cap-drop", "ALL")) >= 0, o.toString());
        assertTrue(Collections.indexOfSubList(o, List.of("--security-opt", "no-new-privileges")) >= 0, o.toString());
        assertTrue(!o.contains("--privileged") && !o.contains("--cap-add"), o.toString());
    }

    @Test
    void podmanRunPutsTheCommandInPlaceOfTheEntrypointAndTheArgsAfterTheImage() throws IOException {
        ManifestPodman.Container c = ManifestPodman.read(MANIFESTS).container("install");
        List<String> argv = c.podmanRun("localhost/x:1", List.of("--rm"));
        int image = argv.indexOf("localhost/x:1");
        assertEquals(List.of("podman", "run", "--rm"), argv.subList(0, 3));
        assertEquals("[\"/opt/terway/bin/terway\"]", argv.get(argv.indexOf("--entrypoint") + 1));
        assertEquals(c.args(), argv.subList(image + 1, argv.size()));
    }

    @Test
    void aFieldTheTranslatorDoesNotKnowFailsInsteadOfPassingSilently() throws IOException {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        JsonNode ds = yaml.readTree(MANIFESTS.resolve("terway-daemonset.yaml").toFile());
        JsonNode cm = yaml.readTree(MANIFESTS.resolve("terway-config.yaml").toFile());
        ObjectNode sc = (ObjectNode) ds.path("spec").path("template").path("spec").path("containers").get(0)
                .path("securityContext");
        sc.put("procMount", "Unmasked");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ManifestPodman(ds, cm).container("terway"));
        assertTrue(e.getMessage().contains("procMount"), e.getMessage());
    }

    @Test
    void kubeletsVariableExpansionLeavesUndefinedReferencesAsWritten() {
        assertEquals("a-x-$(NOPE)", ManifestPodman.expand("a-$(X)-$(NOPE)", Map.of("X", "x")));
        assertEquals("256m", ManifestPodman.podmanQuantity("256Mi"));
        assertEquals("1g", ManifestPodman.podmanQuantity("1Gi"));
    }
}
