package dev.terway.cni.attachment;

import dev.terway.cni.pod.VethNames;
import dev.terway.cni.spec.InvocationValidator;
import dev.terway.net.InterfaceName;
import java.nio.file.Path;
import java.util.Objects;

/**
 * What a successful ADD attached: the pod's host veth, the bridge it was put on and whether hairpin mode
 * was set. Enough to put the veth back when the bridge is deleted and created again (deleting a bridge
 * releases its ports, and the kernel never re-attaches them).
 *
 * <p>The host veth must be the one the attachment derives to ({@link VethNames#hostVeth}): the record's
 * file is named after it, so a record cannot point at, or be stored as, another attachment's veth.
 *
 * @param netns the pod's network namespace as CNI_NETNS named it; for the operator reading the record
 */
public record AttachmentRecord(String containerId, String ifname, Path netns, String hostVeth, String bridge,
                               boolean hairpin) {

    public AttachmentRecord {
        Objects.requireNonNull(containerId, "containerId");
        Objects.requireNonNull(ifname, "ifname");
        Objects.requireNonNull(netns, "netns");
        Objects.requireNonNull(hostVeth, "hostVeth");
        Objects.requireNonNull(bridge, "bridge");
        if (!InvocationValidator.isValidName(containerId)) {
            throw invalid("container id \"" + containerId + "\" is not [A-Za-z0-9][A-Za-z0-9_.-]*");
        }
        String ifnameProblem = InterfaceName.problem(ifname);
        if (ifnameProblem != null) {
            throw invalid("interface name " + InterfaceName.quoted(ifname) + " " + ifnameProblem);
        }
        if (!netns.isAbsolute()) {
            throw invalid("network namespace " + netns + " is not an absolute path");
        }
        String derived = VethNames.hostVeth(containerId, ifname);
        if (!hostVeth.equals(derived)) {
            throw invalid("host veth \"" + hostVeth + "\" is not " + derived + ", the one " + containerId + "/"
                    + ifname + " derives to");
        }
        String bridgeProblem = InterfaceName.problem(bridge);
        if (bridgeProblem != null) {
            throw invalid("bridge name " + InterfaceName.quoted(bridge) + " " + bridgeProblem);
        }
    }

    /** The record of an attachment, its host veth derived. */
    public static AttachmentRecord of(String containerId, String ifname, Path netns, String bridge, boolean hairpin) {
        return new AttachmentRecord(containerId, ifname, netns, VethNames.hostVeth(containerId, ifname), bridge,
                hairpin);
    }

    /** {@code containerId/ifname}, as the logs name an attachment. */
    public String attachment() {
        return containerId + "/" + ifname;
    }

    private static IllegalArgumentException invalid(String why) {
        return new IllegalArgumentException("invalid attachment record: " + why);
    }
}
