package dev.terway.cni.handler;

import com.google.common.util.concurrent.Striped;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Lock;

/**
 * Coordination between verbs running in parallel in one process: one ADD or DEL at a time per attachment
 * (runtimes promise that, a fallback DEL racing the daemon does not), and the host veths of ADDs still in
 * progress, which GC must not take for leftovers.
 */
final class Attachments {

    private final Striped<Lock> locks = Striped.lock(64);
    private final Set<String> adding = ConcurrentHashMap.newKeySet();

    Lock lock(String containerId, String ifname) {
        return locks.get(containerId + "/" + ifname);
    }

    void startAdding(String hostVeth) {
        adding.add(hostVeth);
    }

    void doneAdding(String hostVeth) {
        adding.remove(hostVeth);
    }

    boolean isBeingAdded(String hostVeth) {
        return adding.contains(hostVeth);
    }
}
