package dev.terway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.netstate.Family;
import dev.terway.netstate.IpJson;
import dev.terway.netstate.NetState;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The integration tests decide "unchanged" and "moved to the bridge" through this normalisation; if it
 * called different states equal, they could not fail. Runs as a unit test (no root).
 */
class NsStateTest {

    private static final String LINKS = """
            [{"ifindex":3,"ifname":"eth0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1450,
              "operstate":"UP","address":"12:50:a0:8c:1b:da","linkinfo":{"info_kind":"veth"}}]""";
    private static final String ADDRS = """
            [{"ifindex":3,"ifname":"eth0","addr_info":[
              {"family":"inet","local":"10.1.2.10","prefixlen":24,"broadcast":"10.1.2.255","scope":"global",
               "label":"eth0","valid_life_time":4294967295,"preferred_life_time":4294967295},
              {"family":"inet6","local":"fd00:1:2::a","prefixlen":64,"scope":"global",
               "valid_life_time":4294967295,"preferred_life_time":4294967295},
              {"family":"inet6","local":"fe80::1050:a0ff:fe8c:1bda","prefixlen":64,"scope":"link",
               "valid_life_time":4294967295,"preferred_life_time":4294967295}]}]""";
    private static final String ROUTES4 = """
            [{"dst":"default","gateway":"10.1.2.1","dev":"eth0","flags":[]},
             {"dst":"172.17.2.0/24","gateway":"10.1.2.2","dev":"eth0","prefsrc":"10.1.2.10","metric":50,"flags":[]},
             {"dst":"10.1.2.0/24","dev":"eth0","protocol":"kernel","scope":"link","prefsrc":"10.1.2.10","flags":[]}]""";
    private static final String ROUTES6 = """
            [{"dst":"fd00:1:2::/64","dev":"eth0","protocol":"kernel","metric":256,"flags":[],"pref":"medium"},
             {"dst":"fe80::/64","dev":"eth0","protocol":"kernel","metric":256,"flags":[],"pref":"medium"},
             {"dst":"default","gateway":"fd00:1:2::1","dev":"eth0","metric":1024,"flags":[],"pref":"medium"}]""";

    private static NetState state(String links, String addrs, String routes4, String routes6) {
        List<dev.terway.netstate.Route> routes = new java.util.ArrayList<>(IpJson.routes(routes4, Family.INET));
        routes.addAll(IpJson.routes(routes6, Family.INET6));
        return new NetState(IpJson.links(links), IpJson.addresses(addrs), routes);
    }

    private static NetState original() {
        return state(LINKS, ADDRS, ROUTES4, ROUTES6);
    }

    /** What router advertisements give a node (from a real `ip -j` on a SLAAC LAN). */
    private static final String RA_ADDRS = """
            [{"ifindex":3,"ifname":"eth0","addr_info":[
              {"family":"inet6","local":"fd00:1:2:0:1050:a0ff:fe8c:1bda","prefixlen":64,"scope":"global",
               "dynamic":true,"mngtmpaddr":true,"valid_life_time":598,"preferred_life_time":598}]}]""";
    private static final String RA_ROUTES6 = """
            [{"dst":"fd00:1:2::/64","dev":"eth0","protocol":"kernel","metric":256,"flags":[],"expires":598,
              "pref":"medium"},
             {"dst":"default","gateway":"fe80::1","dev":"eth0","protocol":"ra","metric":1024,"flags":[],
              "expires":298,"metrics":[{"hoplimit":64}],"pref":"medium"}]""";

    private static NetState ra(String addrs, String routes6) {
        return state(LINKS, addrs, "[]", routes6);
    }

    @Test
    void ignoresWhatTheKernelChangesByItself() {
        NetState renumbered = state(LINKS.replace("\"ifindex\":3", "\"ifindex\":7")
                        .replace("\"operstate\":\"UP\"", "\"operstate\":\"UNKNOWN\""),
                ADDRS.replace("\"ifindex\":3", "\"ifindex\":7"), ROUTES4, ROUTES6);
        assertEquals("", NsState.of(original()).diff(NsState.of(renumbered)));
        NetState later = ra(RA_ADDRS.replace("598", "431"), RA_ROUTES6.replace("598", "431").replace("298", "17"));
        assertEquals("", NsState.of(ra(RA_ADDRS, RA_ROUTES6)).diff(NsState.of(later)), "lifetimes count down");
    }

