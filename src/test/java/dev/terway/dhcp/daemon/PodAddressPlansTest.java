package dev.terway.dhcp.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.netstate.IpAddress;
import dev.terway.netstate.IpJson;
import dev.terway.netstate.Family;
import dev.terway.netstate.Route;
import dev.terway.plan.Plan;
import dev.terway.plan.PlanPrinter;
import dev.terway.plan.Step;
import java.util.List;
import org.junit.jupiter.api.Test;

class PodAddressPlansTest {

    private static final HeldLease LEASE = Leases.sample("c1", "192.0.2.10");
    private static final HeldLease PLAIN = Leases.minimal("c2", "192.0.2.11");

    private static List<IpAddress> addresses(String dev, String... cidrs) {
        StringBuilder json = new StringBuilder("[{\"ifname\":\"" + dev + "\",\"addr_info\":[");
        for (int i = 0; i < cidrs.length; i++) {
            String[] parts = cidrs[i].split("/");
            json.append(i > 0 ? "," : "").append("{\"family\":\"inet\",\"local\":\"").append(parts[0])
                    .append("\",\"prefixlen\":").append(parts[1]).append(",\"valid_life_time\":30}");
        }
        return IpJson.addresses(json.append("]}]").toString());
    }

    private static List<Route> routes(String json) {
        return IpJson.routes(json, Family.INET);
    }

    private static List<List<String>> argv(Plan plan) {
        return plan.steps().stream().map(Step::argv).toList();
    }

    @Test
    void refreshChangesTheLifetimesOfAPresentAddressOnly() {
        Plan plan = PodAddressPlans.refresh(LEASE, addresses("eth0", "192.0.2.10/24"), Leases.BOUND.plusSeconds(60));
        assertEquals(List.of(List.of("nsenter", "--net=/run/netns/c1", "ip", "-4", "addr", "change", "192.0.2.10/24",
                "dev", "eth0", "valid_lft", "60", "preferred_lft", "60")), argv(plan));

        assertEquals(Plan.empty(), PodAddressPlans.refresh(LEASE, addresses("eth0"), Leases.BOUND));
        assertEquals(Plan.empty(), PodAddressPlans.refresh(LEASE, addresses("eth1", "192.0.2.10/24"), Leases.BOUND),
                "on another interface it is not the pod's lease address");
        assertEquals(Plan.empty(), PodAddressPlans.refresh(LEASE, addresses("eth0", "192.0.2.10/16"), Leases.BOUND));
    }

    @Test
    void aLifetimeNeverReachesZero() {
        Plan plan = PodAddressPlans.refresh(LEASE, addresses("eth0", "192.0.2.10/24"), Leases.BOUND.plusSeconds(500));
        assertTrue(argv(plan).get(0).containsAll(List.of("valid_lft", "1", "preferred_lft")));
    }

    @Test
    void removeDeletesThePresentAddress() {
        Plan plan = PodAddressPlans.remove(LEASE.identity(), "192.0.2.10/24", addresses("eth0", "192.0.2.10/24"),
                "lease expired");
        assertEquals(List.of(List.of("nsenter", "--net=/run/netns/c1", "ip", "-4", "addr", "del", "192.0.2.10/24",
                "dev", "eth0")), argv(plan));
        assertTrue(PlanPrinter.render(plan).contains("# lease of default/web-c1 eth0 ended (lease expired)"));
        assertEquals(Plan.empty(), PodAddressPlans.remove(LEASE.identity(), "192.0.2.10/24", addresses("eth0"), "x"));
    }

    @Test
    void restorePutsBackTheAddressAndTheMissingRoutes() {
        Plan plan = PodAddressPlans.restore(LEASE, addresses("eth0"), routes("[]"), Leases.BOUND.plusSeconds(20));
        assertEquals(List.of(
                List.of("nsenter", "--net=/run/netns/c1", "ip", "-4", "addr", "add", "192.0.2.10/24", "dev", "eth0",
                        "valid_lft", "100", "preferred_lft", "100"),
                List.of("nsenter", "--net=/run/netns/c1", "ip", "-4", "route", "replace", "0.0.0.0/0", "via",
                        "192.0.2.1", "dev", "eth0"),
                List.of("nsenter", "--net=/run/netns/c1", "ip", "-4", "route", "replace", "198.51.100.0/24", "dev",
                        "eth0")), argv(plan));
        assertEquals(List.of("nsenter", "--net=/run/netns/c1", "ip", "-4", "addr", "del", "192.0.2.10/24", "dev",
                "eth0"), plan.steps().get(0).undo().orElseThrow());

        Plan routesPresent = PodAddressPlans.restore(LEASE, addresses("eth0"),
                routes("[{\"dst\":\"default\",\"gateway\":\"192.0.2.1\",\"dev\":\"eth0\"},"
                        + "{\"dst\":\"198.51.100.0/24\",\"dev\":\"eth0\"}]"), Leases.BOUND);
        assertEquals(1, routesPresent.steps().size());
    }

    @Test
    void restoreWithoutClasslessRoutesUsesTheGatewayAndWithoutGatewayAddsNoRoute() {
        HeldLease gatewayOnly = new HeldLease(LEASE.identity(), LEASE.hardwareAddress(), LEASE.clientId(),
                LEASE.hostname(), LEASE.address(), 24, LEASE.gateway(), LEASE.server(), List.of(), LEASE.domain(),
                List.of(), List.of(), LEASE.mtu(), LEASE.boundAt(), LEASE.leaseTime(), LEASE.renewAt(), LEASE.rebindAt(),
                LEASE.expires());
        Plan plan = PodAddressPlans.restore(gatewayOnly, addresses("eth0"), routes("[]"), Leases.BOUND);
        assertEquals(List.of("nsenter", "--net=/run/netns/c1", "ip", "-4", "route", "replace", "0.0.0.0/0", "via",
                "192.0.2.1", "dev", "eth0"), argv(plan).get(1));

        assertEquals(1, PodAddressPlans.restore(PLAIN, addresses("eth0"), routes("[]"), Leases.BOUND).steps().size());
    }

    @Test
    void restoreOfAPresentAddressIsARefresh() {
        assertEquals(PodAddressPlans.refresh(LEASE, addresses("eth0", "192.0.2.10/24"), Leases.BOUND),
                PodAddressPlans.restore(LEASE, addresses("eth0", "192.0.2.10/24"), routes("[]"), Leases.BOUND));
    }
}
