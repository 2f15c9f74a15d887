package dev.terway.cni.ipam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.cni.pod.NodeObserver;
import dev.terway.dhcp.daemon.PodIdentity;
import dev.terway.dhcp6.client.IaNaLease;
import dev.terway.dhcp6.codec.Duid;
import dev.terway.dhcp6.daemon.Dhcp6LeaseEvents;
import dev.terway.dhcp6.daemon.HeldLease6;
import dev.terway.net.Ipv6;
import dev.terway.plan.CommandResult;
import dev.terway.plan.CommandRunner;
import dev.terway.plan.PlanRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The DHCPv6 upkeep's plans, against a pod whose `ip -j addr` is scripted; nothing runs for real. */
class Dhcp6UpkeepTest {

    static final Instant NOW = Instant.parse("2030-01-01T00:01:00Z");

    @TempDir
    Path dir;

    final List<String> ran = new ArrayList<>();
    final List<String> fed = new ArrayList<>();
    final List<String> logged = new ArrayList<>();
    String addressJson;

    /** `ip -j addr show dev eth0` in the pod answers {@link #addressJson}; every other command succeeds. */
    final CommandRunner runner = new CommandRunner() {
        @Override
        public CommandResult run(List<String> argv) {
            ran.add(String.join(" ", argv));
            String out = argv.contains("addr") && argv.contains("show") ? addressJson : "";
            return new CommandResult(argv, 0, out, "", Duration.ZERO);
        }

        @Override
        public CommandResult run(List<String> argv, String input) {
            ran.add(String.join(" ", argv));
            fed.add(input);
            return new CommandResult(argv, 0, "", "", Duration.ZERO);
        }
    };

    /** Every command that changes the pod (all but the `ip -j` look), and what was fed to a batch. */
    String changes() {
        List<String> all = new ArrayList<>(ran.stream().filter(c -> !c.contains(" -j ")).toList());
        all.addAll(fed);
        return String.join("\n", all);
    }

    Dhcp6Upkeep upkeep() {
        return new Dhcp6Upkeep(new NodeObserver(runner), new PlanRunner(runner), Clock.fixed(NOW, ZoneOffset.UTC),
                event -> logged.add(event.event() + " " + event.message()));
    }

    HeldLease6 lease(long valid) throws Exception {
        Path netns = Files.createFile(dir.resolve("pod"));
        PodIdentity pod = new PodIdentity("c1", "eth0", netns, Optional.empty(), Optional.empty());
        IaNaLease lease = IaNaLease.of(Ipv6.parse("fd00:db8::1bd"), 1, Duid.forAttachment("c1", "eth0"),
                Optional.empty(), 0, 0, valid, valid, List.of(), List.of(), NOW.minusSeconds(60));
        return new HeldLease6(pod, Duid.forAttachment("c1", "eth0"), lease);
    }

    static String addr(String local, int prefix, long valid, long preferred) {
        return "[{\"ifindex\":2,\"ifname\":\"eth0\",\"flags\":[\"UP\"],\"mtu\":1500,\"operstate\":\"UP\","
                + "\"link_type\":\"ether\",\"address\":\"02:00:00:00:00:01\",\"addr_info\":[{\"family\":\"inet6\","
                + "\"local\":\"" + local + "\",\"prefixlen\":" + prefix + ",\"scope\":\"global\",\"valid_life_time\":"
                + valid + ",\"preferred_life_time\":" + preferred + "}]}]";
    }

    @Test
    void aRenewalSetsTheNewLifetimesOnTheAddressKeepingItsPrefix() throws Exception {
        addressJson = addr("fd00:db8::1bd", 64, 50, 50);
        upkeep().bound(Dhcp6LeaseEvents.Kind.RENEWED, lease(600));
        assertTrue(changes().contains("addr change fd00:db8::1bd/64 dev eth0 valid_lft 540 preferred_lft 540"),
                changes());
        assertTrue(logged.get(0).contains("renewed: fd00:db8::1bd/64 valid 540 s"), logged.toString());
    }

    @Test
    void aMissingAddressComesBackAsA128() throws Exception {
        addressJson = addr("fe80::1", 64, 4294967295L, 4294967295L);
        upkeep().bound(Dhcp6LeaseEvents.Kind.RESTORED, lease(600));
        assertTrue(changes().contains("addr add fd00:db8::1bd/128 dev eth0 valid_lft 540 preferred_lft 540"),
                changes());
    }

    @Test
    void lifetimesAlreadyRightChangeNothing() throws Exception {
        addressJson = addr("fd00:db8::1bd", 128, 540, 540);
        upkeep().bound(Dhcp6LeaseEvents.Kind.RENEWED, lease(600));
        assertEquals("", changes());
    }

    @Test
    void aLostLeaseTakesTheAddressOff() throws Exception {
        addressJson = addr("fd00:db8::1bd", 64, 5, 5);
        upkeep().lost(lease(600), "NotOnLink");
        assertTrue(changes().contains("addr del fd00:db8::1bd/64 dev eth0"), changes());
    }
}
