package dev.terway.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.netstate.Family;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The two bits of `ip -j` that the migration package reads itself: bridge options and neighbours. */
class ParsingTest {

    @Test
    void bridgeOptionsComeFromTheLinkDetails() {
        assertEquals(Optional.of(new BridgeOptions(1, 400)), Fixture.of("partial-bridge").bridgeOptions("mybr0"));
        assertEquals(Optional.of(BridgeOptions.WANTED), Fixture.of("migrated").bridgeOptions("mybr0"));
        assertEquals(Optional.empty(), Fixture.of("name-taken").bridgeOptions("mybr0"), "a veth is no bridge");
        assertEquals(Optional.empty(), Fixture.of("default-route").bridgeOptions("mybr0"));
        assertThrows(IllegalArgumentException.class, () -> BridgeOptions.parse("[{", "mybr0"));
    }

    @Test
    void neighboursKnowTheirFamilyDeviceAndWhetherTheyWereLearnt() {
        List<Neighbour> n = Fixture.of("migrated").neighbours();
        assertEquals(List.of(
                new Neighbour(Family.INET, "10.99.0.1", "mybr0", "02:00:0a:63:00:01", Set.of("REACHABLE")),
                new Neighbour(Family.INET6, "2001:db8::1", "mybr0", "02:00:0a:63:00:01", Set.of("REACHABLE"))), n);
        assertTrue(n.get(0).isLearnt());
        assertFalse(new Neighbour(Family.INET, "10.0.0.1", "eth0", "", Set.of("INCOMPLETE")).isLearnt());
        assertFalse(new Neighbour(Family.INET, "10.0.0.1", "eth0", "02:00:00:00:00:01", Set.of("PERMANENT"))
                .isLearnt());
        assertEquals(List.of(), Neighbour.parse(""));
        assertThrows(IllegalArgumentException.class, () -> Neighbour.parse("{}"));
    }
}
