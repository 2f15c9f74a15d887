package dev.terway.dhcp.client;

import dev.terway.dhcp.codec.DhcpParseException;
import java.util.function.Consumer;

/**
 * One event at a time for a DHCP client ({@link DhcpClient}, and the DHCPv6 client): each public entry runs as one
 * event, and the client calls its listener from inside it. A listener that called back into the same client
 * would run an event inside another, on half-updated state; that is refused with an error that names the fix.
 * Not thread-safe, like the clients: their owner serializes the calls.
 */
public final class ClientEvents {

    /** An event's work, which may return a value and throw what the entry declares. */
    @FunctionalInterface
    public interface Work<T, X extends Exception> {
        T run() throws X;
    }

    /** A wire format's decoder: the datagram's message, or the parse error of a malformed one. */
    @FunctionalInterface
    public interface Decoder<M> {
        M decode(byte[] data, int offset, int length) throws DhcpParseException;
    }

    private final String client;
    private boolean dispatching;

    /** @param client the client's class name, for the error */
    public ClientEvents(String client) {
        this.client = client;
    }

    /** Runs {@code work} as the event {@code event} (the entry's name). */
    public void run(String event, Runnable work) {
        enter(event);
        try {
            work.run();
        } finally {
            dispatching = false;
        }
    }

    /** Runs {@code work} as the event {@code event} and returns what it returns. */
    public <T, X extends Exception> T call(String event, Work<T, X> work) throws X {
        enter(event);
        try {
            return work.run();
        } finally {
            dispatching = false;
        }
    }

    /**
     * A received datagram as the event {@code event}: decoded and handed to {@code handle}, or, malformed, dropped
     * with the parse error's message to {@code malformed} (a LAN carries other hosts' broken packets; none of them
     * may stop the client).
     */
    public <M> void runDecoded(String event, byte[] data, int offset, int length, Decoder<M> decoder,
            Consumer<String> malformed, Consumer<M> handle) {
        run(event, () -> {
            M message;
            try {
                message = decoder.decode(data, offset, length);
            } catch (DhcpParseException e) {
                malformed.accept(e.getMessage());
                return;
            }
            handle.accept(message);
        });
    }

    private void enter(String event) {
        if (dispatching) {
            throw new IllegalStateException(client + "." + event + " called from inside a listener callback of the "
                    + "same client; queue it for after the callback returns");
        }
        dispatching = true;
    }
}
