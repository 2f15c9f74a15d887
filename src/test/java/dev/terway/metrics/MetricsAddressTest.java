package dev.terway.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MetricsAddressTest {

    @Test
    void readsHostAndPort() {
        assertEquals(new MetricsAddress("127.0.0.1", 9153), MetricsAddress.parse("127.0.0.1:9153"));
        assertEquals(new MetricsAddress("localhost", 1), MetricsAddress.parse("localhost:1"));
        assertEquals(new MetricsAddress("::1", 9153), MetricsAddress.parse("[::1]:9153"));
        assertEquals("[::1]:9153", MetricsAddress.parse("[::1]:9153").toString());
        assertEquals("http://0.0.0.0:65535/metrics", MetricsAddress.parse("0.0.0.0:65535").url());
    }

    @Test
    void refusesWhatIsNotHostAndPortSayingWhatIsExpected() {
        for (String bad : new String[] {"", "9153", ":9153", "127.0.0.1", "127.0.0.1:", "::1:9153", "host:port",
                "a b:1", "127.0.0.1:9153/metrics"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MetricsAddress.parse(bad),
                    bad);
            assertTrue(e.getMessage().contains("HOST:PORT"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> MetricsAddress.parse("127.0.0.1:0"));
        assertThrows(IllegalArgumentException.class, () -> MetricsAddress.parse("127.0.0.1:65536"));
    }
}
