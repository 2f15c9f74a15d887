package dev.terway.cni.pod;

import java.nio.file.Path;

/**
 * The pod interface to create: the veth pair's two names and MACs, where the peer goes, and how the host
 * side is attached.
 */
public record PodSpec(String containerId, String ifname, Path netns, String hostVeth, String hostMac,
                      String podMac, String bridge, int mtu, boolean hairpin) {

    /** The spec for an attachment with the derived names; {@code podMac} overrides the derived MAC. */
    public static PodSpec of(String containerId, String ifname, Path netns, String bridge, int mtu, boolean hairpin,
                             java.util.Optional<String> podMac) {
        return new PodSpec(containerId, ifname, netns, VethNames.hostVeth(containerId, ifname),
                VethNames.hostMac(containerId, ifname),
                podMac.orElseGet(() -> VethNames.podMac(containerId, ifname)), bridge, mtu, hairpin);
    }
}
