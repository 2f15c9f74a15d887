/**
 * The native (JNI) helper: {@link dev.terway.jni.NetnsUdpSocket}, a UDP socket created inside a pod's
 * network namespace and bound to one of its interfaces, so the DHCP client can talk to the LAN's DHCP
 * server from the pod's side without shelling out and without the traffic ever touching the node's
 * own namespace. The C half lives in src/main/c and is built by Maven into target/native.
 */
package dev.terway.jni;
