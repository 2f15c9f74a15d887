package dev.terway.dhcp.codec;

import dev.terway.net.Ipv4;

/**
 * One route of option 121 (RFC 3442): a destination prefix and the router to reach it through.
 * A router of 0.0.0.0 means the destination is on-link. The destination carries no bits past its
 * prefix length, so it can be handed to {@code ip route} as it is.
 */
public record ClasslessRoute(Ipv4 destination, int prefixLength, Ipv4 router) {

    public ClasslessRoute {
        if (prefixLength < 0 || prefixLength > 32) {
            throw new IllegalArgumentException("prefix length out of range 0..32: " + prefixLength);
        }
        if (!destination.network(prefixLength).equals(destination)) {
            throw new IllegalArgumentException("destination " + destination + " has bits set past its prefix length /"
                    + prefixLength);
        }
    }

    /** Parses "10.0.0.0/8 via 192.0.2.1" style pieces. */
    public static ClasslessRoute of(String destinationCidr, String router) {
        int slash = destinationCidr.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("destination needs a prefix length: \"" + destinationCidr + "\"");
        }
        int prefix;
        try {
            prefix = Integer.parseInt(destinationCidr.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad prefix length in \"" + destinationCidr + "\"", e);
        }
        return new ClasslessRoute(Ipv4.parse(destinationCidr.substring(0, slash)), prefix, Ipv4.parse(router));
    }

    public String destinationCidr() {
        return destination + "/" + prefixLength;
    }

    public boolean isDefault() {
        return prefixLength == 0;
    }

    public boolean isOnLink() {
        return router.isAny();
    }

    /** Octets of the destination that travel on the wire: ceil(prefixLength / 8). */
    int significantOctets() {
        return (prefixLength + 7) / 8;
    }

    @Override
    public String toString() {
        return destinationCidr() + " via " + router;
    }
}
