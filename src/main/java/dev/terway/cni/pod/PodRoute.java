package dev.terway.cni.pod;

import dev.terway.net.Ipv4;
import dev.terway.net.Ipv4Cidr;
import java.util.Optional;

/**
 * A route to install in the pod. {@code onlink} tells the kernel the gateway is reachable on the link even
 * though it lies outside the pod's subnet (a node gateway or bridge address in another subnet).
 */
public record PodRoute(Ipv4Cidr destination, Optional<Ipv4> via, boolean onlink, String why) {
}
