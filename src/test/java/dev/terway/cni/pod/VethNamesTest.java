package dev.terway.cni.pod;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.net.InterfaceName;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class VethNamesTest {

    @Test
    void hostNameIsStableShortAndMatchesThePattern() {
        String name = VethNames.hostVeth("3f6940ab5ab43bc522569d15b23f8c1bbde1d7678b080398506924fc01d72755", "eth0");
        assertEquals(name, VethNames.hostVeth("3f6940ab5ab43bc522569d15b23f8c1bbde1d7678b080398506924fc01d72755", "eth0"));
        assertEquals(15, name.length());
        assertTrue(VethNames.HOST_VETH.matcher(name).matches(), name);
        assertEquals(null, InterfaceName.problem(name));
        // Pinned: the derivation is part of the on-node contract (DEL/GC of pods added by an older terway).
        assertEquals("tw6ad2516ced2a6", VethNames.hostVeth("c0ffee", "eth0"));
    }

    @Test
    void differentAttachmentsGetDifferentNames() {
        assertNotEquals(VethNames.hostVeth("c1", "eth0"), VethNames.hostVeth("c1", "net1"));
        assertNotEquals(VethNames.hostVeth("c1", "eth0"), VethNames.hostVeth("c2", "eth0"));
        Set<String> names = new HashSet<>();
        for (int i = 0; i < 20_000; i++) {
            names.add(VethNames.hostVeth("container-" + i, "eth0"));
        }
        assertEquals(20_000, names.size());
    }

    @Test
    void macsAreLocallyAdministeredUnicastAndHostSideSortsHigh() {
        String host = VethNames.hostMac("c1", "eth0");
        String pod = VethNames.podMac("c1", "eth0");
        assertTrue(host.matches("fe(:[0-9a-f]{2}){5}"), host);
        assertTrue(pod.matches("02(:[0-9a-f]{2}){5}"), pod);
        assertNotEquals(pod.substring(3), host.substring(3));
    }

    @Test
    void aliasNamesTheAttachmentWithinTheKernelLimit() {
        assertEquals("terway:c1/eth0", VethNames.alias("c1", "eth0"));
        assertEquals(255, VethNames.alias("x".repeat(400), "eth0").length());
    }
}
