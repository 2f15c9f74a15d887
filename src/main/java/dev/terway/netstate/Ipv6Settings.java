package dev.terway.netstate;

import java.util.Map;
import java.util.Optional;

/**
 * The {@link Ipv6Conf} of some devices, and of {@value #DEFAULT}: the settings a device created from now on
 * starts with. Empty when the kernel has no IPv6 ({@code ipv6.disable=1}).
 */
public record Ipv6Settings(Map<String, Ipv6Conf> devices) {

    /** The pseudo-device whose settings new devices copy. */
    public static final String DEFAULT = "default";

    public static final Ipv6Settings NONE = new Ipv6Settings(Map.of());

    public Ipv6Settings {
        devices = Map.copyOf(devices);
    }

    public Optional<Ipv6Conf> of(String device) {
        return Optional.ofNullable(devices.get(device));
    }

    public boolean available() {
        return !devices.isEmpty();
    }
}
