package dev.terway.dhcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.terway.daemon.DaemonClient;
import dev.terway.daemon.Response;
import dev.terway.it.DaemonProcess;
import dev.terway.it.NetnsLab;
import dev.terway.metrics.ExpositionText;
import dev.terway.net.Ipv6;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The daemon's DHCPv6 leases as a real process against real dnsmasq (--enable-ra, a managed range, 2 minute
 * leases: T1 1 min, T2 1 min 45 s), over the real JNI socket in a pod namespace on the node's bridge: acquire,
 * the renewal at T1 (RENEW in dnsmasq's log, the pod's address re-timed), a daemon killed and started again
 * (the stored lease restored with CONFIRM), release (RELEASE in dnsmasq's log). After each step the daemon's
 * /metrics are scraped in the node's namespace: the {@code family="ipv6"} series move as the step says, the
 * {@code ipv4} ones stay still. Root only; about 80 s.
 */
class Dhcp6DaemonIT {

    private static final String METRICS_HOST = "127.0.0.1";
    private static final int METRICS_PORT = 9153;

    private static ExpositionText scrape(DhcpLab lab) {
        return ExpositionText.parse(DaemonProcess.scrapeMetrics(lab.node, METRICS_HOST, METRICS_PORT));
    }

    private static double exchanges6(ExpositionText text, String exchange, String outcome) {
        return text.require("terway_dhcp_exchanges_total", "family", "ipv6", "exchange", exchange, "outcome", outcome);
    }

    private static double leases6(ExpositionText text, String state) {
        return text.require("terway_dhcp_leases", "family", "ipv6", "state", state);
    }

    private static Response call(DhcpLab lab, String request) throws IOException {
        return new DaemonClient(lab.socket, Duration.ofSeconds(30)).call(request);
    }

    private static long validLifetime(String pod, String address) throws IOException {
        JsonNode info = DhcpLab.JSON.readTree(NetnsLab.ip(pod, "-j", "-6", "addr", "show", "dev", "eth0"))
                .get(0).get("addr_info");
        for (JsonNode a : info) {
            if (a.get("local").asText().equals(address)) {
                return a.get("valid_life_time").asLong();
            }
        }
        return -1;
    }

    @Test
    void acquireRenewRestartAndReleaseAgainstDnsmasq() throws Exception {
        try (DhcpLab lab = new DhcpLab()) {
            NetnsLab.DhcpServer dhcp6 = lab.lab.startDhcp6Server(lab.lab.net().lanV6(0x100),
                    lab.lab.net().lanV6(0x1ff));
            String pod = lab.addPod("p1");
            String metricsAt = METRICS_HOST + ":" + METRICS_PORT;
            lab.startDaemon("--metrics-address", metricsAt);
            ExpositionText before = scrape(lab);
            assertEquals(0, leases6(before, "bound"));
            assertEquals(0, exchanges6(before, "solicit", "advertise"));
            assertEquals(0, before.require("terway_dhcp_leases_restored", "family", "ipv6"));

            long start = System.nanoTime();
            Response acquired = call(lab, "{\"op\":\"acquire6\",\"containerId\":\"c6\",\"netns\":\""
                    + DhcpLab.netnsPath(pod) + "\",\"ifname\":\"eth0\",\"podNamespace\":\"default\","
                    + "\"podName\":\"web-6\",\"timeoutMs\":10000}");
            long tookMs = (System.nanoTime() - start) / 1_000_000;
            assertEquals(0, acquired.status(), acquired.body() + "\n" + lab.log() + "\n" + DhcpLab.read(dhcp6.log()));
            JsonNode lease = DhcpLab.JSON.readTree(acquired.body());
            Ipv6 address = Ipv6.parse(lease.get("address").asText());
            assertTrue(address.compareTo(Ipv6.parse(lab.lab.net().lanV6(0x100))) >= 0
                    && address.compareTo(Ipv6.parse(lab.lab.net().lanV6(0x1ff))) <= 0, "from the range: " + lease);
            assertEquals(120, lease.get("validLifetime").asLong());
            assertEquals(lab.lab.net().lanV6(0xfe), lease.get("dns").get(0).asText());
            assertEquals("lan.test", lease.get("search").get(0).asText());
            System.out.println("DHCPv6 lease " + address + " for a pod whose veth had just come up in " + tookMs
                    + " ms (link-local DAD included)");
            String log6 = DhcpLab.read(dhcp6.log());
            assertTrue(log6.contains("DHCPSOLICIT(sw0)") && log6.contains("DHCPREQUEST(sw0)")
                    && log6.contains("DHCPREPLY(sw0) " + address), log6);
            String duid = lease.get("duid").asText();
            assertTrue(DhcpLab.read(dhcp6.leaseFile()).contains(address.toString()), DhcpLab.read(dhcp6.leaseFile()));

            DhcpLab.Run list = lab.cli("list");
            JsonNode listed = list.json();
            boolean found = false;
            for (JsonNode l : listed) {
                found |= "ipv6".equals(l.path("family").asText())
                        && address.toString().equals(l.path("address").asText());
            }
            assertTrue(found, "terway dhcp list shows the DHCPv6 lease: " + list.out());
            assertTrue(lab.cli("list", "--table").out().contains("ipv6"), "a FAMILY column");
            JsonNode stats = lab.cli("stats").json();
            assertTrue(stats.toString().contains("dhcp6SolicitSent") && stats.toString().contains("dhcp6ReplyReceived"),
                    stats.toString());

            ExpositionText acquiredMetrics = scrape(lab);
            assertEquals(1, exchanges6(acquiredMetrics, "solicit", "advertise"));
            assertEquals(1, exchanges6(acquiredMetrics, "request", "reply"));
            assertEquals(0, exchanges6(acquiredMetrics, "solicit", "timeout"));
            assertEquals(1, leases6(acquiredMetrics, "bound"));
            assertEquals(0, acquiredMetrics.require("terway_dhcp_leases", "family", "ipv4", "state", "bound"),
                    "the families apart");
            assertEquals(1, acquiredMetrics.require("terway_dhcp_time_to_lease_seconds_count", "family", "ipv6"));
            double timeToLease = acquiredMetrics.require("terway_dhcp_time_to_lease_seconds_sum", "family", "ipv6");
            assertTrue(timeToLease > 0 && timeToLease <= tookMs / 1000.0, "within the acquire call's " + tookMs
                    + " ms: " + timeToLease);
            System.out.printf("metrics: DHCPv6 time to lease %.3f s (the acquire call took %d ms)%n", timeToLease,
                    tookMs);

            // What ADD does with the lease: the address on the pod with the lease's lifetimes.
            NetnsLab.ip(pod, "-6", "addr", "add", address + "/128", "dev", "eth0", "valid_lft", "120",
                    "preferred_lft", "120", "nodad");

            // T1 is 60 s: the RENEW goes out, dnsmasq answers, the daemon re-times the pod's address.
            DhcpLab.waitFor("dnsmasq sees the RENEW", Duration.ofSeconds(90),
                    () -> DhcpLab.read(dhcp6.log()).contains("DHCPRENEW(sw0)"));
            DhcpLab.waitFor("the daemon renews", Duration.ofSeconds(20),
                    () -> lab.log().contains("renewed DHCPv6 lease of default/web-6 eth0 address " + address));
            DhcpLab.waitFor("the pod's address gets the renewed lifetime", Duration.ofSeconds(20), () -> {
                try {
                    return validLifetime(pod, address.toString()) > 100;
                } catch (IOException e) {
                    return false;
                }
            });
            ExpositionText renewedMetrics = scrape(lab);
            assertTrue(exchanges6(renewedMetrics, "renew", "reply") >= 1, lab.log());
            assertEquals(1, leases6(renewedMetrics, "bound"));
            assertEquals(0, renewedMetrics.require("terway_dhcp_renewals_missed_total", "family", "ipv6"));
            assertEquals(0, renewedMetrics.require("terway_dhcp_renewals_late_total", "family", "ipv6"),
                    "the RENEW left at T1");
            assertEquals(0, renewedMetrics.require("terway_dhcp_leases_lost_total", "family", "ipv6", "reason",
                    "expired"));

            // A daemon killed and started again takes the stored lease up: CONFIRM before the next T1.
            assertTrue(Files.exists(lab.stateDir.resolve("leases/dhcp6@c6@eth0.json")));
            lab.killDaemon();
            lab.startDaemon("--metrics-address", metricsAt);
            DhcpLab.waitFor("the restored lease is confirmed", Duration.ofSeconds(20),
                    () -> lab.log().contains("restored DHCPv6 lease of default/web-6 eth0 address " + address));
            assertTrue(DhcpLab.read(dhcp6.log()).contains("DHCPCONFIRM(sw0)"), DhcpLab.read(dhcp6.log()));
            assertTrue(lab.log().contains("1 stored DHCPv6 lease(s) taken up"), lab.log());
            assertEquals(duid,
                    DhcpLab.JSON.readTree(Files.readString(lab.stateDir.resolve("leases/dhcp6@c6@eth0.json")))
                    .get("duid").asText(), "the same DUID after the restart");
            ExpositionText restoredMetrics = scrape(lab);
            assertEquals(1, restoredMetrics.require("terway_dhcp_leases_restored", "family", "ipv6"));
            assertEquals(0, restoredMetrics.require("terway_dhcp_leases_restored", "family", "ipv4"));
            assertEquals(1, exchanges6(restoredMetrics, "confirm", "reply"));
            assertEquals(1, leases6(restoredMetrics, "bound"));
            assertEquals(0, restoredMetrics.require("terway_dhcp_time_to_lease_seconds_count", "family", "ipv6"),
                    "a restore is no ADD's time to lease");

            Response released = call(lab, "{\"op\":\"release6\",\"containerId\":\"c6\",\"ifname\":\"eth0\"}");
            assertEquals(0, released.status(), released.body());
            assertTrue(DhcpLab.JSON.readTree(released.body()).get("released").asBoolean());
            DhcpLab.waitFor("dnsmasq sees the RELEASE", Duration.ofSeconds(10),
                    () -> DhcpLab.read(dhcp6.log()).contains("DHCPRELEASE(sw0)"));
            assertFalse(Files.exists(lab.stateDir.resolve("leases/dhcp6@c6@eth0.json")));
            assertFalse(lab.cli("list").out().contains("ipv6"), lab.cli("list").out());
            ExpositionText releasedMetrics = scrape(lab);
            assertEquals(1, exchanges6(releasedMetrics, "release", "sent"));
            assertEquals(0, leases6(releasedMetrics, "bound"));
            assertEquals(0, releasedMetrics.require("terway_dhcp_leases_lost_total", "family", "ipv6", "reason",
                    "not_on_link"));
        }
    }

    @Test
    void aLeaseWhosePodNetnsWentWhileTheDaemonWasDownIsReleasedFromTheNode() throws Exception {
        try (DhcpLab lab = new DhcpLab()) {
            // Router lifetime 300 s: the node learns its IPv6 default route on the bridge, the link the RELEASE
            // leaves from under `terway dhcp daemon` (under `terway run` it is the setup's bridge).
            NetnsLab.DhcpServer dhcp6 = lab.lab.startDhcp6Server(lab.lab.net().lanV6(0x100),
                    lab.lab.net().lanV6(0x1ff), "--ra-param=" + NetnsLab.SWITCH + ",3,300");
            String pod = lab.addPod("gone");
            lab.startDaemon();
            Response acquired = call(lab, "{\"op\":\"acquire6\",\"containerId\":\"c7\",\"netns\":\""
                    + DhcpLab.netnsPath(pod) + "\",\"ifname\":\"eth0\",\"podNamespace\":\"default\","
                    + "\"podName\":\"gone\",\"timeoutMs\":10000}");
            assertEquals(0, acquired.status(), acquired.body() + "\n" + lab.log());
            String address = DhcpLab.JSON.readTree(acquired.body()).get("address").asText();
            assertTrue(DhcpLab.read(dhcp6.leaseFile()).contains(address));

            lab.killDaemon();
            assertEquals(0, new ProcessBuilder("ip", "netns", "del", pod).inheritIO().start().waitFor(),
                    "the pod went while the daemon was down");
            DhcpLab.waitFor("the node learns its IPv6 default route", Duration.ofSeconds(15),
                    () -> NetnsLab.ip(lab.node, "-6", "route", "show", "default").contains("dev"));
            lab.startDaemon();
            DhcpLab.waitFor("dnsmasq sees the RELEASE from the node", Duration.ofSeconds(10),
                    () -> DhcpLab.read(dhcp6.log()).contains("DHCPRELEASE(sw0)"));
            DhcpLab.waitFor("dnsmasq drops the lease", Duration.ofSeconds(5),
                    () -> !DhcpLab.read(dhcp6.leaseFile()).contains(address));
            assertTrue(lab.log().contains("released DHCPv6 lease of default/gone eth0 address " + address)
                    && lab.log().contains("from the node's "), lab.log());
            assertFalse(Files.exists(lab.stateDir.resolve("leases/dhcp6@c7@eth0.json")));
        }
    }
}
