package dev.terway.cli.dhcp;

import picocli.CommandLine.Command;

/** `terway dhcp`: the lease daemon and its clients. */
@Command(name = "dhcp", mixinStandardHelpOptions = true,
        description = "DHCP leases for pod interfaces: the daemon that holds them and its clients.",
        subcommands = {DhcpDaemonCommand.class, DhcpAcquireCommand.class, DhcpReleaseCommand.class,
                DhcpListCommand.class, DhcpStatsCommand.class})
public final class DhcpCommand {
}
