package dev.terway.ship;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PortmapModeTest {

    @Test
    void autoFollowsWhetherPortmapIsInstalledOnAndOffDoNot() {
        assertTrue(PortmapMode.AUTO.chains(true));
        assertFalse(PortmapMode.AUTO.chains(false));
        assertTrue(PortmapMode.ON.chains(true));
        assertTrue(PortmapMode.ON.chains(false));
        assertFalse(PortmapMode.OFF.chains(true));
        assertFalse(PortmapMode.OFF.chains(false));
    }

    @Test
    void parsesTheOptionsLowerCaseWordsOnly() {
        assertEquals(PortmapMode.AUTO, PortmapMode.parse("auto"));
        assertEquals(PortmapMode.ON, PortmapMode.parse("on"));
        assertEquals(PortmapMode.OFF, PortmapMode.parse("off"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PortmapMode.parse("yes"));
        assertEquals("expected auto, on or off, got 'yes'", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PortmapMode.parse("AUTO"));
    }
}
