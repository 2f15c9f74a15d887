package dev.terway.cni.result;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * An address of a CNI result: {@code address} in CIDR form, the subnet's gateway, and the index of the
 * interface (in the result's interface list) it is on.
 */
public record ResultIp(String address, Optional<String> gateway, OptionalInt interfaceIndex) {

    public ResultIp {
        Objects.requireNonNull(address, "address");
    }

    /** "4" or "6", which results of 0.3.x and 0.4.0 carry as "version". */
    public String family() {
        return address.indexOf(':') >= 0 ? "6" : "4";
    }

    public ResultIp withInterface(int index) {
        return new ResultIp(address, gateway, OptionalInt.of(index));
    }
}
