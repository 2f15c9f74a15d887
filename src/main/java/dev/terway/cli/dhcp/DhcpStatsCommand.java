package dev.terway.cli.dhcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "stats", mixinStandardHelpOptions = true,
        description = {"Prints the daemon's counters since it started, as JSON: ARP probes sent, address conflicts"
                + " found (acknowledged addresses another host had, declined with DHCPDECLINE), addresses bound"
                + " unchecked because a probe could not be sent, lost leases regained or changed, renewals late or"
                + " missed, leases lost by reason and leases restored at start.",
                "The daemon's --metrics-address serves the same counts as Prometheus metrics."})
public final class DhcpStatsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    SocketOption socket;

    @Override
    public Integer call() throws Exception {
        ObjectNode request = DaemonCall.JSON.createObjectNode();
        request.put("op", "stats");
        JsonNode stats = DaemonCall.call(socket.socket(), request, "read the daemon's counters");
        spec.commandLine().getOut().println(DaemonCall.pretty(stats));
        return 0;
    }
}
