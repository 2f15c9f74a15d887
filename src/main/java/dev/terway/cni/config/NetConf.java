package dev.terway.cni.config;

import dev.terway.cni.result.CniResult;
import dev.terway.cni.result.Dns;
import dev.terway.dhcp.client.AddressChangePolicy;
import dev.terway.net.Ipv4Cidr;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The network configuration of one `cni-terway` invocation: a `.conf` file, or one plugin entry of a
 * `.conflist` as the runtime passes it (with the list's cniVersion and name, and prevResult).
 *
 * @param bridge       the node bridge pods are attached to (`terway setup` creates it)
 * @param serviceCidr  the Kubernetes service network, routed via the node's bridge address (kube-proxy)
 * @param mtu          the pod interface MTU; absent means the bridge's
 * @param ipam         a delegated IPAM plugin; absent means leases from the terway DHCP daemon
 * @param dhcpTimeout  how long ADD waits for a DHCP lease
 * @param validAttachments GC's {@code cni.dev/valid-attachments}
 * @param onAddressChange what the daemon does when a pod's lease is lost (a DHCPNAK on renewal) and the
 *                        server grants another address although the old one was asked for again
 */
public record NetConf(String cniVersion, String name, String type, String bridge, Path dhcpSocket,
                      Optional<Ipv4Cidr> serviceCidr, boolean hairpinMode, OptionalInt mtu,
                      Optional<IpamConf> ipam, Dns dns, Optional<CniResult> prevResult,
                      RuntimeConfig runtimeConfig, Duration dhcpTimeout, List<Attachment> validAttachments,
                      AddressChangePolicy onAddressChange) {

    public static final String DEFAULT_BRIDGE = "mybr0";
    public static final Duration DEFAULT_DHCP_TIMEOUT = Duration.ofSeconds(30);

    public NetConf {
        Objects.requireNonNull(cniVersion, "cniVersion");
        validAttachments = List.copyOf(validAttachments);
        Objects.requireNonNull(onAddressChange, "onAddressChange");
    }

    /** A delegated IPAM plugin: its executable name (found on CNI_PATH) and its section of the config. */
    public record IpamConf(String type, Map<String, Object> section) {
    }

    /**
     * Runtime-supplied values (capabilities): {@code ips} pins the pod's address, {@code mac} its MAC.
     */
    public record RuntimeConfig(Optional<CniArgs.RequestedAddress> ip, Optional<String> mac) {

        public static RuntimeConfig none() {
            return new RuntimeConfig(Optional.empty(), Optional.empty());
        }
    }

    /** One attachment GC must keep: the runtime's (containerID, ifname). */
    public record Attachment(String containerId, String ifname) {
    }
}
