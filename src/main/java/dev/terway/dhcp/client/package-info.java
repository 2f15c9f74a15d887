/**
 * The RFC 2131 client state machine for one interface, driven by its owner.
 *
 * <p>The daemon builds a {@link dev.terway.dhcp.client.DhcpClientConfig}, implements
 * {@link dev.terway.dhcp.client.DhcpTransport} on the interface's UDP socket and
 * {@link dev.terway.dhcp.client.LeaseListener} to configure the pod, then calls
 * {@link dev.terway.dhcp.client.DhcpClient#start()} (new pod) or
 * {@link dev.terway.dhcp.client.DhcpClient#reboot(Lease)} (lease restored after a restart), feeds every
 * received datagram to {@link dev.terway.dhcp.client.DhcpClient#onDatagram(byte[], int, int)} and calls
 * {@link dev.terway.dhcp.client.DhcpClient#onTimer()} whenever
 * {@link dev.terway.dhcp.client.DhcpClient#nextDeadline()} is reached — all from one thread per client.
 */
package dev.terway.dhcp.client;
