package dev.terway.dhcp6.client;

import dev.terway.dhcp6.codec.Dhcp6Message;
import dev.terway.net.Ipv6;
import java.io.IOException;

/** Sends a client's messages from port 546 of its interface; the daemon implements it on the JNI socket. */
public interface Dhcp6Transport {

    /** To All_DHCP_Relay_Agents_and_Servers, ff02::1:2 port 547, on the interface's link. */
    void multicast(Dhcp6Message message) throws IOException;

    /** To {@code server} port 547: only for a server that sent the Server Unicast option (RFC 8415 §18.2.10.2). */
    void unicast(Dhcp6Message message, Ipv6 server) throws IOException;
}
