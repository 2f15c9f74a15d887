/**
 * DHCPv4 messages (RFC 2131, 2132, 3396, 3397, 3442) as immutable values, with no I/O.
 *
 * <p>{@link dev.terway.dhcp.codec.DhcpMessage#decode(byte[], int, int)} turns a datagram into a message
 * or throws the checked {@link dev.terway.dhcp.codec.DhcpParseException}; nothing else escapes it, and
 * its work is linear in the datagram. {@link dev.terway.dhcp.codec.DhcpMessage#encode()} goes the other
 * way. Registered options are read and written through the typed keys of
 * {@link dev.terway.dhcp.codec.DhcpOptions}; unknown codes travel as raw
 * {@link dev.terway.dhcp.codec.DhcpOption} bytes. Addresses are {@link dev.terway.net.Ipv4}.
 */
package dev.terway.dhcp.codec;
