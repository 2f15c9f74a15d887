package dev.terway.netstate;

import java.util.List;

/**
 * The IPv6 settings of one device ({@code net.ipv6.conf.DEV.*}) that decide whether the kernel configures
 * IPv6 there from what the LAN announces.
 *
 * @param disableIpv6 1: no IPv6 at all on the device (no link-local address, no routes)
 * @param acceptRa    0: ignore router advertisements; 1: process them unless the device forwards; 2: always
 * @param autoconf    1: make SLAAC addresses from the prefixes router advertisements announce
 * @param forwarding  1: the device forwards (a router), which makes {@code accept_ra} 1 ignore advertisements
 */
public record Ipv6Conf(int disableIpv6, int acceptRa, int autoconf, int forwarding) {

    /** The sysctl names, in the order of the components. */
    public static final List<String> NAMES = List.of("disable_ipv6", "accept_ra", "autoconf", "forwarding");

    /** Whether the kernel itself learns default routers, prefixes and SLAAC addresses on the device. */
    public boolean kernelAcceptsRa() {
        return disableIpv6 == 0 && (acceptRa == 2 || (acceptRa == 1 && forwarding == 0));
    }

    /**
     * The sysctl key of setting {@code name} of {@code device}, slash-separated so that a device name with a
     * dot (a VLAN such as {@code eth0.100}) stays one component.
     */
    public static String key(String device, String name) {
        return "net/ipv6/conf/" + device + "/" + name;
    }
}
