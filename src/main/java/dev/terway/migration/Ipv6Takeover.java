package dev.terway.migration;

import dev.terway.netstate.Ipv6Conf;
import dev.terway.netstate.Ipv6Settings;
import dev.terway.plan.Step;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The IPv6 settings part of setup: the bridge takes the NIC's place on the LAN, so it gets the NIC's
 * settings, and the NIC, now only a bridge port, gets none.
 *
 * <ul>
 * <li>The bridge gets the NIC's {@code disable_ipv6}, {@code autoconf} and {@code accept_ra}. A new bridge
 *     starts with the {@code default} ones, which need not be the NIC's: {@code accept_ra} 1 (the default)
 *     ignores router advertisements on a node that forwards, where a NIC that learns from them has 2; a
 *     NIC whose advertisements NetworkManager or systemd-networkd handle has 0, and the kernel must not
 *     start doing the same on the bridge.</li>
 * <li>While the NIC's IPv6 configuration moves, the bridge ignores router advertisements ({@code accept_ra}
 *     0): an advertisement arriving then would make the kernel add the very SLAAC address (or on-link
 *     prefix route) that setup is about to copy there, and the copy would fail. {@code accept_ra} gets its
 *     value as the last step. The
 *     bridge's link-local address is then still in duplicate detection (it started when the NIC was
 *     enslaved and takes at least a second); when that ends the kernel sends a Router Solicitation, so the
 *     bridge learns the default router from the answer rather than at the next periodic advertisement.</li>
 * <li>The NIC gets {@code disable_ipv6} 1. As a port it receives nothing of its own any more (the bridge
 *     takes every frame), so everything IPv6 left on it is dead weight at best. At worst it is what the
 *     kernel learnt from router advertisements and keeps by itself: the default router, and the prefix
 *     route of a SLAAC address (the kernel deletes the prefix route with the last permanent address of a
 *     prefix, but never with a SLAAC one). Such a route on the port competes with the bridge's, and
 *     neighbour discovery through the port never completes, because the answers go to the bridge.
 *     Turning IPv6 off removes all of it and nothing else ({@code accept_ra} 0 would only stop learning
 *     what the port cannot receive anyway). Undone, the kernel starts IPv6 on the NIC afresh: link-local
 *     address, then a Router Solicitation, so what it had learnt comes back from the router.</li>
 * </ul>
 *
 * @param beforeUp steps for the bridge before it comes up
 * @param last     steps after the NIC's configuration has moved
 */
record Ipv6Takeover(List<Step> beforeUp, List<Step> last) {

    Ipv6Takeover {
        beforeUp = List.copyOf(beforeUp);
        last = List.copyOf(last);
    }

    /**
     * @param nicIpv6        the NIC's settings before setup (from the record once setup has begun)
     * @param bridgeExists   whether the bridge exists already; if not, it will start with the default settings
     * @param ipv6Arrives    whether IPv6 addresses or routes are still to be added to the bridge
     */
    static Ipv6Takeover plan(Ipv6Settings settings, Optional<Ipv6Conf> nicIpv6, boolean bridgeExists, String iface,
                             String bridge, boolean ipv6Arrives) {
        List<Step> beforeUp = new ArrayList<>();
        List<Step> last = new ArrayList<>();
        Optional<Ipv6Conf> bridgeNow = settings.of(bridgeExists ? bridge : Ipv6Settings.DEFAULT);
        if (nicIpv6.isEmpty() || bridgeNow.isEmpty()) {
            return new Ipv6Takeover(beforeUp, last); // no IPv6 in this kernel
        }
        Ipv6Conf wanted = nicIpv6.get();
        Ipv6Conf now = bridgeNow.get();
        if (now.disableIpv6() != wanted.disableIpv6()) {
            beforeUp.add(set(bridge, "disable_ipv6", wanted.disableIpv6(), now.disableIpv6(),
                    "give " + bridge + " the disable_ipv6 setting of " + iface + ", whose place on the LAN it takes"));
        }
        if (wanted.disableIpv6() == 0) {
            if (now.autoconf() != wanted.autoconf()) {
                beforeUp.add(set(bridge, "autoconf", wanted.autoconf(), now.autoconf(),
                        "give " + bridge + " the SLAAC setting (autoconf) of " + iface));
            }
            int acceptRa = now.acceptRa();
            if (wanted.acceptRa() == 0 && acceptRa != 0) {
                beforeUp.add(set(bridge, "accept_ra", 0, acceptRa, bridge + " ignores router advertisements, as "
                        + iface + " does (something else configures IPv6 from them, or nothing should)"));
            } else if (wanted.acceptRa() != 0) {
                if (ipv6Arrives && acceptRa != 0) {
                    beforeUp.add(set(bridge, "accept_ra", 0, acceptRa, bridge + " ignores router advertisements"
                            + " while " + iface + "'s configuration moves, or the kernel could add the SLAAC"
                            + " addresses that are about to be copied there"));
                    acceptRa = 0;
                }
                if (acceptRa != wanted.acceptRa()) {
                    last.add(set(bridge, "accept_ra", wanted.acceptRa(), acceptRa, bridge + " processes router"
                            + " advertisements as " + iface + " did (accept_ra " + wanted.acceptRa() + "): it keeps"
                            + " the moved SLAAC addresses fresh and learns the default router, soon, from the"
                            + " answer to the solicitation it sends when its link-local address is ready"));
                }
            }
        }
        Optional<Ipv6Conf> nicNow = settings.of(iface);
        if (nicNow.isPresent() && nicNow.get().disableIpv6() == 0) {
            last.add(0, set(iface, "disable_ipv6", 1, 0, "turn IPv6 off on " + iface + ", now only a port of "
                    + bridge + ": what the kernel learnt there from router advertisements (default router,"
                    + " prefix routes of SLAAC addresses) would lead past the bridge into a dead end"));
        }
        return new Ipv6Takeover(beforeUp, last);
    }

    static Step set(String device, String name, int value, int previous, String reason) {
        return Step.undoable(reason, sysctl(device, name, value), sysctl(device, name, previous));
    }

    static List<String> sysctl(String device, String name, int value) {
        return List.of("sysctl", "-w", Ipv6Conf.key(device, name) + "=" + value);
    }
}
