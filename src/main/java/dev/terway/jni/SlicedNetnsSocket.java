package dev.terway.jni;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;

/**
 * What {@link NetnsUdpSocket} and {@link NetnsArpSocket} share: a descriptor in another network
 * namespace that every call registers on ({@link #enter}, {@link #leave}) so it is closed only once no
 * call uses it, and a receive that sleeps in the kernel for at most one slice at a time before looking
 * at the closed flag, the clock and the interrupt status again. How a socket closes differs (a UDP
 * socket wakes and waits for its readers, an ARP socket cannot be woken), so subclasses do that.
 */
abstract class SlicedNetnsSocket {

    /** One native receive on {@code fd} that waits at most {@code sliceMillis}. */
    @FunctionalInterface
    interface Slice {
        /** @return bytes copied, or a negative code when nothing was received in the slice */
        int receive(int fd, int sliceMillis) throws NativeSocketException;
    }

    final String description;
    final Object lock = new Object();
    /** -1 once the descriptor has been closed. Guarded by {@link #lock}. */
    int fd;
    /** Calls currently using {@link #fd}. Guarded by {@link #lock}. */
    int users;
    volatile boolean closed;

    SlicedNetnsSocket(int fd, String description) {
        this.fd = fd;
        this.description = description;
    }

    public boolean isClosed() {
        return closed;
    }

    /** Registers a call that will use the descriptor; the descriptor stays open until {@link #leave}. */
    final int enter(String operation) throws SocketClosedException {
        synchronized (lock) {
            if (closed) {
                throw new SocketClosedException(operation, description);
            }
            users++;
            return fd;
        }
    }

    /** Ends a call registered by {@link #enter}. */
    abstract void leave();

    /** What a call that saw {@code e} throws: a {@link SocketClosedException} when the socket got closed. */
    final IOException closedOr(String operation, NativeSocketException e) {
        return closed ? new SocketClosedException(operation, description, e) : e;
    }

    /**
     * Receives in slices of at most {@code maxSliceMillis} until {@code slice} copies something or
     * {@code timeout} has elapsed.
     *
     * @return bytes copied, or -1 when the timeout elapsed first
     * @throws SocketClosedException  when the socket is or gets closed meanwhile
     * @throws InterruptedIOException when the thread is interrupted (noticed within a slice)
     * @throws NativeSocketException  when the native receive fails
     */
    final int receiveInSlices(Duration timeout, int maxSliceMillis, Slice slice) throws IOException {
        long start = System.nanoTime();
        long timeoutNanos = saturatedNanos(timeout);
        int fd = enter("receive on");
        try {
            while (true) {
                long remainingNanos = timeoutNanos - (System.nanoTime() - start);
                int sliceMillis = (int) Math.min(maxSliceMillis, Math.max(0, ceilMillis(remainingNanos)));
                int n;
                try {
                    n = slice.receive(fd, sliceMillis);
                } catch (NativeSocketException e) {
                    throw closedOr("receive on", e);
                }
                if (closed) {
                    throw new SocketClosedException("receive on", description);
                }
                if (n >= 0) {
                    return n;
                }
                // RECEIVE_TIMED_OUT ends a slice, RECEIVE_NOTHING is a wake-up without data: either way
                // look at the clock again.
                if (System.nanoTime() - start >= timeoutNanos) {
                    return -1;
                }
                if (Thread.currentThread().isInterrupted()) {
                    throw new InterruptedIOException("receive on " + description + " interrupted");
                }
            }
        } finally {
            leave();
        }
    }

    private static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    private static long ceilMillis(long nanos) {
        return nanos / 1_000_000 + (nanos % 1_000_000 > 0 ? 1 : 0);
    }
}
