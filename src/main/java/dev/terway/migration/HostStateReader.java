package dev.terway.migration;

import dev.terway.netstate.Ipv6Settings;
import dev.terway.netstate.Ipv6SettingsReader;
import dev.terway.netstate.NetState;
import dev.terway.netstate.NetStateReader;
import dev.terway.plan.CommandResult;
import dev.terway.plan.ShellQuote;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Reads what the planners need from the host. Reads are not audited: they change nothing, and the
 * audit log is the record of what terway did to the node.
 */
final class HostStateReader {

    private final Host host;

    HostStateReader(Host host) {
        this.host = host;
    }

    NetState read() throws MigrationException {
        try {
            return new NetStateReader(host.commands()).read();
        } catch (RuntimeException e) {
            throw new MigrationException("cannot read the network state: " + e.getMessage(), e);
        }
    }

    /** The IPv6 settings of the defaults and of those of {@code devices} that exist in {@code state}. */
    Ipv6Settings ipv6(NetState state, String... devices) throws MigrationException {
        try {
            return new Ipv6SettingsReader(host.commands()).read(
                    Stream.of(devices).filter(d -> state.link(d).isPresent()).toList());
        } catch (RuntimeException e) {
            throw new MigrationException("cannot read the IPv6 settings: " + e.getMessage(), e);
        }
    }

    /** The neighbour caches of every device. */
    List<Neighbour> neighbours() throws MigrationException {
        List<String> argv = List.of("ip", "-j", "neigh", "show");
        CommandResult result = host.commands().run(argv);
        if (!result.succeeded()) {
            throw new MigrationException("cannot read the neighbour cache: " + ShellQuote.join(argv) + " exited "
                    + result.exitCode() + ": " + result.stderr().strip());
        }
        try {
            return Neighbour.parse(result.stdout());
        } catch (IllegalArgumentException e) {
            throw new MigrationException("cannot read the neighbour cache: " + e.getMessage(), e);
        }
    }

    /** STP settings of {@code bridge}; only asked when {@code state} shows such a bridge. */
    Optional<BridgeOptions> bridgeOptions(NetState state, String bridge) throws MigrationException {
        if (state.link(bridge).filter(l -> l.isBridge()).isEmpty()) {
            return Optional.empty();
        }
        List<String> argv = List.of("ip", "-j", "-d", "link", "show", "dev", bridge);
        CommandResult result = host.commands().run(argv);
        if (!result.succeeded()) {
            throw new MigrationException("cannot read the settings of bridge " + bridge + ": "
                    + ShellQuote.join(argv) + " exited " + result.exitCode() + ": " + result.stderr().strip());
        }
        try {
            return BridgeOptions.parse(result.stdout(), bridge);
        } catch (IllegalArgumentException e) {
            throw new MigrationException("cannot read the settings of bridge " + bridge + ": " + e.getMessage(), e);
        }
    }
}
