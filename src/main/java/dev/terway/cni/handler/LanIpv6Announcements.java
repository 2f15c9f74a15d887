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
        // compute() looks once for ADDs that arrive together: the storm's first ADDs all come before any
        // answer is known, and would each start their own `ip` (17 of 30 did with a plain get-then-put).
        return answers.compute(bridge, (b, known) -> {
            Instant now = clock.instant();
            boolean fresh = known != null && !now.isBefore(known.at()) && now.isBefore(known.at().plus(FOR));
            return fresh ? known : new Answer(observer.learntIpv6Routes(b), now);
        }).learnt();
    }
}
