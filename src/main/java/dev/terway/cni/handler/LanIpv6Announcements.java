package dev.terway.cni.handler;

import dev.terway.cni.pod.NodeObserver;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Whether the node learnt IPv6 routes from the LAN on a bridge ({@link NodeObserver#learntIpv6Routes}), the sign
 * `auto` uses to decide whether a pod waits for IPv6, remembered for a few seconds. Every ADD under `auto` on a
 * node with a global IPv6 address asks it; without the memory, a boot storm of 30 pods spends 30 `ip` process
 * starts (3–4 ms of the daemon's CPU each) on the same answer. Router advertisements come every few minutes and
 * their routes live for many, so an answer a few seconds old is as good as a fresh one; a LAN that starts to
 * announce IPv6 is seen by the ADDs after {@link #FOR}.
 */
final class LanIpv6Announcements {

    static final Duration FOR = Duration.ofSeconds(5);

    private record Answer(boolean learnt, Instant at) {
    }

    private final Map<String, Answer> answers = new ConcurrentHashMap<>();

    boolean learnt(NodeObserver observer, String bridge, Clock clock) {
        Instant now = clock.instant();
        Answer known = answers.get(bridge);
        if (known != null && !now.isBefore(known.at()) && now.isBefore(known.at().plus(FOR))) {
            return known.learnt();
        }
        boolean learnt = observer.learntIpv6Routes(bridge);
        answers.put(bridge, new Answer(learnt, now));
        return learnt;
    }
}
