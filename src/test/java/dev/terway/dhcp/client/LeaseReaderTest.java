package dev.terway.dhcp.client;

import static dev.terway.dhcp.client.ClientFixtures.ADDRESS;
import static dev.terway.dhcp.client.ClientFixtures.SERVER;
import static dev.terway.dhcp.client.ClientFixtures.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.dhcp.codec.ClasslessRoute;
import dev.terway.dhcp.codec.DhcpMessage;
import dev.terway.dhcp.codec.DhcpOptions;
import dev.terway.dhcp.codec.HardwareAddress;
import dev.terway.net.Ipv4;
import dev.terway.dhcp.codec.MessageType;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class LeaseReaderTest {

    static Lease read(Consumer<DhcpMessage.Builder> options) throws LeaseReader.UnusableAck {
        return reading(options).lease();
    }

    static LeaseReader.Reading reading(Consumer<DhcpMessage.Builder> options) throws LeaseReader.UnusableAck {
        DhcpMessage.Builder b = DhcpMessage.builder().op(DhcpMessage.BOOTREPLY).xid(1)
                .chaddr(HardwareAddress.parse("02:00:00:00:00:01")).yiaddr(ADDRESS)
                .put(DhcpOptions.MESSAGE_TYPE, MessageType.ACK).put(DhcpOptions.SERVER_ID, SERVER)
                .put(DhcpOptions.SUBNET_MASK, Ipv4.parse("255.255.255.0"));
        options.accept(b);
        return LeaseReader.read(b.build(), T0, Optional.empty());
    }

    @Test
    void domainNameThatCouldInjectIntoResolvConfIsDropped() throws Exception {
        LeaseReader.Reading bad = reading(b -> b.put(DhcpOptions.LEASE_TIME, 60L)
                .putRaw(15, "lan\nnameserver 6.6.6.6".getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
        assertEquals(Optional.empty(), bad.lease().domainName());
        assertEquals(List.of("ignoring domain name \"lan\nnameserver 6.6.6.6\" (option 15) from 192.168.50.1: it "
                + "has a label with character 0xa (only letters, digits, '-' and '_')"), bad.warnings());
        LeaseReader.Reading good = reading(b -> b.put(DhcpOptions.LEASE_TIME, 60L).put(DhcpOptions.DOMAIN_NAME, "lan.local."));
        assertEquals(Optional.of("lan.local"), good.lease().domainName());
        assertEquals(List.of(), good.warnings());
    }

    @Test
    void t1AndT2DefaultToHalfAndSevenEighthsOfTheLease() throws Exception {
        Lease lease = read(b -> b.put(DhcpOptions.LEASE_TIME, 3600L));
        assertEquals(Duration.ofSeconds(1800), lease.renewalTime());
        assertEquals(Duration.ofSeconds(3150), lease.rebindingTime());
        assertEquals(T0.plusSeconds(1800), lease.renewAt());
        assertEquals(T0.plusSeconds(3150), lease.rebindAt());
        assertEquals(T0.plusSeconds(3600), lease.expiresAt());
        Lease odd = read(b -> b.put(DhcpOptions.LEASE_TIME, 7L));
        assertEquals(Duration.ofMillis(3500), odd.renewalTime());
        assertEquals(Duration.ofMillis(6125), odd.rebindingTime());
    }

    @Test
    void inconsistentServerTimesFallBackToDefaults() throws Exception {
        Lease t2TooLate = read(b -> b.put(DhcpOptions.LEASE_TIME, 100L).put(DhcpOptions.REBINDING_TIME, 200L)
                .put(DhcpOptions.RENEWAL_TIME, 30L));
        assertEquals(Duration.ofMillis(87_500), t2TooLate.rebindingTime());
        assertEquals(Duration.ofSeconds(30), t2TooLate.renewalTime());
        Lease t1AfterT2 = read(b -> b.put(DhcpOptions.LEASE_TIME, 100L).put(DhcpOptions.REBINDING_TIME, 40L)
                .put(DhcpOptions.RENEWAL_TIME, 60L));
        assertEquals(Duration.ofSeconds(40), t1AfterT2.rebindingTime());
        assertEquals(Duration.ofSeconds(40), t1AfterT2.renewalTime(), "default 50 s is past T2: T1 = T2");
    }

    @Test
    void infiniteLease() throws Exception {
        Lease lease = read(b -> b.put(DhcpOptions.LEASE_TIME, DhcpOptions.INFINITE_LEASE));
        assertTrue(lease.infinite());
        assertFalse(read(b -> b.put(DhcpOptions.LEASE_TIME, 60L)).infinite());
    }

    @Test
    void prefixFromMaskOrAddressClass() throws Exception {
        assertEquals(24, read(b -> b.put(DhcpOptions.LEASE_TIME, 60L)).prefixLength());
        assertEquals(24, read(b -> b.put(DhcpOptions.LEASE_TIME, 60L).remove(1)).prefixLength(), "without option 1, 192.168.50.23 is class C");
        assertEquals(8, LeaseReader.classfulPrefix(Ipv4.parse("10.1.2.3")));
        assertEquals(16, LeaseReader.classfulPrefix(Ipv4.parse("172.16.0.1")));
        assertEquals(24, LeaseReader.classfulPrefix(Ipv4.parse("192.168.1.1")));
        LeaseReader.UnusableAck e = assertThrows(LeaseReader.UnusableAck.class,
                () -> read(b -> b.put(DhcpOptions.LEASE_TIME, 60L).put(DhcpOptions.SUBNET_MASK, Ipv4.parse("255.0.255.0"))));
        assertEquals("non-contiguous subnet mask 255.0.255.0", e.getMessage());
    }

    @Test
    void ackWithoutEssentialsIsUnusable() {
        assertEquals("no lease time (option 51)",
                assertThrows(LeaseReader.UnusableAck.class, () -> read(b -> { })).getMessage());
        assertEquals("lease time 0",
                assertThrows(LeaseReader.UnusableAck.class, () -> read(b -> b.put(DhcpOptions.LEASE_TIME, 0L))).getMessage());
        assertEquals("no address (yiaddr 0.0.0.0)", assertThrows(LeaseReader.UnusableAck.class,
                () -> read(b -> b.put(DhcpOptions.LEASE_TIME, 60L).yiaddr(Ipv4.ANY))).getMessage());
        assertEquals("no server identifier (option 54)", assertThrows(LeaseReader.UnusableAck.class,
                () -> read(b -> b.put(DhcpOptions.LEASE_TIME, 60L).remove(54))).getMessage());
    }

    @Test
    void classlessRoutesOverrideRoutersForTheDefaultGateway() throws Exception {
        Lease both = read(b -> b.put(DhcpOptions.LEASE_TIME, 60L).put(DhcpOptions.ROUTERS, List.of(SERVER))
                .put(DhcpOptions.CLASSLESS_ROUTES, List.of(ClasslessRoute.of("0.0.0.0/0", "192.168.50.254"))));
        assertEquals(Optional.of(Ipv4.parse("192.168.50.254")), both.defaultGateway());
        Lease noDefault = read(b -> b.put(DhcpOptions.LEASE_TIME, 60L).put(DhcpOptions.ROUTERS, List.of(SERVER))
                .put(DhcpOptions.CLASSLESS_ROUTES, List.of(ClasslessRoute.of("10.0.0.0/8", "192.168.50.254"))));
        assertEquals(Optional.empty(), noDefault.defaultGateway(), "RFC 3442: option 3 is ignored with option 121");
        Lease routersOnly = read(b -> b.put(DhcpOptions.LEASE_TIME, 60L).put(DhcpOptions.ROUTERS, List.of(SERVER)));
        assertEquals(Optional.of(SERVER), routersOnly.defaultGateway());
    }

    @Test
    void leaseRejectsImpossibleTimes() {
        assertThrows(IllegalArgumentException.class, () -> new Lease(ADDRESS, 24, List.of(), SERVER, List.of(),
                Optional.empty(), List.of(), List.of(), Optional.empty(), Optional.empty(), Duration.ofSeconds(10),
                Duration.ofSeconds(20), Duration.ofSeconds(5), T0));
        Lease lease = DhcpClientTest.restoredLease(T0);
        assertEquals(Duration.ofSeconds(20), lease.remaining(T0.plusSeconds(100)));
        assertEquals(Duration.ZERO, lease.remaining(T0.plusSeconds(500)));
    }
}
