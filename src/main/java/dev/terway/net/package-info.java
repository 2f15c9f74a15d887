/**
 * Small value types of networking that every layer shares and checks the same way: {@link
 * dev.terway.net.InterfaceName}. java.base only and free of terway's other packages, because the thin
 * `cni-terway` client uses them on its forwarding path (see ThinClientClassLoadTest).
 */
package dev.terway.net;
