package dev.terway.dhcp6.client;

import java.util.Locale;

/**
 * How one exchange of the DHCPv6 client with the servers ended, as the client judged it: what it sent
 * ({@link Exchange}) and what came of it ({@link Result}); the DHCPv6 counterpart of
 * {@link dev.terway.dhcp.client.ExchangeOutcome}. Reported once per exchange through
 * {@link Dhcp6Listener#exchanged}; an exchange cut short by a release or a stop is not reported. The status codes a
 * server refuses with are folded into a fixed set: the ones that change what the client does (NoAddrsAvail,
 * NoBinding, NotOnLink, an address withdrawn with valid lifetime 0) each have a result, any other refusal is
 * {@link Result#UNUSABLE}.
 */
public record Dhcp6ExchangeOutcome(Exchange exchange, Result result) {

    /** What the client sent (RFC 8415 §18.2), by the message it sends. */
    public enum Exchange {
        /** SOLICIT: answered by a usable ADVERTISE (or a Rapid Commit REPLY), or not. */
        SOLICIT,
        /** REQUEST for an ADVERTISE (the first lease of an acquisition), or again after NoBinding. */
        REQUEST,
        /** RENEW to the server that granted the lease, from T1 to T2. */
        RENEW,
        /** REBIND to any server, from T2 to the end of the valid lifetime (and after a restart past T1). */
        REBIND,
        /** CONFIRM of a lease restored after a restart before its T1: is the address still on-link? */
        CONFIRM,
        /** RELEASE: sent once, its REPLY not waited for (the pod and its socket go away). */
        RELEASE;

        /** Lower case, as metric labels and logs spell it. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public enum Result {
        /** SOLICIT answered by a usable ADVERTISE, which the client requests. */
        ADVERTISE,
        /** A REPLY that bound, extended or confirmed the lease (or a Rapid Commit REPLY to a SOLICIT). */
        REPLY,
        /** No address for the client: a SOLICIT that got only NoAddrsAvail, a REQUEST refused with it. */
        NO_ADDRS_AVAIL,
        /** The server knows no binding for the address (RENEW/REBIND: the client requests it again). */
        NO_BINDING,
        /** The address is not on the pod's link: the lease is lost (or, for a first REQUEST, solicited anew). */
        NOT_ON_LINK,
        /** RENEW/REBIND answered with the address at valid lifetime 0: the server withdrew it. */
        WITHDRAWN,
        /** A REPLY to a REQUEST without a usable address for another reason (another status, no IA_NA). */
        UNUSABLE,
        /**
         * No usable answer in time: the acquisition's deadline, REQUESTs used up, T2 reached while renewing (a
         * missed renewal), the valid lifetime's end while rebinding, CONFIRM unanswered for CNF_MAX_RD.
         */
        TIMEOUT,
        /** RELEASE sent. */
        SENT;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public Dhcp6ExchangeOutcome {
        if (exchange == null || result == null) {
            throw new IllegalArgumentException("an exchange outcome needs an exchange and a result");
        }
        if (!possible(exchange, result)) {
            throw new IllegalArgumentException(exchange + " cannot end in " + result);
        }
    }

    /** Whether {@code exchange} can end in {@code result}: the one rule, which the metrics list their series by. */
    public static boolean possible(Exchange exchange, Result result) {
        return switch (exchange) {
            case SOLICIT -> result == Result.ADVERTISE || result == Result.REPLY || result == Result.NO_ADDRS_AVAIL
                    || result == Result.TIMEOUT;
            case REQUEST -> result == Result.REPLY || result == Result.NO_ADDRS_AVAIL || result == Result.NO_BINDING
                    || result == Result.NOT_ON_LINK || result == Result.UNUSABLE || result == Result.TIMEOUT;
            case RENEW, REBIND -> result == Result.REPLY || result == Result.NO_BINDING || result == Result.NOT_ON_LINK
                    || result == Result.WITHDRAWN || result == Result.TIMEOUT;
            case CONFIRM -> result == Result.REPLY || result == Result.NOT_ON_LINK || result == Result.TIMEOUT;
            case RELEASE -> result == Result.SENT;
        };
    }
}
