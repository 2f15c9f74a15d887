package dev.terway.dhcp.client;

import dev.terway.dhcp.codec.DhcpMessage;
import dev.terway.net.Ipv4;
import java.io.IOException;

/** Sends a client's messages from port 68 of its interface; the daemon implements it on the JNI socket. */
public interface DhcpTransport {

    /** To 255.255.255.255:67. */
    void broadcast(DhcpMessage message) throws IOException;

    /** To {@code server}:67, for renewals and releases once the client has an address. */
    void unicast(DhcpMessage message, Ipv4 server) throws IOException;
}
