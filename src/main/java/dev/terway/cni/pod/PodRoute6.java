package dev.terway.cni.pod;

import dev.terway.net.Ipv6;
import dev.terway.net.Ipv6Cidr;
import java.util.Optional;

/**
 * An IPv6 route of the pod, the counterpart of {@link PodRoute}. {@code learnt}: the kernel installs and
 * times the route itself from router advertisements (the default route via the router's link-local
 * address); the planner checks it and never sets it, since a route terway set would outlive the router and
 * shadow the kernel's choice between routers.
 */
public record PodRoute6(Ipv6Cidr destination, Optional<Ipv6> via, boolean onlink, boolean learnt, String why) {
}
