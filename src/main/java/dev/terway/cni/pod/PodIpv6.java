package dev.terway.cni.pod;

import dev.terway.cni.spec.CniErrorCode;
import dev.terway.cni.spec.CniException;
import dev.terway.net.Ipv6;
import dev.terway.net.Ipv6Cidr;
import dev.terway.netstate.Route;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The IPv6 half of what a pod interface should have ({@link PodNetwork.Target#ipv6()}): how it takes router
 * advertisements, its global addresses, the router the kernel learnt, and the routes.
 *
 * <p>Addresses come from two places that the planner treats differently. A SLAAC address is the kernel's
 * (an RA's prefix and the interface's identifier): the planner checks it but cannot put it back. A DHCPv6
 * address is terway's: the planner adds it with the lease's valid and preferred lifetimes, so the kernel
 * drops it by itself when the lease runs out unrenewed, and sets them again on every renewal.
 *
 * @param required     the configuration insists on IPv6 ({@code slaac}, {@code dhcpv6}): a kernel without IPv6
 *                     is an error, not a reason to go on without it
 * @param serviceCidrs the IPv6 service networks among {@code routes}, for naming them in what is repaired
 */
public record PodIpv6(Settings settings, boolean required, List<Address> addresses, Optional<Ipv6> router,
                      List<PodRoute6> routes, List<Ipv6Cidr> serviceCidrs) {

    public PodIpv6 {
        Objects.requireNonNull(settings, "settings");
        addresses = List.copyOf(addresses);
        routes = List.copyOf(routes);
        serviceCidrs = List.copyOf(serviceCidrs);
    }

    /** The pod's IPv6 when the configuration turned it off: no router advertisements taken, nothing else. */
    public static PodIpv6 off() {
        return new PodIpv6(Settings.OFF, false, List.of(), Optional.empty(), List.of(), List.of());
    }

    /**
     * The pod's IPv6 with its routes ({@link #routes}) on this node.
     *
     * @throws CniException an IPv6 service network is configured, the pod has an IPv6 address, and the bridge
     *                      has no global IPv6 address to route it via
     */
    public static PodIpv6 of(Settings settings, boolean required, List<Address> addresses, Optional<Ipv6> router,
                             NodeView node, List<Ipv6Cidr> serviceCidrs) throws CniException {
        return new PodIpv6(settings, required, addresses, router, routes(addresses, router, node, serviceCidrs),
                addresses.isEmpty() ? List.of() : serviceCidrs);
    }

    /**
     * How the pod interface takes router advertisements ({@code net.ipv6.conf.IF.*} in the pod's netns; the
     * interface starts with its netns's defaults, which a runtime or a node's sysctl.d may have changed).
     * Beside these two, every mode sets the interface identifier to EUI-64 of the pod's MAC
     * ({@code addr_gen_mode} 0) and turns temporary addresses off ({@code use_tempaddr} 0): the pod's MAC is
     * already one per attachment (derived from the container id and interface name, or the runtime's), so
     * EUI-64 is stable for the pod's life and unique on the LAN without a secret to keep; RFC 7217
     * stable-privacy and RFC 8981 temporary addresses protect a device that moves between networks, which a
     * pod never does; and a temporary address would become the pod's source address while the result
     * reports another. {@code router_solicitation_delay} 0: the kernel otherwise waits a random time of up to
     * a second before duplicate detection of each new address (and so before soliciting routers), twice on the
     * way to a SLAAC address; RFC 4861 §6.3.7 spreads hosts that all boot at once after a power failure, while
     * pods come one by one, each waited for by its ADD (in the lab, SLAAC took over 3 s with the delay).
     *
     * @param acceptRa 1: learn the default router and on-link prefixes from RAs; 0: ignore RAs
     * @param autoconf 1: make a SLAAC address from each RA prefix with the A flag
     */
    public record Settings(int acceptRa, int autoconf) {

        /** {@code slaac} and {@code auto}. */
        public static final Settings SLAAC = new Settings(1, 1);
        /** {@code dhcpv6}: RAs for the router and the on-link prefix, the address from the lease only. */
        public static final Settings MANAGED = new Settings(1, 0);
        /** {@code off}: the pod makes no global address nobody reports. */
        public static final Settings OFF = new Settings(0, 0);

        /** The sysctls in the order they are written (addr_gen_mode before the link comes up). */
        public Map<String, String> sysctls() {
            Map<String, String> values = new LinkedHashMap<>();
            values.put("addr_gen_mode", "0");
            values.put("use_tempaddr", "0");
            values.put("router_solicitation_delay", "0");
            values.put("accept_ra", Integer.toString(acceptRa));
            values.put("autoconf", Integer.toString(autoconf));
            return values;
        }

        @Override
        public String toString() {
            return "accept_ra " + acceptRa + ", autoconf " + autoconf;
        }
    }

    /** Where a pod's IPv6 address came from. */
    public enum Source {
        /** The kernel made it from a router advertisement: checked, not set. */
        SLAAC,
        /** A DHCPv6 lease (IA_NA): set with the lease's lifetimes, re-timed on renewal. */
        DHCPV6
    }

    /**
     * A global address of the pod.
     *
     * @param validSeconds     for a DHCPv6 address: its valid lifetime now (the kernel drops it at 0)
     * @param preferredSeconds for a DHCPv6 address: its preferred lifetime now
     */
    public record Address(Ipv6Cidr cidr, Source source, long validSeconds, long preferredSeconds) {

        public Address {
            Objects.requireNonNull(cidr, "cidr");
            Objects.requireNonNull(source, "source");
        }

        public static Address slaac(Ipv6Cidr cidr) {
            return new Address(cidr, Source.SLAAC, 0, 0);
        }

        public static Address leased(Ipv6Cidr cidr, long validSeconds, long preferredSeconds) {
            return new Address(cidr, Source.DHCPV6, validSeconds, preferredSeconds);
        }

        /**
         * A DHCPv6 lease's address with the prefix length of the on-link prefix the kernel learnt from an RA
         * that holds it ({@code routes}: the pod's IPv6 routes), else /128: IA_NA carries no prefix length
         * (RFC 8415 §21.6). ADD and the upkeep at each renewal both take it from here.
         */
        public static Address leased(Ipv6 address, long validSeconds, long preferredSeconds, List<Route> routes) {
            int length = 128;
            for (Route r : routes) {
                Ipv6Cidr prefix = Ipv6Cidr.parseOrNull(r.dst());
                if (learntFromLan(r) && r.gateway().isEmpty() && prefix != null && prefix.prefixLength() >= 1
                        && prefix.prefixLength() < 128 && prefix.contains(address)) {
                    length = prefix.prefixLength();
                    break;
                }
            }
            return leased(new Ipv6Cidr(address, length), validSeconds, preferredSeconds);
        }
    }

    /**
     * Whether the kernel learnt {@code route} from the LAN: a default router from an RA (`proto ra`), or a route
     * that expires without a gateway, as the on-link prefixes of RAs do (the kernel writes those `proto kernel`
     * with `expires`, like the prefix route of an address with a lifetime; a static address's never expires).
     */
    public static boolean learntFromLan(Route route) {
        return route.isRaRoute() || (route.gateway().isEmpty() && route.expires().isPresent()
                && !route.dst().startsWith("fe80:"));
    }

    /**
     * The router the kernel learnt from RAs on {@code ifname}: the gateway of its IPv6 default route, the first
     * when several routers advertise (the kernel prefers among them itself).
     */
    public static Optional<Ipv6> learntRouter(List<Route> routes, String ifname) {
        return routes.stream()
                .filter(r -> r.isDefault() && r.gateway().isPresent() && r.dev().map(ifname::equals).orElse(true))
                .map(r -> Ipv6.parseOrNull(r.gateway().get())).filter(Objects::nonNull).findFirst();
    }

    /**
     * The pod's IPv6 routes: the default route via {@code router} when the kernel learnt one (checked only, see
     * {@link PodRoute6#learnt()}), and each IPv6 service network via the node's global bridge address, where
     * kube-proxy answers; {@code onlink} when none of the pod's prefixes holds that address (a DHCPv6 /128 on
     * a LAN whose RA names no on-link prefix). A pod without an IPv6 address gets no IPv6 service route.
     *
     * @throws CniException an IPv6 service network is configured but the bridge has no global IPv6 address
     */
    public static List<PodRoute6> routes(List<Address> addresses, Optional<Ipv6> router, NodeView node,
                                         List<Ipv6Cidr> serviceCidrs) throws CniException {
        List<PodRoute6> routes = new ArrayList<>();
        if (addresses.isEmpty()) {
            return routes;
        }
        router.ifPresent(r -> routes.add(new PodRoute6(new Ipv6Cidr(Ipv6.ANY, 0), Optional.of(r), false, true,
                "IPv6 default route via the router's link-local address, learnt by the kernel from its"
                        + " advertisements")));
        for (Ipv6Cidr service : serviceCidrs) {
            Ipv6 nodeAddress = node.bridgeAddress6().map(Ipv6Cidr::address).orElseThrow(() ->
                    new CniException(CniErrorCode.NODE_NOT_SET_UP, "bridge " + node.bridge()
                            + " has no global IPv6 address, so there is no node address to route IPv6 service"
                            + " network " + service + " through; give the node an IPv6 address on the LAN (SLAAC"
                            + " or static) and run `terway setup` again, or leave " + service + " out of serviceCIDR"));
            boolean onPrefix = addresses.stream().anyMatch(a -> a.cidr().contains(nodeAddress));
            routes.add(new PodRoute6(service, Optional.of(nodeAddress), !onPrefix, false,
                    "IPv6 service network via the node's bridge address, where kube-proxy answers"));
        }
        return routes;
    }
}
