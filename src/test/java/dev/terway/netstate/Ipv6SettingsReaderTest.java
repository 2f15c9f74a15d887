package dev.terway.netstate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.plan.CommandResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class Ipv6SettingsReaderTest {

    private final List<List<String>> ran = new ArrayList<>();

    private Ipv6SettingsReader answering(int exit, String out, String err) {
        return new Ipv6SettingsReader(argv -> {
            ran.add(argv);
            return new CommandResult(argv, exit, out, err, Duration.ZERO);
        });
    }

    @Test
    void readsTheDefaultsAndEachDeviceInOneSysctl() {
        Ipv6Settings s = answering(0, "0\n1\n1\n0\n0\n2\n0\n1\n", "").read(List.of("eth0.100"));
        assertEquals(List.of(List.of("sysctl", "-n",
                "net/ipv6/conf/default/disable_ipv6", "net/ipv6/conf/default/accept_ra",
                "net/ipv6/conf/default/autoconf", "net/ipv6/conf/default/forwarding",
                "net/ipv6/conf/eth0.100/disable_ipv6", "net/ipv6/conf/eth0.100/accept_ra",
                "net/ipv6/conf/eth0.100/autoconf", "net/ipv6/conf/eth0.100/forwarding")), ran);
        assertEquals(Map.of(Ipv6Settings.DEFAULT, new Ipv6Conf(0, 1, 1, 0), "eth0.100", new Ipv6Conf(0, 2, 0, 1)),
                s.devices());
        assertEquals(Optional.empty(), s.of("eth1"));
    }

    @Test
    void whetherTheKernelLearnsFromRouterAdvertisements() {
        assertTrue(new Ipv6Conf(0, 1, 1, 0).kernelAcceptsRa(), "accept_ra 1 on a host");
        assertFalse(new Ipv6Conf(0, 1, 1, 1).kernelAcceptsRa(), "accept_ra 1 on a router");
        assertTrue(new Ipv6Conf(0, 2, 1, 1).kernelAcceptsRa(), "accept_ra 2 on a router");
        assertFalse(new Ipv6Conf(0, 0, 1, 0).kernelAcceptsRa(), "accept_ra 0 (NetworkManager, networkd)");
        assertFalse(new Ipv6Conf(1, 2, 1, 0).kernelAcceptsRa(), "IPv6 off");
    }

    @Test
    void aKernelWithoutIpv6HasNoSettings() {
        Ipv6Settings s = answering(255, "", "sysctl: cannot stat /proc/sys/net/ipv6/conf/default/disable_ipv6:"
                + " No such file or directory\n").read(List.of("eth0"));
        assertFalse(s.available());
    }

    @Test
    void otherFailuresAreClearErrors() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> answering(255, "0\n1\n1\n0\n",
                "sysctl: cannot stat /proc/sys/net/ipv6/conf/eth9/disable_ipv6: No such file or directory\n")
                .read(List.of("eth9")));
        assertTrue(e.getMessage().startsWith("failed to read IPv6 settings: sysctl -n net/ipv6/conf/default/"),
                e.getMessage());
        assertTrue(e.getMessage().contains("exited 255: sysctl: cannot stat /proc/sys/net/ipv6/conf/eth9/"),
                e.getMessage());
        e = assertThrows(IllegalStateException.class, () -> answering(0, "0\n1\n", "").read(List.of()));
        assertTrue(e.getMessage().endsWith("printed 2 values for 4 keys"), e.getMessage());
        e = assertThrows(IllegalStateException.class, () -> answering(0, "0\n1\nyes\n0\n", "").read(List.of()));
        assertTrue(e.getMessage().endsWith("net/ipv6/conf/default/autoconf is \"yes\", not a number"), e.getMessage());
    }
}
