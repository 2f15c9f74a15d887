package dev.terway.cni.pod;

import dev.terway.net.Ipv4;
import dev.terway.net.Ipv4Cidr;
import dev.terway.net.Ipv6Cidr;
import java.util.Optional;

/**
 * What ADD needs to know about the node (the network namespace the plugin runs in).
 *
 * @param bridgeMtu      the bridge's MTU, the default for pod interfaces
 * @param bridgeAddress  the node's own IPv4 address on the bridge (after `terway setup`, its LAN address)
 * @param defaultGateway the node's IPv4 default gateway, used when DHCP names no router
 * @param hostVethExists whether the attachment's host veth is already there (a leftover); ADD first assumes
 *                       not, and looks only when creating the veth fails
 * @param bridgeAddress6 the node's own global IPv6 address on the bridge, which IPv6 service networks go via;
 *                       absent also tells ADD under {@code "ipv6": {"mode": "auto"}} that the node itself has no
 *                       IPv6 from the LAN
 */
public record NodeView(String bridge, boolean bridgeExists, int bridgeMtu, Optional<Ipv4Cidr> bridgeAddress,
                       Optional<Ipv4> defaultGateway, boolean hostVethExists, Optional<Ipv6Cidr> bridgeAddress6) {

    /** A node whose bridge has no global IPv6 address. */
    public NodeView(String bridge, boolean bridgeExists, int bridgeMtu, Optional<Ipv4Cidr> bridgeAddress,
                    Optional<Ipv4> defaultGateway, boolean hostVethExists) {
        this(bridge, bridgeExists, bridgeMtu, bridgeAddress, defaultGateway, hostVethExists, Optional.empty());
    }

    public NodeView withHostVethExists(boolean exists) {
        return new NodeView(bridge, bridgeExists, bridgeMtu, bridgeAddress, defaultGateway, exists, bridgeAddress6);
    }

    public NodeView withDefaultGateway(Optional<Ipv4> gateway) {
        return new NodeView(bridge, bridgeExists, bridgeMtu, bridgeAddress, gateway, hostVethExists, bridgeAddress6);
    }
}
