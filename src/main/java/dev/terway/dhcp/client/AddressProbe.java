package dev.terway.dhcp.client;

import dev.terway.net.Ipv4;
import java.io.IOException;

/**
 * Sends the ARP probes of a {@link DhcpClient} that checks an acknowledged address before it uses it
 * (RFC 2131 section 4.4.1, RFC 5227 section 2.1). The client decides when to probe and what the answers
 * mean; the owner sends, and feeds the ARP packets it receives on the interface back through
 * {@link DhcpClient#onArp}. The daemon implements it on an AF_PACKET socket in the pod's network namespace.
 */
public interface AddressProbe {

    /** For clients that never probe ({@link DhcpClientConfig#arpProbe()} zero). */
    AddressProbe NONE = address -> {
        throw new IOException("no ARP probe is configured");
    };

    /**
     * Broadcasts one ARP probe for {@code address} on the client's interface: sender MAC the client's
     * hardware address, sender IP 0.0.0.0, target IP {@code address}.
     */
    void probe(Ipv4 address) throws IOException;
}
