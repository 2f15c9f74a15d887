package dev.terway.dhcp.client;

import dev.terway.dhcp.codec.ClientIdentifier;
import dev.terway.dhcp.codec.DhcpOption;
import dev.terway.dhcp.codec.DhcpOptions;
import dev.terway.dhcp.codec.HardwareAddress;
import dev.terway.net.Ipv4;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Who the client is and how patiently it asks.
 *
 * @param interfaceName used in failure reports only
 * @param hardwareAddress chaddr (Ethernet, htype 1)
 * @param clientId option 61, the key servers remember leases by
 * @param hostName option 12
 * @param requestedAddress option 50 in DISCOVER: the address the client would like (after losing a held
 *                         lease, the client asks for that lease's address instead)
 * @param extraOptions sent in every DISCOVER and REQUEST after the client's own options
 * @param parameterRequestList option 55
 * @param retransmit back-off for DISCOVER, REQUEST in REQUESTING and REBOOTING
 * @param acquireTimeout how long an acquisition (start or re-acquire) may take before it fails
 * @param maxDiscovers DISCOVERs before an acquisition fails; 0 for no limit but the timeout
 * @param maxRequests REQUESTs in REQUESTING before discovering again, and in REBOOTING before the
 *                    client keeps the restored lease without an answer
 * @param minRenewRetransmit lower bound of the wait between REQUESTs in RENEWING and REBINDING
 *                           (60 s in RFC 2131 section 4.4.5)
 * @param arpProbe how long an acknowledged address is probed with ARP before the client binds it (RFC 2131
 *                 section 4.4.1, RFC 5227 section 2.1); zero: no probe, the ACK binds at once
 * @param arpProbes how many ARP probes go out in that time (PROBE_NUM, 3 in RFC 5227)
 * @param declineWait how long the client waits after a DHCPDECLINE before it discovers again (RFC 2131
 *                    section 3.1 step 5: at least ten seconds)
 * @param onAddressChange what to do when a lost lease is replaced by one for another address
 */
public record DhcpClientConfig(String interfaceName, HardwareAddress hardwareAddress,
                               Optional<ClientIdentifier> clientId, Optional<String> hostName,
                               Optional<Ipv4> requestedAddress, List<DhcpOption> extraOptions,
                               List<Integer> parameterRequestList, RetransmitPolicy retransmit,
                               Duration acquireTimeout, int maxDiscovers, int maxRequests,
                               Duration minRenewRetransmit, Duration arpProbe, int arpProbes,
                               Duration declineWait, AddressChangePolicy onAddressChange) {

    /** 1,3,6,12,15,26,28,51,54,58,59,119,121: everything {@link Lease} carries. */
    public static final List<Integer> DEFAULT_PARAMETERS = List.of(1, 3, 6, 12, 15, 26, 28, 51, 54, 58, 59, 119, 121);

    /** Options the state machine sets itself; an extra option may not override them. */
    private static final Set<Integer> CLIENT_OWNED = Set.of(DhcpOptions.MESSAGE_TYPE.code(),
            DhcpOptions.SERVER_ID.code(), DhcpOptions.REQUESTED_ADDRESS.code(), DhcpOptions.CLIENT_ID.code(),
            DhcpOptions.HOST_NAME.code(), DhcpOptions.PARAMETER_REQUEST_LIST.code(), DhcpOptions.OVERLOAD);

    public DhcpClientConfig {
        Objects.requireNonNull(interfaceName);
        Objects.requireNonNull(hardwareAddress);
        Objects.requireNonNull(onAddressChange);
        extraOptions = List.copyOf(extraOptions);
        parameterRequestList = List.copyOf(parameterRequestList);
        for (DhcpOption option : extraOptions) {
            if (CLIENT_OWNED.contains(option.code())) {
                throw new IllegalArgumentException("extra " + DhcpOptions.name(option.code())
                        + " is set by the DHCP client itself; configure it through its own setting");
            }
        }
        hostName.ifPresent(name -> DhcpOptions.HOST_NAME.encode(name));
        if (acquireTimeout.isNegative() || acquireTimeout.isZero()) {
            throw new IllegalArgumentException("acquire timeout must be positive: " + acquireTimeout);
        }
        if (maxDiscovers < 0) {
            throw new IllegalArgumentException("maxDiscovers must be >= 0 (0: no limit): " + maxDiscovers);
        }
        if (maxRequests < 1) {
            throw new IllegalArgumentException("maxRequests must be >= 1: " + maxRequests);
        }
        if (minRenewRetransmit.isNegative() || minRenewRetransmit.isZero()) {
            throw new IllegalArgumentException("minimum renewal retransmission must be positive: "
                    + minRenewRetransmit);
        }
        if (arpProbe.isNegative()) {
            throw new IllegalArgumentException("ARP probe time must be 0 (no probe) or more: " + arpProbe);
        }
        if (arpProbes < 1) {
            throw new IllegalArgumentException("arpProbes must be >= 1: " + arpProbes);
        }
        if (declineWait.isNegative()) {
            throw new IllegalArgumentException("the wait after a DHCPDECLINE must not be negative: " + declineWait);
        }
    }

    /** Whether the client probes acknowledged addresses before binding them. */
    public boolean probes() {
        return !arpProbe.isZero();
    }

    public static Builder builder(String interfaceName, HardwareAddress hardwareAddress) {
        return new Builder(interfaceName, hardwareAddress);
    }

    /**
     * Defaults follow RFC 2131: 4 s doubling to 64 s ± 25 %, 60 s renewal minimum; 60 s to acquire; no ARP
     * probe unless asked for (3 probes when asked), 10 s before discovering again after a DHCPDECLINE; an
     * address change is followed.
     */
    public static final class Builder {
        private final String interfaceName;
        private final HardwareAddress hardwareAddress;
        private Optional<ClientIdentifier> clientId = Optional.empty();
        private Optional<String> hostName = Optional.empty();
        private Optional<Ipv4> requestedAddress = Optional.empty();
        private final List<DhcpOption> extraOptions = new ArrayList<>();
        private List<Integer> parameterRequestList = DEFAULT_PARAMETERS;
        private RetransmitPolicy retransmit = RetransmitPolicy.RFC_2131;
        private Duration acquireTimeout = Duration.ofSeconds(60);
        private int maxDiscovers;
        private int maxRequests = 4;
        private Duration minRenewRetransmit = Duration.ofSeconds(60);
        private Duration arpProbe = Duration.ZERO;
        private int arpProbes = 3;
        private Duration declineWait = Duration.ofSeconds(10);
        private AddressChangePolicy onAddressChange = AddressChangePolicy.FOLLOW;

        private Builder(String interfaceName, HardwareAddress hardwareAddress) {
            this.interfaceName = interfaceName;
            this.hardwareAddress = hardwareAddress;
        }

        public Builder clientId(ClientIdentifier id) {
            this.clientId = Optional.of(id);
            return this;
        }

        public Builder hostName(String name) {
            this.hostName = Optional.of(name);
            return this;
        }

        public Builder requestedAddress(Ipv4 address) {
            this.requestedAddress = Optional.of(address);
            return this;
        }

        public Builder extraOption(DhcpOption option) {
            this.extraOptions.add(option);
            return this;
        }

        public Builder parameterRequestList(List<Integer> codes) {
            this.parameterRequestList = codes;
            return this;
        }

        public Builder retransmit(RetransmitPolicy policy) {
            this.retransmit = policy;
            return this;
        }

        public Builder acquireTimeout(Duration timeout) {
            this.acquireTimeout = timeout;
            return this;
        }

        public Builder maxDiscovers(int count) {
            this.maxDiscovers = count;
            return this;
        }

        public Builder maxRequests(int count) {
            this.maxRequests = count;
            return this;
        }

        public Builder minRenewRetransmit(Duration wait) {
            this.minRenewRetransmit = wait;
            return this;
        }

        /** Probe acknowledged addresses for {@code time} (zero: not at all) with {@code probes} ARP probes. */
        public Builder arpProbe(Duration time, int probes) {
            this.arpProbe = time;
            this.arpProbes = probes;
            return this;
        }

        public Builder declineWait(Duration wait) {
            this.declineWait = wait;
            return this;
        }

        public Builder onAddressChange(AddressChangePolicy policy) {
            this.onAddressChange = policy;
            return this;
        }

        public DhcpClientConfig build() {
            return new DhcpClientConfig(interfaceName, hardwareAddress, clientId, hostName, requestedAddress,
                    extraOptions, parameterRequestList, retransmit, acquireTimeout, maxDiscovers, maxRequests,
                    minRenewRetransmit, arpProbe, arpProbes, declineWait, onAddressChange);
        }
    }
}
