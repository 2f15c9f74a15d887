package dev.terway.dhcp.daemon;

import dev.terway.dhcp.store.LeaseKey;
import dev.terway.log.EventLog;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * What every pod's lease shares with the {@link DhcpLeaseService} that holds it: the settings, the lease
 * records, where lease events go, the sockets and threads of the exchanges, the timer and clock, the
 * counters, the DHCP servers heard from, the service's map of pods (a forgotten pod leaves it), and where
 * timings go.
 */
record PodLeaseContext(DhcpLeaseService.Settings settings, LeaseRecords records, LeaseEvents events,
                       LeaseEventQueue queue, PodSocket.Factory sockets, PodArpSocket.Factory arpSockets,
                       NodeSender nodeSender, ExecutorService receivers, LeaseTimer timer, Clock clock,
                       EventLog log, SecureRandom seeds, LeaseCounters counters, ServersSeen servers,
                       ConcurrentHashMap<LeaseKey, PodLease> pods,
                       Supplier<Consumer<AddressChangeReport>> addressChanges,
                       Supplier<LeaseStatistics.Timings> timings) {
}
