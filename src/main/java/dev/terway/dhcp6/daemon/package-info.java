/**
 * The daemon's DHCPv6 leases: one {@link dev.terway.dhcp6.client.Dhcp6Client} per pod interface over a UDP
 * port 546 socket on the pod's link-local address ({@link dev.terway.jni.NetnsUdp6Socket}), persisted beside
 * the IPv4 leases, taken up again after a restart, released on DEL. The CNI verbs reach it through
 * {@code cni.ipam.DaemonDhcp6Gateway}. Lease events go to a
 * {@link dev.terway.dhcp6.daemon.Dhcp6LeaseEvents} so the pod's address keeps the lease's lifetimes.
 */
package dev.terway.dhcp6.daemon;
