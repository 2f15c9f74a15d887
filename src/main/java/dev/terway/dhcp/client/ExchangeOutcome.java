package dev.terway.dhcp.client;

import java.util.Locale;

/**
 * How one exchange of the client with the servers ended, as the client judged it: what it asked
 * ({@link Exchange}) and what came of it ({@link Result}). Reported once per exchange through
 * {@link LeaseListener#exchanged}; an exchange cut short by a release or a stop is not reported.
 */
public record ExchangeOutcome(Exchange exchange, Result result) {

    /** What the client asked, by the message it sends and the state it sends it in (RFC 2131 section 4.4). */
    public enum Exchange {
        /** DISCOVER in SELECTING: answered by an OFFER, or not. */
        DISCOVER,
        /** REQUEST in REQUESTING, for an OFFER: the first lease of an acquisition. */
        REQUEST,
        /** REQUEST in RENEWING, unicast to the server that granted the lease, from T1 to T2. */
        RENEW,
        /** REQUEST in REBINDING, broadcast to any server, from T2 to expiry. */
        REBIND,
        /** REQUEST in REBOOTING (INIT-REBOOT): a stored lease confirmed after a restart. */
        REBOOT;

        /** Lower case, as metric labels and logs spell it. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public enum Result {
        /** DISCOVER answered by a usable OFFER. */
        OFFER,
        /** A REQUEST acknowledged: the lease is bound (after the ARP probe, when there is one). */
        ACK,
        /** A REQUEST refused with DHCPNAK. */
        NAK,
        /**
         * No usable answer in time: the acquisition's deadline, the REQUESTs of an OFFER used up, T2 reached while
         * renewing (a missed renewal), expiry while rebinding, the INIT-REBOOT tries used up.
         */
        TIMEOUT,
        /** A REQUEST acknowledged, but the ARP probe found the address in use: DHCPDECLINE. */
        DECLINED;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public ExchangeOutcome {
        if (exchange == null || result == null) {
            throw new IllegalArgumentException("an exchange outcome needs an exchange and a result");
        }
        if (!possible(exchange, result)) {
            throw new IllegalArgumentException(exchange + " cannot end in " + result);
        }
    }

    /**
     * Whether {@code exchange} can end in {@code result}: a DISCOVER in an OFFER or a timeout, any REQUEST in an
     * ACK, a NAK or a timeout, and only the first REQUEST of an acquisition (the one followed by the ARP probe) in
     * a decline.
     */
    public static boolean possible(Exchange exchange, Result result) {
        if (exchange == Exchange.DISCOVER) {
            return result == Result.OFFER || result == Result.TIMEOUT;
        }
        if (result == Result.OFFER) {
            return false;
        }
        return result != Result.DECLINED || exchange == Exchange.REQUEST;
    }
}
