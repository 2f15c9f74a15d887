package dev.terway.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.cni.pod.NetnsIdentity;
import dev.terway.netstate.Family;
import dev.terway.netstate.IpAddress;
import dev.terway.netstate.Ipv6Conf;
import dev.terway.netstate.Route;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SetupRecordStoreTest {

    @TempDir
    Path dir;

    @Test
    void aRecordSurvivesTheRoundTripExactly() throws Exception {
        SetupRecord record = BridgeMigrationTest.staticRoutesRecord();
        // plus the shapes the fixture lacks: an alias label, finite lifetimes, a route type and two flags
        IpAddress alias = new IpAddress("eth0", Family.INET, "10.99.0.8", 24, "global", true,
                Optional.of("10.99.0.255"), Optional.of("eth0:1"), 3600, 1800);
        Route typed = new Route(Family.INET, "10.94.0.0/16", Optional.empty(), Optional.of("eth0"),
                Optional.of("static"), Optional.of("link"), Optional.empty(), Optional.of(9),
                Set.of("onlink", "linkdown"), Optional.of("unicast"), Optional.empty());
        // and what router advertisements and NetworkManager leave: flags, a prefix-route metric, an expiry,
        // route metrics, the NIC's IPv6 settings
        IpAddress slaac = new IpAddress("eth0", Family.INET6, "2001:db8::aff:fe63:5", 64, "global", false,
                Optional.empty(), Optional.empty(), 600, 300, Set.of("mngtmpaddr", "noprefixroute"), Optional.of(100));
        Route learnt = new Route(Family.INET6, "default", Optional.of("fe80::1"), Optional.of("eth0"),
                Optional.of("ra"), Optional.empty(), Optional.empty(), Optional.of(100), Set.of(), Optional.empty(),
                Optional.of("medium"), Optional.of(1700), Map.of("hoplimit", "64", "mtu", "1450"));
        SetupRecord full = new SetupRecord(record.iface(), record.bridge(), 9000, record.mac(),
                Stream.concat(record.addresses().stream(), Stream.of(alias, slaac)).toList(),
                Stream.concat(record.routes().stream(), Stream.of(typed, learnt)).toList(),
                Optional.of(new Ipv6Conf(0, 2, 1, 1)), Optional.of(new SetupRecord.BridgedNamespace(
                        new NetnsIdentity(4, 4026531840L), "63cd0162-3260-4b04-be2a-47c6603cc60d")));
        SetupRecordStore store = new SetupRecordStore(dir.resolve("state/setup.json"));
        store.save(full);
        assertEquals(Optional.of(full), store.load());
        assertEquals(Optional.of(full), new SetupRecordStore(dir.resolve("state/setup.json")).load());
    }

    @Test
    void aRecordWrittenBeforeIpv6SettingsAndFlagsWereRecordedStillLoads() throws Exception {
        SetupRecordStore store = new SetupRecordStore(dir.resolve("setup.json"));
        Files.writeString(store.file(), """
                {"version": 1, "iface": "eth0", "bridge": "mybr0", "mtu": 1500, "mac": "02:00:0a:63:00:05",
                 "addresses": [{"dev": "eth0", "family": "inet", "local": "10.99.0.5", "prefixlen": 24,
                                "scope": "global", "secondary": false, "validLifetime": 4294967295,
                                "preferredLifetime": 4294967295}],
                 "routes": [{"family": "inet", "dst": "default", "gateway": "10.99.0.1", "dev": "eth0",
                             "flags": []}]}""");
        SetupRecord r = store.load().orElseThrow();
        assertEquals(Optional.empty(), r.nicIpv6());
        assertEquals(Optional.empty(), r.netns(), "nor which namespace was bridged");
        assertEquals(Set.of(), r.addresses().get(0).flags());
        assertEquals(Optional.empty(), r.routes().get(0).expires());
        assertEquals(Map.of(), r.routes().get(0).metrics());
    }

    @Test
    void theBridgedNamespaceCountsOnlyInTheBootItWasRecordedIn() throws Exception {
        NetnsIdentity id = new NetnsIdentity(4, 4026531840L);
        SetupRecord record = BridgeMigrationTest.staticRoutesRecord()
                .withNetns(Optional.of(new SetupRecord.BridgedNamespace(id, "boot-1")));
        SetupRecordStore store = new SetupRecordStore(dir.resolve("setup.json"));
        store.save(record);
        String json = Files.readString(store.file());
        assertTrue(json.contains("\"netns\" : {"), json);
        SetupRecord loaded = store.load().orElseThrow();
        assertEquals(Optional.of(id), loaded.bridgedNamespace("boot-1"));
        assertEquals(Optional.empty(), loaded.bridgedNamespace("boot-2"));
        assertEquals(Optional.empty(), BridgeMigrationTest.staticRoutesRecord().bridgedNamespace("boot-1"));
    }

    @Test
    void theCurrentNamespaceIsThisProcesssOwnInThisBoot() {
        SetupRecord.BridgedNamespace now = SetupRecord.BridgedNamespace.current().orElseThrow();
        assertEquals(NetnsIdentity.own(), Optional.of(now.identity()));
        assertEquals(SetupRecord.BridgedNamespace.thisBoot(), Optional.of(now.bootId()));
    }

    @Test
    void theFileIsPrivateVersionedAndLeavesNoTemporaryFiles() throws Exception {
        SetupRecordStore store = new SetupRecordStore(dir.resolve("setup.json"));
        store.save(BridgeMigrationTest.staticRoutesRecord());
        store.save(BridgeMigrationTest.staticRoutesRecord()); // replacing works as well
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(store.file())));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(store.file()), files.toList());
        }
        String json = Files.readString(store.file());
        assertTrue(json.contains("\"version\" : 1"), json);
        assertTrue(json.contains("\"iface\" : \"eth0\""), json);
    }

    @Test
    void noFileMeansNoRecordAndDeleteIsIdempotent() throws Exception {
        SetupRecordStore store = new SetupRecordStore(dir.resolve("setup.json"));
        assertEquals(Optional.empty(), store.load());
        store.save(BridgeMigrationTest.staticRoutesRecord());
        store.delete();
        assertFalse(Files.exists(store.file()));
        store.delete();
        assertEquals(Optional.empty(), store.load());
    }

    @Test
    void anUnreadableRecordIsAClearError() throws IOException {
        SetupRecordStore store = new SetupRecordStore(dir.resolve("setup.json"));
        Files.writeString(store.file(), "{\"version\": 1, \"iface\": ");
        MigrationException e = assertThrows(MigrationException.class, store::load);
        assertTrue(e.getMessage().startsWith("cannot read setup record " + store.file()), e.getMessage());

        Files.writeString(store.file(), "{\"version\": 2, \"iface\": \"eth0\"}");
        e = assertThrows(MigrationException.class, store::load);
        assertTrue(e.getMessage().contains("format version 2 is not the supported version 1"), e.getMessage());

        Files.writeString(store.file(), "{\"version\": 1, \"bridge\": \"mybr0\", \"mac\": \"02:00:00:00:00:01\"}");
        e = assertThrows(MigrationException.class, store::load);
        assertTrue(e.getMessage().contains("missing \"iface\""), e.getMessage());
    }

    @Test
    void aStateDirectoryThatCannotBeCreatedIsAClearError() throws IOException {
        Path file = dir.resolve("blocker");
        Files.writeString(file, "not a directory");
        SetupRecordStore store = new SetupRecordStore(file.resolve("setup.json"));
        MigrationException e = assertThrows(MigrationException.class,
                () -> store.save(BridgeMigrationTest.staticRoutesRecord()));
        assertTrue(e.getMessage().startsWith("cannot write setup record " + store.file()), e.getMessage());
    }
}
