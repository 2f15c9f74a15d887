package dev.terway.dhcp.daemon;

import dev.terway.net.Ipv4;
import java.util.Objects;

/** A route the server handed out (option 121, or 3 as the default route): destination/prefix via gateway. */
public record LeaseRoute(Ipv4 destination, int prefixLength, Ipv4 gateway) {

    public LeaseRoute {
        Objects.requireNonNull(destination, "destination");
        Objects.requireNonNull(gateway, "gateway");
        if (prefixLength < 0 || prefixLength > 32) {
            throw new IllegalArgumentException("route prefix length " + prefixLength + " is not in 0..32");
        }
    }

    public String destinationCidr() {
        return destination.toString() + "/" + prefixLength;
    }
}
