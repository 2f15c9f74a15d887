package dev.terway.dhcp6.client;

import dev.terway.dhcp6.codec.Duid;
import dev.terway.net.Ipv6;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One address of an IA_NA as a server granted it, with the configuration that came with it. Times count from
 * {@code acquiredAt}, the first transmission of the exchange that got the REPLY (the safe side, as the DHCPv4
 * client does). {@code renewal} and {@code rebinding} are the times the client uses: the server's T1 and
 * T2, or its own choice where the server left them to it (zero: 0.5 and 0.8 of the preferred lifetime,
 * RFC 8415 §21.4), never past the valid lifetime. A lifetime of 0xffffffff seconds is infinite.
 *
 * @param serverUnicast the Server Unicast option (§21.12): RENEW and RELEASE go there instead of multicast
 */
public record IaNaLease(Ipv6 address, long iaid, Duid server, Optional<Ipv6> serverUnicast, Duration preferred,
                        Duration valid, Duration renewal, Duration rebinding, List<Ipv6> dnsServers,
                        List<String> domainSearch, Instant acquiredAt) {

    public static final long INFINITE_SECONDS = 0xffffffffL;

    public IaNaLease {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(serverUnicast, "serverUnicast");
        Objects.requireNonNull(acquiredAt, "acquiredAt");
        dnsServers = List.copyOf(dnsServers);
        domainSearch = List.copyOf(domainSearch);
        if (preferred.compareTo(valid) > 0 || renewal.compareTo(rebinding) > 0 || rebinding.compareTo(valid) > 0) {
            throw new IllegalArgumentException("lease times must satisfy preferred <= valid and T1 <= T2 <= valid, got"
                    + " preferred=" + preferred + " valid=" + valid + " T1=" + renewal + " T2=" + rebinding);
        }
    }

    /** The times of an IA_NA's T1 and T2 and an IAADDR's lifetimes, in seconds as sent (§21.4, §21.6). */
    public static IaNaLease of(Ipv6 address, long iaid, Duid server, Optional<Ipv6> serverUnicast, long t1, long t2,
                               long preferred, long valid, List<Ipv6> dns, List<String> search, Instant at) {
        long renew = t1 != 0 ? t1 : preferred == INFINITE_SECONDS ? INFINITE_SECONDS : preferred / 2;
        long rebind = t2 != 0 ? t2 : preferred == INFINITE_SECONDS ? INFINITE_SECONDS : preferred * 4 / 5;
        rebind = Math.min(rebind, valid);
        renew = Math.min(renew, rebind);
        return new IaNaLease(address, iaid, server, serverUnicast, Duration.ofSeconds(preferred),
                Duration.ofSeconds(valid), Duration.ofSeconds(renew), Duration.ofSeconds(rebind), dns, search, at);
    }

    public boolean infinite() {
        return valid.getSeconds() == INFINITE_SECONDS;
    }

    public Instant renewAt() {
        return acquiredAt.plus(renewal);
    }

    public Instant rebindAt() {
        return acquiredAt.plus(rebinding);
    }

    public Instant expiresAt() {
        return acquiredAt.plus(valid);
    }

    public Instant preferredUntil() {
        return acquiredAt.plus(preferred);
    }

    /** Whole seconds of valid lifetime left at {@code now} (the address's valid_lft), 0 once expired. */
    public long validSecondsLeft(Instant now) {
        return infinite() ? INFINITE_SECONDS : Math.max(0, Duration.between(now, expiresAt()).getSeconds());
    }

    /** Whole seconds of preferred lifetime left at {@code now} (preferred_lft). */
    public long preferredSecondsLeft(Instant now) {
        return preferred.getSeconds() == INFINITE_SECONDS ? INFINITE_SECONDS
                : Math.max(0, Duration.between(now, preferredUntil()).getSeconds());
    }
}
