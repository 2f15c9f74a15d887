package dev.terway.cli.dhcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.cni.pod.NetnsIdentity;
import dev.terway.cni.pod.NodeNamespaces;
import dev.terway.migration.SetupRecord;
import dev.terway.migration.SetupRecordStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon refuses its own namespace and the one `terway setup` bridged (from the setup record of this
 * boot, read at every check). A plain file stands in for the bridged namespace.
 */
class DaemonNodeNamespacesTest {

    static final SetupRecord RECORD = new SetupRecord("eth0", "mybr0", 1500, "02:00:0a:63:00:05", List.of(),
            List.of());

    @TempDir
    Path dir;

    final List<String> warnings = new ArrayList<>();

    @Test
    void theDaemonsOwnNamespaceAndTheBridgedOneOfThisBootAreRefused() throws Exception {
        SetupRecordStore store = new SetupRecordStore(dir.resolve("setup.json"));
        NodeNamespaces node = DhcpDaemonCommand.nodeNamespaces(store, warnings::add);
        Path bridged = Files.createFile(dir.resolve("bridged-netns"));

        assertTrue(node.problem("/proc/self/ns/net").orElseThrow().contains("the namespace the terway daemon runs in"));
        assertEquals(Optional.empty(), node.problem(bridged.toString()), "no record yet");

        String boot = SetupRecord.BridgedNamespace.thisBoot().orElseThrow();
        NetnsIdentity id = NetnsIdentity.of(bridged).orElseThrow();
        store.save(RECORD.withNetns(Optional.of(new SetupRecord.BridgedNamespace(id,
                boot))));
        assertTrue(node.problem(bridged.toString()).orElseThrow().contains("the namespace `terway setup` bridged"),
                "setup ran after the daemon started");

        store.save(RECORD.withNetns(Optional.of(new SetupRecord.BridgedNamespace(id,
                "an-earlier-boot"))));
        assertEquals(Optional.empty(), node.problem(bridged.toString()), "identities of another boot mean nothing");

        store.save(RECORD);
        assertEquals(Optional.empty(), node.problem(bridged.toString()), "an older record without it");
        assertTrue(node.problem("/proc/self/ns/net").isPresent(), "falls back to the daemon's own");
        assertEquals(List.of(), warnings);
    }

    @Test
    void anUnreadableRecordIsWarnedOnceAndTheDaemonsOwnStillRefused() throws Exception {
        SetupRecordStore store = new SetupRecordStore(dir.resolve("setup.json"));
        Files.writeString(store.file(), "{\"version\": 1, \"iface\": ");
        NodeNamespaces node = DhcpDaemonCommand.nodeNamespaces(store, warnings::add);
        for (int i = 0; i < 3; i++) {
            assertTrue(node.problem("/proc/self/ns/net").isPresent());
        }
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains("cannot read setup record"), warnings.toString());
    }
}
