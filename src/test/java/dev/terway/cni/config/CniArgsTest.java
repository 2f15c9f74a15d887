package dev.terway.cni.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.cni.spec.CniException;
import dev.terway.net.Ipv4;
import dev.terway.net.Ipv4Cidr;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CniArgsTest {

    @Test
    void kubeletArguments() throws Exception {
        CniArgs a = CniArgs.parse("IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;"
                + "K8S_POD_INFRA_CONTAINER_ID=abc123;K8S_POD_UID=1234-5678");
        assertEquals(Optional.of("default"), a.podNamespace());
        assertEquals(Optional.of("web-0"), a.podName());
        assertEquals(Optional.of("abc123"), a.infraContainerId());
        assertEquals(Optional.of("1234-5678"), a.podUid());
        assertTrue(a.ip().isEmpty());
    }

    @Test
    void emptyAndTrailingSeparator() throws Exception {
        assertTrue(CniArgs.parse("").all().isEmpty());
        assertEquals(Optional.of("x"), CniArgs.parse("K8S_POD_NAME=x;").podName());
    }

    @Test
    void valuesMayContainEqualsSigns() throws Exception {
        assertEquals("a=b", CniArgs.parse("IgnoreUnknown=true;FOO=a=b").all().get("FOO"));
    }

    @Test
    void unknownKeysNeedIgnoreUnknown() throws Exception {
        CniException e = assertThrows(CniException.class, () -> CniArgs.parse("FOO=1"));
        assertEquals(4, e.code());
        assertTrue(e.getMessage().contains("unknown key FOO"));
        assertThrows(CniException.class, () -> CniArgs.parse("IgnoreUnknown=0;FOO=1"));
        CniArgs.parse("IgnoreUnknown=1;FOO=1");
        CniArgs.parse("IgnoreUnknown=True;FOO=1");
    }

    @ParameterizedTest
    @ValueSource(strings = {"FOO", "=1", "K8S_POD_NAME=a;K8S_POD_NAME=b", "IgnoreUnknown=maybe", "IP=10.0.0",
        "IP=10.0.0.1/33", "IP=fd00::1", "IP=010.0.0.1"})
    void malformedArgumentsAreInvalidEnvironment(String text) {
        assertEquals(4, assertThrows(CniException.class, () -> CniArgs.parse(text)).code());
    }

    @Test
    void ipWithPrefixIsStaticWithoutIsAPreference() throws Exception {
        CniArgs.RequestedAddress fixed = CniArgs.parse("IP=10.1.2.3/24").ip().orElseThrow();
        assertTrue(fixed.isStatic());
        assertEquals("10.1.2.3/24", fixed.staticCidr().orElseThrow().toString());
        CniArgs.RequestedAddress preferred = CniArgs.parse("IP=10.1.2.3").ip().orElseThrow();
        assertFalse(preferred.isStatic());
        assertEquals("10.1.2.3", preferred.address().toString());
    }

    @Test
    void strictIpv4() {
        assertNull(Ipv4.parseOrNull("1.2.3"));
        assertNull(Ipv4.parseOrNull("1.2.3.4.5"));
        assertNull(Ipv4.parseOrNull("01.2.3.4"));
        assertNull(Ipv4.parseOrNull("1.2.3.256"));
        assertNull(Ipv4.parseOrNull("1..3.4"));
        assertNull(Ipv4.parseOrNull(" 1.2.3.4"));
        assertEquals("0.0.0.0", Ipv4.parseOrNull("0.0.0.0").toString());
        assertEquals("255.255.255.255", Ipv4.parseOrNull("255.255.255.255").toString());
        assertNull(Ipv4Cidr.parseOrNull("1.2.3.4/"));
        assertNull(Ipv4Cidr.parseOrNull("1.2.3.4/08"));
        assertEquals("10.96.0.0/12", Ipv4Cidr.parseOrNull("10.100.1.1/12").networkCidr().toString());
        assertTrue(Ipv4Cidr.parseOrNull("10.20.30.0/24").contains(Ipv4.parseOrNull("10.20.30.77")));
        assertFalse(Ipv4Cidr.parseOrNull("10.20.30.0/24").contains(Ipv4.parseOrNull("10.20.31.77")));
        assertTrue(Ipv4Cidr.parseOrNull("0.0.0.0/0").contains(Ipv4.parseOrNull("8.8.8.8")));
    }
}
