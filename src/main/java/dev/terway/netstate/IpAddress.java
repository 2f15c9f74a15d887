package dev.terway.netstate;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * An address on an interface as `ip -j addr show` reports it. Lifetimes are in seconds; {@link #FOREVER}
 * is the kernel's "forever".
 */
public record IpAddress(String dev, Family family, String local, int prefixLen, String scope, boolean secondary,
                        Optional<String> broadcast, Optional<String> label, long validLifetime,
                        long preferredLifetime) {

    public static final long FOREVER = 4294967295L;

    public String cidr() {
        return local + "/" + prefixLen;
    }

    public boolean isGlobal() {
        return "global".equals(scope);
    }

    public boolean isPermanent() {
        return validLifetime == FOREVER;
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
        // The address already belongs to this node; duplicate detection would only make it
        // unusable ("tentative") for a second while it moves.
        if (family == Family.INET6) {
            args.add("nodad");
        }
        args.addAll(List.of("dev", device));
        return args;
    }
}
