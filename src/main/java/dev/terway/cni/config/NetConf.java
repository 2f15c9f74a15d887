package dev.terway.cni.config;

import dev.terway.cni.result.CniResult;
import dev.terway.cni.result.Dns;
import dev.terway.dhcp.client.AddressChangePolicy;
import dev.terway.net.Ipv4Cidr;
import dev.terway.net.Ipv6Cidr;
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
 * @param serviceCidr  the Kubernetes IPv4 service network, routed via the node's bridge address (kube-proxy)
 * @param serviceCidr6 the IPv6 service network, routed via the node's global IPv6 bridge address
 * @param mtu          the pod interface MTU; absent means the bridge's
 * @param ipam         a delegated IPAM plugin; absent means leases from the terway DHCP daemon
 * @param dhcpTimeout  how long ADD waits for a DHCP lease
 * @param validAttachments GC's {@code cni.dev/valid-attachments}
 * @param onAddressChange what the daemon does when a pod's lease is lost (a DHCPNAK on renewal) and the
 *                        server grants another address although the old one was asked for again
 * @param ipv4         false: the pod gets no IPv4 address (an IPv6-only LAN); no DHCPv4 lease is asked for
 * @param ipv6         how the pod gets IPv6 from the LAN
 */
public record NetConf(String cniVersion, String name, String type, String bridge, Path dhcpSocket,
                      Optional<Ipv4Cidr> serviceCidr, boolean hairpinMode, OptionalInt mtu,
                      Optional<IpamConf> ipam, Dns dns, Optional<CniResult> prevResult,
                      RuntimeConfig runtimeConfig, Duration dhcpTimeout, List<Attachment> validAttachments,
                      AddressChangePolicy onAddressChange, Optional<Ipv6Cidr> serviceCidr6, boolean ipv4,
                      Ipv6 ipv6) {

    public static final String DEFAULT_BRIDGE = "mybr0";
    public static final Duration DEFAULT_DHCP_TIMEOUT = Duration.ofSeconds(30);

    public NetConf {
        Objects.requireNonNull(cniVersion, "cniVersion");
        validAttachments = List.copyOf(validAttachments);
        Objects.requireNonNull(onAddressChange, "onAddressChange");
        Objects.requireNonNull(serviceCidr6, "serviceCidr6");
        Objects.requireNonNull(ipv6, "ipv6");
    }

    /**
     * The {@code "ipv6"} section: where the pod's IPv6 address comes from, and how long ADD waits for it
     * (from the moment the pod's interface is up).
     */
    public record Ipv6(Ipv6Mode mode, Duration timeout) {

        public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(3);
        public static final Ipv6 DEFAULT = new Ipv6(Ipv6Mode.AUTO, DEFAULT_TIMEOUT);

        public Ipv6 {
            Objects.requireNonNull(mode, "mode");
            Objects.requireNonNull(timeout, "timeout");
        }
    }

    /** The values of {@code ipv6.mode}. */
    public enum Ipv6Mode {
        /** SLAAC and DHCPv6 both tried; whatever arrives in time is reported; nothing: the pod is IPv4-only. */
        AUTO("auto"),
        /** A SLAAC address from the router's advertisements, or ADD fails. */
        SLAAC("slaac"),
        /** A DHCPv6 lease (IA_NA), or ADD fails; RAs still give the default route and on-link prefix. */
        DHCPV6("dhcpv6"),
        /** No IPv6 from the LAN: the pod ignores router advertisements. */
        OFF("off");

        private final String text;

        Ipv6Mode(String text) {
            this.text = text;
        }

        public String text() {
            return text;
        }

        /** ADD fails when no IPv6 address arrives in time. */
        public boolean required() {
            return this == SLAAC || this == DHCPV6;
        }

        public static Optional<Ipv6Mode> parse(String text) {
            for (Ipv6Mode m : values()) {
                if (m.text.equals(text)) {
                    return Optional.of(m);
                }
            }
            return Optional.empty();
        }
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
