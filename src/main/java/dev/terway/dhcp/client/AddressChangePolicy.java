package dev.terway.dhcp.client;

import java.util.Locale;
import java.util.Optional;

/**
 * What the client does when a lease it lost (DHCPNAK, expiry, an ACK for another address) is replaced by
 * one for a different address, although it asked for the old one again. The pod's old address is what
 * Kubernetes knows (pod status, endpoints), so a silent change would strand its traffic.
 */
public enum AddressChangePolicy {
    /** Bind the new address (the pod takes it) and report the change loudly. */
    FOLLOW,
    /** Give the new lease back at once (DHCPRELEASE) and stop: the pod is left without an address. */
    REMOVE;

    /** The configuration spelling: {@code follow}, {@code remove}. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The policy of a configuration value ({@code follow}, {@code remove}); empty for anything else. */
    public static Optional<AddressChangePolicy> parse(String text) {
        for (AddressChangePolicy p : values()) {
            if (p.configName().equals(text)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }
}
