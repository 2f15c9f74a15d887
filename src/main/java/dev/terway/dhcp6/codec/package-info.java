/**
 * DHCPv6 client messages (RFC 8415, with RFC 3646's DNS options and RFC 6355's DUID-UUID) as immutable
 * values, with no I/O.
 *
 * <p>{@link dev.terway.dhcp6.codec.Dhcp6Message#decode(byte[], int, int)} turns a datagram into a message or
 * throws the checked {@link dev.terway.dhcp.codec.DhcpParseException} naming what is wrong and where; its work
 * is linear in the datagram. {@link dev.terway.dhcp6.codec.Dhcp6Message#encode()} goes the other way. The
 * options a client uses are typed records of {@link dev.terway.dhcp6.codec.Dhcp6Option}; any other code
 * travels as {@link dev.terway.dhcp6.codec.Dhcp6Option.Raw} bytes. The bounded reader and writer are the
 * DHCPv4 codec's ({@link dev.terway.dhcp.codec.WireReader}, {@link dev.terway.dhcp.codec.WireWriter}).
 */
package dev.terway.dhcp6.codec;
