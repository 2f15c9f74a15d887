package dev.terway.dhcp.store;

import java.util.Objects;

/** What identifies a lease: the container and the interface inside it. */
public record LeaseKey(String containerId, String ifname) implements Comparable<LeaseKey> {

    public LeaseKey {
        Objects.requireNonNull(containerId, "containerId");
        Objects.requireNonNull(ifname, "ifname");
        if (containerId.isEmpty() || ifname.isEmpty()) {
            throw new IllegalArgumentException("a lease key needs a container id and an interface name");
        }
    }

    @Override
    public int compareTo(LeaseKey other) {
        int c = containerId.compareTo(other.containerId);
        return c != 0 ? c : ifname.compareTo(other.ifname);
    }

    @Override
    public String toString() {
        return containerId + "/" + ifname;
    }
}
