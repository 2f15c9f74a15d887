package dev.terway.dhcp.client;

import dev.terway.dhcp.client.ClientFixtures.FakeClock;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What the DHCPv4 and DHCPv6 fake transports share: every message sent is recorded with the fake clock's
 * time and its unicast destination (empty for broadcast or multicast), and a test can make sends fail.
 *
 * @param <M> the message type
 * @param <A> the unicast address type
 * @param <S> the record of one send, as the protocol's tests read it
 */
public abstract class RecordingTransport<M, A, S> {

    /** Every send, oldest first. */
    public final List<S> sent = new ArrayList<>();
    /** When set, every send fails with an IOException of this message and is not recorded. */
    public String failWith;
    private final FakeClock clock;

    protected RecordingTransport(FakeClock clock) {
        this.clock = clock;
    }

    /** The protocol's record of one send. */
    protected abstract S recordOf(Instant at, M message, Optional<A> unicastTo);

    protected final void record(M message, Optional<A> unicastTo) throws IOException {
        if (failWith != null) {
            throw new IOException(failWith);
        }
        sent.add(recordOf(clock.instant(), message, unicastTo));
    }

    public S last() {
        return sent.get(sent.size() - 1);
    }
}
