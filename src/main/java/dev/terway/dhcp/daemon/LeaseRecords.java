package dev.terway.dhcp.daemon;

import dev.terway.log.EventLog;
import dev.terway.log.LogPod;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.terway.dhcp.client.DhcpClient;
import dev.terway.dhcp.codec.ClientIdentifier;
import dev.terway.dhcp.codec.DhcpMessage;
import dev.terway.dhcp.codec.HardwareAddress;
import dev.terway.dhcp.store.LeaseKey;
import dev.terway.dhcp.store.LeaseStore;
import java.io.IOException;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.util.Optional;

/**
 * The leases on record in the {@link LeaseStore}: a pod's lease saved whenever it changes (before it is
 * reported), the record of a first REQUEST ({@link DhcpLeaseService.Stored#firstRequest}), and the leases
 * taken up again at start ({@link #restoreAll}), where those nobody will use again are released from the
 * node and deleted.
 */
final class LeaseRecords {

    /** Takes up one stored lease whose pod is still there; false if the pod's lease is already held. */
    interface TakeUp {
        boolean takeUp(LeaseKey key, DhcpLeaseService.Stored stored);
    }

    private final LeaseStore store;
    private final NodeSender nodeSender;
    private final SecureRandom seeds;
    private final EventLog log;

    LeaseRecords(LeaseStore store, NodeSender nodeSender, SecureRandom seeds, EventLog log) {
        this.store = store;
        this.nodeSender = nodeSender;
        this.seeds = seeds;
        this.log = log;
    }

    /**
     * Goes through every stored lease after a start: one whose pod netns still exists is handed to
     * {@code takeUp}; one whose netns is gone is released from the node (the pod will never use it again)
     * and forgotten, and so is the record of a first REQUEST that was never answered.
     *
     * @return the number of leases taken up
     */
    int restoreAll(TakeUp takeUp) throws IOException {
        int restored = 0;
        for (LeaseStore.Loaded<DhcpLeaseService.Stored> stored : store.loadAll(DhcpLeaseService.Stored::fromJson)) {
            HeldLease lease = stored.value().lease();
            PodIdentity pod = lease.identity();
            if (stored.value().firstRequest()) {
                // A crash between the first REQUEST and the stored ACK: the ADD that asked got no lease, but the
                // server may have committed one to this client id, which nobody would ever release.
                releaseFromNode(lease, "the daemon stopped while acquiring it, before the server's answer was"
                        + " stored; the ADD that asked for it did not get it");
                delete(stored.key());
                continue;
            }
            if (!Files.exists(pod.netns())) {
                releaseFromNode(lease, "its netns " + pod.netns() + " is gone");
                delete(stored.key());
                continue;
            }
            if (takeUp.takeUp(stored.key(), stored.value())) {
                restored++;
            }
        }
        return restored;
    }

    /** Stores the lease of {@code pod}; false (reported) when it could not. */
    boolean save(LeaseKey key, HeldLease lease) {
        try {
            store.save(key, LeaseJson.toStoredJson(lease));
            return true;
        } catch (IOException e) {
            log.error("lease.save_failed", lease.identity().logPod(), "could not save the lease of "
                    + lease.identity().describe() + " (it is held, but a restart"
                    + " would not know it): " + e.getMessage());
            return false;
        }
    }

    /**
     * Before the first REQUEST of a pod's first acquisition: records the offered lease, marked, so that a
     * daemon killed before the ACK is stored releases it at its next start. Not stored: reported.
     */
    void saveFirstRequest(LeaseKey key, HeldLease offered) {
        ObjectNode mark = LeaseJson.toStoredJson(offered);
        mark.put(DhcpLeaseService.Stored.FIRST_REQUEST, true);
        try {
            store.save(key, mark);
        } catch (IOException e) {
            log.warn("lease.save_failed", offered.identity().logPod(), "could not record the request of "
                    + offered.identity().describe() + " for "
                    + offered.address() + " (if the daemon stops before the answer, the server keeps it until it"
                    + " expires): " + e.getMessage());
        }
    }

    void delete(LeaseKey key) {
        try {
            store.delete(key);
        } catch (IOException e) {
            log.warn("lease.delete_failed", LogPod.of(key.containerId(), key.ifname()), "could not delete the stored lease of " + key + ": " + e.getMessage());
        }
    }

    /**
     * DHCPRELEASE for a lease whose pod is gone, sent from the node: no client runs for it any more, and
     * no socket can be opened in a netns that no longer exists.
     */
    private void releaseFromNode(HeldLease lease, String why) {
        PodIdentity pod = lease.identity();
        try {
            DhcpMessage release = DhcpClient.releaseMessage(HardwareAddress.parse(lease.hardwareAddress()),
                    Optional.of(ClientIdentifier.ofText(lease.clientId())), lease.address(),
                    lease.server(), seeds.nextInt());
            nodeSender.send(release.encode(), lease.server().toInetAddress());
            log.info("lease.released", pod.logPod(), "released " + pod.describe() + " address " + lease.cidr()
                    + " server " + lease.server() + " (from the node: " + why + ")", "address", lease.cidr(), "server",
                    lease.server().toString());
        } catch (IOException | RuntimeException e) {
            log.warn("lease.forgotten", pod.logPod(), "forgot " + pod.describe() + " address " + lease.cidr()
                    + " without a release (" + why
                    + "; sending DHCPRELEASE from the node to " + lease.server() + " failed: "
                    + e.getMessage() + "); the server frees it at " + lease.expires());
        }
    }
}
