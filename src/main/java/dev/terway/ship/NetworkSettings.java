package dev.terway.ship;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.terway.cni.config.NetConfParser;
import dev.terway.cni.spec.CniException;
import dev.terway.cni.spec.CniVersion;
import dev.terway.cni.spec.InvocationValidator;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The network configuration `terway install` writes as {@code 10-terway.conflist}: one network with the
 * terway plugin, its bridge, the Kubernetes service network and the daemon's socket, optionally followed by
 * the reference {@code portmap} plugin.
 *
 * @param cniVersion the list's cniVersion, one of {@link CniVersion#SUPPORTED}: the version the container
 *                   runtime speaks to the plugins and expects their results in
 * @param portmap    chain {@code portmap} after cni-terway (Kubernetes hostPort); the runtime passes it
 *                   cni-terway's result as {@code prevResult}
 * @param serviceCidrs the service networks, at most one per family (a dual-stack cluster has two); written
 *                   as one string when there is one, as a list when there are two
 * @param ipv6Mode   the {@code "ipv6": {"mode": …}} to write; absent: the plugin's default ({@code auto})
 */
public record NetworkSettings(String name, String bridge, List<String> serviceCidrs, Path dhcpSocket,
                              String cniVersion, boolean portmap, Optional<String> ipv6Mode) {

    public NetworkSettings {
        serviceCidrs = List.copyOf(serviceCidrs);
    }

    /** With the plugin's default IPv6 mode. */
    public NetworkSettings(String name, String bridge, List<String> serviceCidrs, Path dhcpSocket, String cniVersion,
                           boolean portmap) {
        this(name, bridge, serviceCidrs, dhcpSocket, cniVersion, portmap, Optional.empty());
    }

    public static final String DEFAULT_NAME = "terway";
    public static final String PLUGIN_TYPE = "cni-terway";
    /**
     * The cniVersion install writes unless told otherwise: 1.0.0, the newest version every maintained
     * container runtime parses. Runtimes built on libcni 1.1 (containerd 1.6 and 1.7, podman 4, most nodes
     * today) refuse a 1.1.0 result ("unsupported CNI result version"), so writing {@link CniVersion#LATEST}
     * would fail every pod there. The plugin itself still answers every version it supports.
     */
    public static final String DEFAULT_CNI_VERSION = CniVersion.V1_0_0;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** The conflist's text; the plugin entry is first checked by the plugin's own configuration parser. */
    public String conflist() throws InstallException {
        if (!CniVersion.isSupported(cniVersion)) {
            throw new InstallException("cannot write the network configuration: cniVersion '" + cniVersion
                    + "' is not one cni-terway supports (" + String.join(", ", CniVersion.SUPPORTED) + ")");
        }
        Map<String, Object> plugin = new LinkedHashMap<>();
        plugin.put("type", PLUGIN_TYPE);
        plugin.put("bridge", bridge);
        if (serviceCidrs.size() == 1) {
            plugin.put("serviceCIDR", serviceCidrs.get(0));
        } else if (!serviceCidrs.isEmpty()) {
            plugin.put("serviceCIDR", serviceCidrs);
        }
        plugin.put("dhcpSocket", dhcpSocket.toString());
        ipv6Mode.ifPresent(mode -> plugin.put("ipv6", Map.of("mode", mode)));
        Map<String, Object> list = new LinkedHashMap<>();
        list.put("cniVersion", cniVersion);
        list.put("name", name);
        List<Map<String, Object>> plugins = new ArrayList<>(List.of(plugin));
        if (portmap) {
            plugins.add(portmapEntry());
        }
        list.put("plugins", plugins);
        try {
            checkWithPlugin(plugin);
            return JSON.writeValueAsString(list) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a map of strings always serialises", e);
        }
    }

    /**
     * The reference portmap plugin's entry: the runtime passes it the pod's port mappings (the
     * {@code portMappings} capability, which kubelet fills from the pods' hostPorts); {@code snat} lets a
     * pod reach its own hostPort through the node's address (hairpin).
     */
    private static Map<String, Object> portmapEntry() {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("type", PortmapMode.PLUGIN_TYPE);
        entry.put("capabilities", Map.of("portMappings", true));
        entry.put("snat", true);
        return entry;
    }

    /**
     * True when {@code conflistText} is a network configuration list with a cni-terway plugin entry,
     * anywhere among its plugins (chained ones such as portmap may come before or after it).
     */
    public static boolean configuresTerway(String conflistText) {
        try {
            JsonNode plugins = JSON.readTree(conflistText).path("plugins");
            for (JsonNode plugin : plugins) {
                if (PLUGIN_TYPE.equals(plugin.path("type").asText())) {
                    return true;
                }
            }
            return false;
        } catch (JsonProcessingException e) {
            return false;
        }
    }

    /**
     * Parses the entry as the runtime will pass it to cni-terway (with the list's cniVersion and name
     * added), so a configuration the plugin would refuse at the first pod is refused at install instead.
     */
    private void checkWithPlugin(Map<String, Object> plugin) throws InstallException, JsonProcessingException {
        Map<String, Object> asPassed = new LinkedHashMap<>();
        asPassed.put("cniVersion", cniVersion);
        asPassed.put("name", name);
        asPassed.putAll(plugin);
        String text = JSON.writeValueAsString(asPassed);
        try {
            if (!InvocationValidator.isValidName(name)) {
                throw new InstallException("cannot write the network configuration: network name '" + name
                        + "' must start with a letter or digit, followed by letters, digits, '_', '.' or '-'");
            }
            NetConfParser.parse(InvocationValidator.parseConfig(text));
        } catch (CniException e) {
            throw new InstallException("cannot write the network configuration: cni-terway would refuse it: "
                    + e.getMessage());
        }
    }
}
