package dev.terway.cni.pod;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Names and MAC addresses derived from an attachment (container id, interface name). Derived rather than
 * stored, so DEL, CHECK and GC find the host side again with no state, also after a daemon restart.
 *
 * <p>The host name is {@code tw} + 13 hex digits of SHA-256 (15 characters, the kernel's limit). MACs are
 * locally administered unicast: the pod side starts with 02, the host side with fe so it never becomes
 * the lowest MAC on the bridge (a bridge without a fixed MAC takes its lowest port's, and a changing
 * bridge MAC would break the node's own neighbours).
 */
public final class VethNames {

    /** Every host veth terway creates matches this; GC touches nothing else. */
    public static final Pattern HOST_VETH = Pattern.compile("tw[0-9a-f]{13}");
    public static final String ALIAS_PREFIX = "terway:";

    private VethNames() {
    }

    public static String hostVeth(String containerId, String ifname) {
        return "tw" + HexFormat.of().formatHex(digest(containerId, ifname)).substring(0, 13);
    }

    public static String hostMac(String containerId, String ifname) {
        return mac(0xfe, digest(containerId, ifname), 8);
    }

    public static String podMac(String containerId, String ifname) {
        return mac(0x02, digest(containerId, ifname), 16);
    }

    /** The link alias that tells an operator (and `ip link`) whose veth this is; at most 255 bytes. */
    public static String alias(String containerId, String ifname) {
        String alias = ALIAS_PREFIX + containerId + "/" + ifname;
        return alias.length() > 255 ? alias.substring(0, 255) : alias;
    }

    private static String mac(int first, byte[] hash, int from) {
        StringBuilder s = new StringBuilder(17).append(String.format("%02x", first));
        for (int i = 0; i < 5; i++) {
            s.append(':').append(String.format("%02x", hash[from + i] & 0xff));
        }
        return s.toString();
    }

    private static byte[] digest(String containerId, String ifname) {
        try {
            // Neither a container id nor an interface name may contain '/', so distinct pairs hash distinct text.
            return MessageDigest.getInstance("SHA-256")
                    .digest((containerId + "/" + ifname).getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JVM has SHA-256", e);
        }
    }
}
