package dev.terway.cni.pod;

import dev.terway.cni.config.Ipv4Cidr;
import java.net.Inet4Address;
import java.util.Optional;

/**
 * A route to install in the pod. {@code onlink} tells the kernel the gateway is reachable on the link even
 * though it lies outside the pod's subnet (a node gateway or bridge address in another subnet).
 */
public record PodRoute(Ipv4Cidr destination, Optional<Inet4Address> via, boolean onlink, String why) {
}
