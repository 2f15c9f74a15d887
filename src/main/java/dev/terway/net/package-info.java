/**
 * Small value types of networking that every layer shares and checks the same way: {@link
 * dev.terway.net.InterfaceName}, {@link dev.terway.net.Ipv4}, {@link dev.terway.net.Ipv4Cidr}, {@link
 * dev.terway.net.Ipv6}, {@link dev.terway.net.Ipv6Cidr}. java.base only and free of terway's other packages, because the thin `cni-terway` client may use them on its forwarding
 * path (see ThinClientClassLoadTest).
 */
package dev.terway.net;
