package dev.terway.cni.handler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.terway.cni.pod.NodeObserver;
import dev.terway.dhcp.daemon.FakeLan.MutableClock;
import dev.terway.plan.CommandResult;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class LanIpv6AnnouncementsTest {

    private static final String RA_DEFAULT = "[{\"dst\":\"default\",\"gateway\":\"fe80::1\",\"dev\":\"mybr0\","
            + "\"protocol\":\"ra\",\"metric\":1024,\"flags\":[],\"expires\":1790,\"pref\":\"medium\"}]";
    private static final String STATIC_ONLY = "[{\"dst\":\"fd00:1::/64\",\"dev\":\"mybr0\",\"protocol\":\"kernel\","
            + "\"metric\":256,\"flags\":[],\"pref\":\"medium\"}]";

    private final List<List<String>> asked = new ArrayList<>();
    private String routes = STATIC_ONLY;
    private final NodeObserver observer = new NodeObserver(argv -> {
        asked.add(argv);
        return new CommandResult(argv, 0, routes, "", Duration.ZERO);
    });
    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-05T03:00:00Z"));
    private final LanIpv6Announcements announcements = new LanIpv6Announcements();

    @Test
    void aStormOfAddsAsksTheNodeOncePerFewSeconds() {
        for (int i = 0; i < 30; i++) {
            assertFalse(announcements.learnt(observer, "mybr0", clock));
            clock.set(clock.instant().plusMillis(100));
        }
        // 30 ADDs over 3 s: one look.
        assertEquals(1, asked.size());
        assertEquals(List.of("ip", "-j", "-6", "route", "show", "dev", "mybr0"), asked.get(0));
    }

    @Test
    void addsThatArriveTogetherShareOneLook() throws Exception {
        AtomicInteger looks = new AtomicInteger();
        NodeObserver slow = new NodeObserver(argv -> {
            looks.incrementAndGet();
            try {
                Thread.sleep(50); // an `ip` process start under load
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new CommandResult(argv, 0, RA_DEFAULT, "", Duration.ZERO);
        });
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> adds = new ArrayList<>();
        AtomicInteger learnt = new AtomicInteger();
        for (int i = 0; i < 16; i++) {
            Thread t = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                if (announcements.learnt(slow, "mybr0", clock)) {
                    learnt.incrementAndGet();
                }
            });
            t.start();
            adds.add(t);
        }
        go.countDown();
        for (Thread t : adds) {
            t.join(10_000);
        }
        assertEquals(16, learnt.get());
        assertEquals(1, looks.get());
    }

    @Test
    void aLanThatStartsToAnnounceIsSeenOnceTheAnswerIsOld() {
        assertFalse(announcements.learnt(observer, "mybr0", clock));
        routes = RA_DEFAULT;
        clock.set(clock.instant().plus(LanIpv6Announcements.FOR).minusMillis(1));
        assertFalse(announcements.learnt(observer, "mybr0", clock));
        clock.set(clock.instant().plusMillis(1));
        assertTrue(announcements.learnt(observer, "mybr0", clock));
        assertEquals(2, asked.size());
    }

    @Test
    void eachBridgeHasItsOwnAnswerAndAClockGoingBackAsksAgain() {
        assertFalse(announcements.learnt(observer, "mybr0", clock));
        routes = RA_DEFAULT;
        assertTrue(announcements.learnt(observer, "br1", clock));
        clock.set(clock.instant().minusSeconds(60));
        assertTrue(announcements.learnt(observer, "mybr0", clock));
        assertEquals(3, asked.size());
    }
}
