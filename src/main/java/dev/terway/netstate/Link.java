package dev.terway.netstate;

import java.util.Optional;
import java.util.Set;

/**
 * A network interface as `ip -j -d link show` reports it.
 *
 * @param kind      the link type (`bridge`, `veth`, …); empty for plain devices such as a physical NIC
 * @param master    the device this one is enslaved to, if any
 * @param slaveKind what kind of master it is enslaved to (`bridge`, `bond`, …)
 */
public record Link(int index, String name, Set<String> flags, int mtu, String mac, Optional<String> master,
                   Optional<String> kind, Optional<String> slaveKind, String operstate) {

    public Link {
        flags = Set.copyOf(flags);
    }

    public boolean isUp() {
        return flags.contains("UP");
    }

    public boolean isBridge() {
        return kind.filter("bridge"::equals).isPresent();
    }
}
