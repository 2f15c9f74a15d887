package dev.terway.cli.dhcp;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "release", mixinStandardHelpOptions = true,
        description = {"Gives a pod interface's lease back (DHCPRELEASE) and forgets it.",
                "Prints {\"released\":true,\"lease\":{…}}, or {\"released\":false} when nothing was held."})
public final class DhcpReleaseCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    SocketOption socket;

    @Option(names = "--container-id", required = true, paramLabel = "ID")
    String containerId;

    @Option(names = "--ifname", required = true, paramLabel = "IF")
    String ifname;

    @Override
    public Integer call() throws Exception {
        ObjectNode request = DaemonCall.JSON.createObjectNode();
        request.put("op", "release");
        request.put("containerId", containerId);
        request.put("ifname", ifname);
        spec.commandLine().getOut().println(DaemonCall.pretty(DaemonCall.call(socket.socket(), request,
                "release the lease of " + ifname + " of container " + containerId)));
        return 0;
    }
}
