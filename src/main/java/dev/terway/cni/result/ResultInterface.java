package dev.terway.cni.result;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * An interface of a CNI result. {@code sandbox} is the netns path for interfaces inside the container and
 * absent for host interfaces; {@code mtu}, {@code socketPath} and {@code pciID} exist from 1.1.0 on.
 */
public record ResultInterface(String name, Optional<String> mac, OptionalInt mtu, Optional<String> sandbox,
                              Optional<String> socketPath, Optional<String> pciId) {

    public ResultInterface {
        Objects.requireNonNull(name, "name");
    }

    public static ResultInterface host(String name, String mac, int mtu) {
        return new ResultInterface(name, Optional.of(mac), OptionalInt.of(mtu), Optional.empty(), Optional.empty(),
                Optional.empty());
    }

    public static ResultInterface sandbox(String name, String mac, int mtu, String netns) {
        return new ResultInterface(name, Optional.of(mac), OptionalInt.of(mtu), Optional.of(netns),
                Optional.empty(), Optional.empty());
    }
}
