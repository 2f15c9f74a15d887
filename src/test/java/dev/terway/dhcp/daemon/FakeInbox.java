package dev.terway.dhcp.daemon;

import java.io.IOException;
import java.time.Duration;
import java.util.OptionalInt;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * What a fake pod socket of the daemon tests (FakeLan's DHCPv4 one, FakeDhcp6Lan's) hands to the daemon's receive
 * loop: the fake server's replies, queued as they are made, given out as the real socket does (empty after a
 * short wait, so the loop checks whether it should go on; an IOException once closed, also to a receive that was
 * waiting when the socket closed).
 */
public final class FakeInbox {

    private final BlockingQueue<byte[]> datagrams = new LinkedBlockingQueue<>();
    private volatile boolean closed;

    public void add(byte[] datagram) {
        datagrams.add(datagram);
    }

    /** Fails a send (or anything else) on a closed socket. */
    public void requireOpen(String what) throws IOException {
        if (closed) {
            throw new IOException(what + " on a closed socket");
        }
    }

    public OptionalInt receive(byte[] buffer, Duration timeout) throws IOException {
        requireOpen("receive");
        try {
            byte[] datagram = datagrams.poll(Math.min(timeout.toMillis(), 50), TimeUnit.MILLISECONDS);
            requireOpen("receive");
            if (datagram == null) {
                return OptionalInt.empty();
            }
            System.arraycopy(datagram, 0, buffer, 0, datagram.length);
            return OptionalInt.of(datagram.length);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
    }

    public void close() {
        closed = true;
    }

    public boolean closed() {
        return closed;
    }
}
