package dev.terway.netstate;

import com.google.common.net.InetAddresses;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * An address on an interface as `ip -j addr show` reports it. Lifetimes are in seconds; {@link #FOREVER}
 * is the kernel's "forever".
 *
 * @param flags  the {@link #CONFIGURATION_FLAGS} the address has
 * @param metric the metric of the prefix route the kernel makes for the address, when one was set
 */
public record IpAddress(String dev, Family family, String local, int prefixLen, String scope, boolean secondary,
                        Optional<String> broadcast, Optional<String> label, long validLifetime,
                        long preferredLifetime, Set<String> flags, Optional<Integer> metric) {

    public static final long FOREVER = 4294967295L;

    /**
     * The address flags that `ip addr add` can set and that change how the kernel treats the address from
     * then on: {@code mngtmpaddr} (SLAAC: the kernel makes privacy addresses from it), {@code noprefixroute}
     * (no prefix route for it: NetworkManager and systemd-networkd add their own), {@code home} (Mobile IPv6).
     * State the kernel sets ({@code dynamic}, {@code tentative}, {@code temporary}, …) is not among them, nor
     * is {@code nodad}, which only decides whether duplicate detection runs when the address is added.
     */
    public static final Set<String> CONFIGURATION_FLAGS = Set.of("mngtmpaddr", "noprefixroute", "home");

    public IpAddress {
        flags = Set.copyOf(flags);
    }

    /** An address without flags or prefix-route metric. */
    public IpAddress(String dev, Family family, String local, int prefixLen, String scope, boolean secondary,
                     Optional<String> broadcast, Optional<String> label, long validLifetime, long preferredLifetime) {
        this(dev, family, local, prefixLen, scope, secondary, broadcast, label, validLifetime, preferredLifetime,
                Set.of(), Optional.empty());
    }

    public String cidr() {
        return local + "/" + prefixLen;
    }

    public boolean isGlobal() {
        return "global".equals(scope);
    }

    public boolean isPermanent() {
        return validLifetime == FOREVER;
    }

    public boolean hasPrefixRoute() {
        return !flags.contains("noprefixroute");
    }

    /**
     * Whether {@code route} is the prefix route the kernel makes for this address on its device (unless the
     * address has {@code noprefixroute}): a `proto kernel` link route to the address's network with the
     * address's metric (IPv4 default 0, IPv6 256).
     */
    public boolean isPrefixRoute(Route route) {
        if (!hasPrefixRoute() || route.family() != family || !route.isKernelRoute() || route.gateway().isPresent()
                || route.isDefault()) {
            return false;
        }
        int kernelMetric = metric.orElse(family == Family.INET ? 0 : 256);
        if (route.metric().orElse(0) != kernelMetric) {
            return false;
        }
        String[] dst = route.dst().split("/", 2);
        int len = dst.length == 2 ? Integer.parseInt(dst[1]) : (family == Family.INET ? 32 : 128);
        if (len != prefixLen || !InetAddresses.isInetAddress(dst[0])) {
            return false;
        }
        byte[] network = InetAddresses.forString(dst[0]).getAddress();
        byte[] own = InetAddresses.forString(local).getAddress();
        return network.length == own.length && Arrays.equals(masked(network, len), masked(own, len));
    }

    private static byte[] masked(byte[] address, int prefixLen) {
        for (int bit = prefixLen; bit < address.length * 8; bit++) {
            address[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
        }
        return address;
    }

    /**
     * The arguments after `ip -4|-6 addr add` that recreate this address on {@code device}. The label
     * is carried over only when it names this device's alias, because a label must start with the name
     * of the device it is on.
     */
    public List<String> addArgs(String device) {
        List<String> args = new ArrayList<>(List.of(cidr()));
        broadcast.ifPresent(b -> args.addAll(List.of("broadcast", b)));
        if (!"global".equals(scope)) {
            args.addAll(List.of("scope", scope));
        }
        label.filter(l -> l.startsWith(dev + ":"))
                .map(l -> device + l.substring(dev.length()))
                .ifPresent(l -> args.addAll(List.of("label", l)));
        if (!isPermanent()) {
            args.addAll(List.of("valid_lft", Long.toString(validLifetime),
                    "preferred_lft", Long.toString(preferredLifetime)));
        }
        args.addAll(new TreeSet<>(flags));
        metric.ifPresent(m -> args.addAll(List.of("metric", Integer.toString(m))));
        // The address already belongs to this node; duplicate detection would only make it
        // unusable ("tentative") for a second while it moves.
        if (family == Family.INET6) {
            args.add("nodad");
        }
        args.addAll(List.of("dev", device));
        return args;
    }
}
