/**
 * The RFC 8415 client state machine for one pod interface (one IA_NA), driven by its owner like the DHCPv4
 * client: {@link dev.terway.dhcp6.client.Dhcp6Client#start()} or
 * {@link dev.terway.dhcp6.client.Dhcp6Client#restore}, datagrams through
 * {@link dev.terway.dhcp6.client.Dhcp6Client#onDatagram}, {@link dev.terway.dhcp6.client.Dhcp6Client#onTimer()}
 * at {@link dev.terway.dhcp6.client.Dhcp6Client#nextDeadline()}; messages out through a
 * {@link dev.terway.dhcp6.client.Dhcp6Transport}, results through a
 * {@link dev.terway.dhcp6.client.Dhcp6Listener}; clock and randomness injected.
 */
package dev.terway.dhcp6.client;
