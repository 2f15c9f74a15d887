package dev.terway.dhcp.codec;

import dev.terway.net.Ipv4;
import java.util.ArrayList;
import java.util.List;

/**
 * Option 121 (RFC 3442 section 3): each route is a width octet, the significant octets of the
 * destination (width rounded up to whole octets) and the four octets of the router.
 */
final class ClasslessRoutesCodec implements OptionCodec<List<ClasslessRoute>> {

    @Override
    public List<ClasslessRoute> decode(WireReader in) throws DhcpParseException {
        if (!in.hasRemaining()) {
            throw new DhcpParseException("empty route list");
        }
        List<ClasslessRoute> routes = new ArrayList<>();
        while (in.hasRemaining()) {
            int index = routes.size() + 1;
            int width = in.u8("route " + index + " prefix length");
            if (width > 32) {
                throw new DhcpParseException("route " + index + " has prefix length " + width + " > 32");
            }
            int bits = 0;
            int octets = (width + 7) / 8;
            for (int i = 0; i < octets; i++) {
                bits |= in.u8("route " + index + " destination") << (24 - 8 * i);
            }
            Ipv4 destination = new Ipv4(bits);
            if (!destination.network(width).equals(destination)) {
                throw new DhcpParseException("route " + index + " destination " + destination
                        + " has bits set past its prefix length /" + width);
            }
            Ipv4 router = in.ipv4("route " + index + " router");
            routes.add(new ClasslessRoute(destination, width, router));
        }
        return List.copyOf(routes);
    }

    @Override
    public void encode(List<ClasslessRoute> routes, WireWriter out) {
        if (routes.isEmpty()) {
            throw new IllegalArgumentException("a route list needs at least one route");
        }
        for (ClasslessRoute route : routes) {
            out.u8(route.prefixLength());
            byte[] destination = route.destination().toBytes();
            out.bytes(destination, 0, route.significantOctets());
            out.ipv4(route.router());
        }
    }
}
