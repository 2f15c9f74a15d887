package dev.terway.cni.handler;

import dev.terway.cni.config.CniArgs;
import dev.terway.cni.config.NetConf;
import java.util.Optional;

/**
 * Where a pod's address comes from: a delegated IPAM plugin when the config names one; otherwise a pinned
 * address with prefix is used as is; otherwise the DHCP daemon (asked for the pinned address, if any).
 * The runtime's `ips` capability wins over CNI_ARGS IP=.
 */
record AddressChoice(Optional<NetConf.IpamConf> delegated, Optional<CniArgs.RequestedAddress> pinned) {

    static AddressChoice of(NetConf conf, CniArgs args) {
        return new AddressChoice(conf.ipam(), conf.runtimeConfig().ip().or(args::ip));
    }

    boolean isDelegated() {
        return delegated.isPresent();
    }

    boolean isStatic() {
        return delegated.isEmpty() && pinned.map(CniArgs.RequestedAddress::isStatic).orElse(false);
    }

    boolean isDhcp() {
        return !isDelegated() && !isStatic();
    }
}
