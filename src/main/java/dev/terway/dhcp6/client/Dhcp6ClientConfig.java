package dev.terway.dhcp6.client;

import dev.terway.dhcp6.codec.Dhcp6Option;
import dev.terway.dhcp6.codec.Duid;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How one client behaves.
 *
 * @param interfaceName   for messages ("eth0 in netns ...")
 * @param duid            the client's DUID (CLIENTID)
 * @param iaid            its IA_NA's IAID
 * @param acquireTimeout  how long {@link Dhcp6Client#start()} tries before {@link Dhcp6Listener#failed}
 * @param solicit         SOLICIT retransmission; its first wait is how long ADVERTISEs are collected
 * @param request         REQUEST retransmission
 * @param rapidCommit     whether SOLICIT asks for a two-message exchange (off by default: a server that
 *                        commits on SOLICIT may commit addresses to clients that took another server's)
 * @param requestedOptions the ORO: DNS servers and domain list
 */
public record Dhcp6ClientConfig(String interfaceName, Duid duid, long iaid, Duration acquireTimeout,
                                Retransmission solicit, Retransmission request, boolean rapidCommit,
                                List<Integer> requestedOptions) {

    public static final List<Integer> DEFAULT_OPTIONS = List.of(Dhcp6Option.DNS_SERVERS, Dhcp6Option.DOMAIN_LIST);

    public Dhcp6ClientConfig {
        Objects.requireNonNull(interfaceName, "interfaceName");
        Objects.requireNonNull(duid, "duid");
        Objects.requireNonNull(solicit, "solicit");
        Objects.requireNonNull(request, "request");
        requestedOptions = List.copyOf(requestedOptions);
        if (iaid < 0 || iaid > 0xffffffffL) {
            throw new IllegalArgumentException("IAID out of range: " + iaid);
        }
        if (acquireTimeout.isNegative() || acquireTimeout.isZero()) {
            throw new IllegalArgumentException("acquire timeout must be positive: " + acquireTimeout);
        }
    }

    /** RFC 8415's timings, no rapid commit, DNS servers and domain list requested. */
    public static Dhcp6ClientConfig of(String interfaceName, Duid duid, long iaid, Duration acquireTimeout) {
        return new Dhcp6ClientConfig(interfaceName, duid, iaid, acquireTimeout, Retransmission.SOLICIT,
                Retransmission.REQUEST, false, DEFAULT_OPTIONS);
    }

    public Dhcp6ClientConfig withTimings(Retransmission solicitTimes, Retransmission requestTimes) {
        return new Dhcp6ClientConfig(interfaceName, duid, iaid, acquireTimeout, solicitTimes, requestTimes,
                rapidCommit, requestedOptions);
    }

    public Dhcp6ClientConfig withRapidCommit(boolean on) {
        return new Dhcp6ClientConfig(interfaceName, duid, iaid, acquireTimeout, solicit, request, on,
                requestedOptions);
    }
}
