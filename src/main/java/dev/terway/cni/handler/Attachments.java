package dev.terway.cni.handler;

import com.google.common.util.concurrent.Striped;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Coordination between verbs running in parallel in one process: one ADD or DEL at a time per attachment
 * (runtimes promise that, a fallback DEL racing the daemon does not), and the host veths of ADDs still in
 * progress, which GC must not take for leftovers.
 *
 * <p>The exclusion is a permit rather than a lock because DEL hands it over: the request thread takes it,
 * replies, and the thread that finishes the DEL afterwards gives it back. Until then an ADD of the same
 * attachment waits, so it never meets the old veth being deleted under it.
 */
final class Attachments {

    private final Striped<Semaphore> permits = Striped.semaphore(64, 1);
    private final Set<String> adding = ConcurrentHashMap.newKeySet();

    /** Waits until no other verb works on the attachment, and holds it until the permit is closed. */
    Permit hold(String containerId, String ifname) {
        Semaphore semaphore = permits.get(containerId + "/" + ifname);
        semaphore.acquireUninterruptibly();
        return new Permit(semaphore);
    }

    /** The attachment when no other verb works on it, without waiting; empty when one does. */
    Optional<Permit> tryHold(String containerId, String ifname) {
        Semaphore semaphore = permits.get(containerId + "/" + ifname);
        return semaphore.tryAcquire() ? Optional.of(new Permit(semaphore)) : Optional.empty();
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

    /** The right to work on one attachment; closing it (from any thread, once) lets the next verb in. */
    static final class Permit implements AutoCloseable {

        private final Semaphore semaphore;
        private final AtomicBoolean closed = new AtomicBoolean();

        private Permit(Semaphore semaphore) {
            this.semaphore = semaphore;
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                semaphore.release();
            }
        }
    }
}
