package dev.terway.cni.handler;

import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Coordination between verbs running in parallel in one process: one ADD, DEL or CHECK at a time per
 * attachment (runtimes promise that, a fallback DEL racing the daemon does not), and the host veths of ADDs
 * still in progress, which GC must not take for leftovers.
 *
 * <p>The exclusion is per attachment, exactly: verbs of different attachments never wait for each other.
 * (It was a fixed set of 64 shared stripes, so in a boot storm of 30 pods about 7 pairs of unrelated pods
 * ran their ADDs one after the other.) An attachment has a slot only while a verb holds or waits for it, so
 * the map stays as small as the verbs in flight.
 *
 * <p>The exclusion is a permit rather than a lock because DEL hands it over: the request thread takes it,
 * replies, and the thread that finishes the DEL afterwards gives it back. Until then an ADD of the same
 * attachment waits, so it never meets the old veth being deleted under it.
 */
final class Attachments {

    private final ConcurrentHashMap<Key, Slot> slots = new ConcurrentHashMap<>();
    private final Set<String> adding = ConcurrentHashMap.newKeySet();

    /** Waits until no other verb works on the attachment, and holds it until the permit is closed. */
    Permit hold(String containerId, String ifname) {
        Key key = new Key(containerId, ifname);
        Slot slot = join(key);
        slot.semaphore.acquireUninterruptibly();
        return new Permit(this, key, slot);
    }

    /** The attachment when no other verb works on it, without waiting; empty when one does. */
    Optional<Permit> tryHold(String containerId, String ifname) {
        Key key = new Key(containerId, ifname);
        Slot slot = join(key);
        if (slot.semaphore.tryAcquire()) {
            return Optional.of(new Permit(this, key, slot));
        }
        leave(key);
        return Optional.empty();
    }

    /** Attachments that a verb holds or waits for now. */
    int inUse() {
        return slots.size();
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

    /** Counts one more verb on the attachment's slot (made for the first); the slot stays while it counts. */
    private Slot join(Key key) {
        return slots.compute(key, (k, slot) -> {
            Slot joined = slot == null ? new Slot() : slot;
            joined.verbs++;
            return joined;
        });
    }

    /** One verb fewer on the slot; the last one out removes it. */
    private void leave(Key key) {
        slots.computeIfPresent(key, (k, slot) -> --slot.verbs == 0 ? null : slot);
    }

    private record Key(String containerId, String ifname) {
    }

    /** {@code verbs} is read and written only inside the map's compute calls for its key. */
    private static final class Slot {
        final Semaphore semaphore = new Semaphore(1);
        int verbs;
    }

    /** The right to work on one attachment; closing it (from any thread, once) lets the next verb in. */
    static final class Permit implements AutoCloseable {

        private final Attachments owner;
        private final Key key;
        private final Slot slot;
        private final AtomicBoolean closed = new AtomicBoolean();

        private Permit(Attachments owner, Key key, Slot slot) {
            this.owner = owner;
            this.key = key;
            this.slot = slot;
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                slot.semaphore.release();
                owner.leave(key);
            }
        }
    }
}
