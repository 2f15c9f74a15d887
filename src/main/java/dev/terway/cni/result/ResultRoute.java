package dev.terway.cni.result;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/** A route of a CNI result; the attributes after {@code gw} exist from 1.1.0 on. */
public record ResultRoute(String dst, Optional<String> gw, OptionalInt mtu, OptionalInt advmss,
                          OptionalInt priority, OptionalInt table, OptionalInt scope) {

    public ResultRoute {
        Objects.requireNonNull(dst, "dst");
    }

    public static ResultRoute of(String dst, Optional<String> gw) {
        return new ResultRoute(dst, gw, OptionalInt.empty(), OptionalInt.empty(), OptionalInt.empty(),
                OptionalInt.empty(), OptionalInt.empty());
    }
}
