package dev.terway.jni;

import java.io.UncheckedIOException;

/**
 * What the two UDP sockets ({@link NetnsUdpSocket}, {@link NetnsUdp6Socket}) share beyond
 * {@link SlicedNetnsSocket}: closing wakes the readers (shutdown() makes their poll() return), waits for
 * them to leave, then closes the descriptor, so its number is never reused while a call still refers to it.
 */
abstract class WakeableUdpSocket extends SlicedNetnsSocket implements AutoCloseable {

    WakeableUdpSocket(int fd, String description) {
        super(fd, description);
    }

    /**
     * Closes the socket. Idempotent, and safe while other threads send or receive: they are woken
     * and throw {@link SocketClosedException}. Returns once the descriptor is closed, so the port is
     * free again for the next open.
     */
    @Override
    public void close() {
        boolean interrupted = false;
        synchronized (lock) {
            if (!closed) {
                closed = true;
                if (users > 0) {
                    NetnsUdpNative.shutdown(fd);
                }
            }
            while (users > 0) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    interrupted = true; // finish closing first; the users leave within one wait slice
                }
            }
            if (fd >= 0) {
                int toClose = fd;
                fd = -1;
                try {
                    NetnsUdpNative.close(toClose, description);
                } catch (NativeSocketException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return description + (closed ? " (closed)" : "");
    }

    @Override
    final void leave() {
        synchronized (lock) {
            users--;
            if (users == 0) {
                lock.notifyAll();
            }
        }
    }
}
