package dev.terway.cni.attachment;

import dev.terway.cni.pod.VethNames;
import dev.terway.cni.spec.InvocationValidator;
import dev.terway.net.InterfaceName;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * What a successful ADD attached: the pod's host veth, the bridge it was put on and whether hairpin mode
 * was set. Enough to put the veth back when the bridge is deleted and created again (deleting a bridge
 * releases its ports, and the kernel never re-attaches them).
 *
 * <p>The host veth must be the one the attachment derives to ({@link VethNames#hostVeth}): the record's
 * file is named after it, so a record cannot point at, or be stored as, another attachment's veth.
 *
 * <p>{@code address} and {@code addressChange} are for the operator: the pod's address as ADD configured it
 * and, after the daemon lost the pod's lease and the server granted another address, what changed (the
 * daemon updates the record then).
 *
 * @param netns the pod's network namespace as CNI_NETNS named it; for the operator reading the record
 * @param address the pod's address (CIDR) now, as far as terway knows; empty when it has none or it is unknown
 * @param addressChange the last change of the pod's address that Kubernetes does not know of
 */
public record AttachmentRecord(String containerId, String ifname, Path netns, String hostVeth, String bridge,
                               boolean hairpin, Optional<String> address, Optional<AddressChange> addressChange) {

    /**
     * The pod's address changed under it: its lease was lost (e.g. a DHCPNAK on renewal after the server lost
     * its database) and the server granted {@code to} instead of {@code from}.
     *
     * @param to     the address the server granted
     * @param policy {@code follow} (the pod has {@code to} now) or {@code remove} (it was released; the pod
     *               has no address)
     * @param cause  how the old lease ended
     */
    public record AddressChange(Instant at, String from, String to, String policy, String cause) {

        public AddressChange {
            Objects.requireNonNull(at, "at");
            Objects.requireNonNull(from, "from");
            Objects.requireNonNull(to, "to");
            Objects.requireNonNull(policy, "policy");
            Objects.requireNonNull(cause, "cause");
        }
    }

    /** A record without address facts. */
    public AttachmentRecord(String containerId, String ifname, Path netns, String hostVeth, String bridge,
                            boolean hairpin) {
        this(containerId, ifname, netns, hostVeth, bridge, hairpin, Optional.empty(), Optional.empty());
    }

    public AttachmentRecord {
        Objects.requireNonNull(containerId, "containerId");
        Objects.requireNonNull(ifname, "ifname");
        Objects.requireNonNull(netns, "netns");
        Objects.requireNonNull(hostVeth, "hostVeth");
        Objects.requireNonNull(bridge, "bridge");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(addressChange, "addressChange");
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

    /** This record with the pod's address. */
    public AttachmentRecord withAddress(Optional<String> cidr) {
        return new AttachmentRecord(containerId, ifname, netns, hostVeth, bridge, hairpin, cidr, addressChange);
    }

    /** This record after the change: the address is {@code to} under follow, none under remove. */
    public AttachmentRecord withAddressChange(AddressChange change) {
        Optional<String> now = change.policy().equals("remove") ? Optional.empty() : Optional.of(change.to());
        return new AttachmentRecord(containerId, ifname, netns, hostVeth, bridge, hairpin, now, Optional.of(change));
    }

    /** {@code containerId/ifname}, as the logs name an attachment. */
    public String attachment() {
        return containerId + "/" + ifname;
    }

    private static IllegalArgumentException invalid(String why) {
        return new IllegalArgumentException("invalid attachment record: " + why);
    }
}
