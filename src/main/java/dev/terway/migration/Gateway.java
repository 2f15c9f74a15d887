package dev.terway.migration;

import dev.terway.netstate.Family;

/**
 * A default gateway that setup checks before and after moving its route to the bridge.
 *
 * @param deviceBefore the device its route uses before the plan runs
 */
public record Gateway(Family family, String address, String deviceBefore) {
}
