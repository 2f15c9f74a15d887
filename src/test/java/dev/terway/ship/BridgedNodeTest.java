package dev.terway.ship;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.migration.SetupRecord;
import dev.terway.migration.StateDirectory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BridgedNodeTest {

    @TempDir
    Path tmp;

    @Test
    void noRecordIsNotBridged() {
        assertEquals(Optional.empty(), BridgedNode.read(tmp.resolve("never-set-up")));
        assertEquals(Optional.empty(), BridgedNode.read(tmp));
    }

    @Test
    void aRecordSaysWhichInterfaceIsInWhichBridge() throws Exception {
        new StateDirectory(tmp).records().save(new SetupRecord("eth0", "mybr0", 1500, "52:54:00:12:34:56",
                List.of(), List.of()));
        assertEquals(Optional.of(new BridgedNode(tmp, "eth0 is bridged into mybr0 (record " + tmp.resolve("setup.json")
                + ")")), BridgedNode.read(tmp));
    }

    @Test
    void anUnreadableRecordStillCountsAsBridged() throws Exception {
        Files.writeString(tmp.resolve("setup.json"), "{ not json");
        BridgedNode node = BridgedNode.read(tmp).orElseThrow();
        assertTrue(node.what().startsWith("cannot read setup record " + tmp.resolve("setup.json")), node.what());
    }

    @Test
    void theTeardownCommandNamesTheStateDirOnlyWhenItIsNotTheDefault() {
        assertEquals("terway teardown", new BridgedNode(Path.of("/var/lib/terway"), "x").teardown("terway"));
        assertEquals("/rt/bin/terway teardown --state-dir /srv/t",
                new BridgedNode(Path.of("/srv/t"), "x").teardown("/rt/bin/terway"));
    }
}
