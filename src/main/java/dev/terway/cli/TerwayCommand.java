package dev.terway.cli;

import dev.terway.cli.dhcp.DhcpCommand;
import picocli.CommandLine.Command;

/** The `terway` command group; each subcommand is a thin shell over a domain service. */
@Command(name = "terway",
        mixinStandardHelpOptions = true,
        versionProvider = TerwayVersion.class,
        description = "Bridges pods onto the node's own LAN, with addresses leased from the LAN's DHCP server.",
        subcommands = {SetupCommand.class, TeardownCommand.class, DhcpCommand.class, RunCommand.class,
                InstallCommand.class, UninstallCommand.class, ProgramsCommand.class, StatusCommand.class})
public final class TerwayCommand {
}
