package dev.terway.dhcp6.daemon;

import dev.terway.dhcp.daemon.PodIdentity;
import dev.terway.dhcp6.client.IaNaLease;
import dev.terway.dhcp6.codec.Duid;
import java.util.Objects;

/** A DHCPv6 lease the daemon holds for one pod interface: who it is for, the DUID it was leased with, the lease. */
public record HeldLease6(PodIdentity identity, Duid duid, IaNaLease lease) {

    public HeldLease6 {
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(duid, "duid");
        Objects.requireNonNull(lease, "lease");
    }

    /** How log lines name it: "default/web-0 eth0 address fd00::1bd server 0001… valid until …". */
    public String describe() {
        return identity.describe() + " address " + lease.address() + " server " + lease.server()
                + (lease.infinite() ? " valid for ever" : " valid until " + lease.expiresAt());
    }
}