    @Test
    void seesWhatRouterAdvertisementsConfiguredChange() {
        NsState before = NsState.of(ra(RA_ADDRS, RA_ROUTES6));
        List<NetState> changed = List.of(
                ra(RA_ADDRS.replace("\"mngtmpaddr\":true,", ""), RA_ROUTES6),
                ra(RA_ADDRS.replace("\"mngtmpaddr\":true,", "\"mngtmpaddr\":true,\"noprefixroute\":true,"), RA_ROUTES6),
                ra(RA_ADDRS.replace("\"valid_life_time\":598", "\"valid_life_time\":4294967295"), RA_ROUTES6),
                ra(RA_ADDRS, RA_ROUTES6.replace("\"expires\":598,", "")),
                ra(RA_ADDRS, RA_ROUTES6.replace("\"expires\":298,", "")),
                ra(RA_ADDRS, RA_ROUTES6.replace("\"metrics\":[{\"hoplimit\":64}],", "")),
                ra(RA_ADDRS, RA_ROUTES6.replace("\"dev\":\"eth0\",\"protocol\":\"ra\"",
                        "\"dev\":\"mybr0\",\"protocol\":\"ra\"")));
        for (NetState c : changed) {
            assertFalse(before.diff(NsState.of(c)).isEmpty(), () -> "no difference seen in " + NsState.of(c));
        }
        assertEquals(List.of("inet6 default via fe80::1 dev eth0 proto ra metric 1024 expires hoplimit 64 pref medium",
                        "inet6 fd00:1:2::/64 dev eth0 proto kernel metric 256 expires pref medium"),
                before.routes());
        assertEquals(List.of("eth0 inet6 fd00:1:2:0:1050:a0ff:fe8c:1bda/64 scope global dynamic mngtmpaddr"),
                before.addresses());
    }

    @Test
    void seesEveryChangeThatMatters() {
        NsState before = NsState.of(original());
        List<NetState> changed = List.of(
                state(LINKS.replace("1450", "1500"), ADDRS, ROUTES4, ROUTES6),
                state(LINKS.replace("12:50:a0", "12:50:a1"), ADDRS, ROUTES4, ROUTES6),
                state(LINKS.replace("\"UP\",\"LOWER_UP\"", "\"LOWER_UP\""), ADDRS, ROUTES4, ROUTES6),
                state(LINKS.replace("\"mtu\"", "\"master\":\"mybr0\",\"mtu\""), ADDRS, ROUTES4, ROUTES6),
                state(LINKS, ADDRS.replace("10.1.2.10\"", "10.1.2.11\""), ROUTES4, ROUTES6),
                state(LINKS, ADDRS.replace("\"prefixlen\":24", "\"prefixlen\":25"), ROUTES4, ROUTES6),
                state(LINKS, ADDRS.replace("fe80::1050", "fe80::1051"), ROUTES4, ROUTES6),
                state(LINKS, ADDRS, ROUTES4.replace("\"metric\":50", "\"metric\":51"), ROUTES6),
                state(LINKS, ADDRS, ROUTES4.replace("\"prefsrc\":\"10.1.2.10\",\"metric\"", "\"metric\""), ROUTES6),
                state(LINKS, ADDRS, ROUTES4.replace("\"flags\":[]}]", "\"flags\":[\"linkdown\"]}]"), ROUTES6),
                state(LINKS, ADDRS, ROUTES4, ROUTES6.replace("fd00:1:2::1", "fd00:1:2::2")));
        for (NetState c : changed) {
            assertFalse(before.diff(NsState.of(c)).isEmpty(), () -> "no difference seen in " + NsState.of(c));
        }
    }

    @Test
    void diffNamesMissingAndUnexpectedLines() {
        NetState moved = state(LINKS, ADDRS, ROUTES4.replace("\"metric\":50", "\"metric\":51"), ROUTES6);
        String diff = NsState.of(original()).diff(NsState.of(moved));
        assertTrue(diff.contains("missing route: inet 172.17.2.0/24 via 10.1.2.2 dev eth0 src 10.1.2.10 metric 50"), diff);
        assertTrue(diff.contains("unexpected route: inet 172.17.2.0/24 via 10.1.2.2 dev eth0 src 10.1.2.10 metric 51"), diff);
    }

    @Test
    void movedRoutesAndAddressesChangeOnlyTheDevice() {
        assertEquals(List.of(
                        "inet 10.1.2.0/24 dev mybr0 proto kernel scope link src 10.1.2.10",
                        "inet 172.17.2.0/24 via 10.1.2.2 dev mybr0 src 10.1.2.10 metric 50",
                        "inet default via 10.1.2.1 dev mybr0",
                        "inet6 default via fd00:1:2::1 dev mybr0 metric 1024 pref medium",
                        "inet6 fd00:1:2::/64 dev mybr0 proto kernel metric 256 pref medium"),
                NsState.routesMoved(original(), "eth0", "mybr0"));
        assertEquals(List.of(
                        "mybr0 inet 10.1.2.10/24 scope global brd 10.1.2.255",
                        "mybr0 inet6 fd00:1:2::a/64 scope global"),
                NsState.addressesMoved(original(), "eth0", "mybr0"));
        assertEquals(List.of(), NsState.addressesWithoutLinkLocal(original(), "mybr0"));
    }
}
