package dev.terway.cli.dhcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "list", mixinStandardHelpOptions = true,
        description = "Prints every lease the daemon holds, IPv4 (DHCP) and IPv6 (DHCPv6), as a JSON array or a"
                + " table; each lease names its family.")
public final class DhcpListCommand implements Callable<Integer> {

    static final List<String> COLUMNS = List.of("FAMILY", "CONTAINER", "IFNAME", "POD", "ADDRESS", "GATEWAY",
            "SERVER", "EXPIRES");

    @Spec
    CommandSpec spec;

    @Mixin
    SocketOption socket;

    @Option(names = "--table", description = "A readable table instead of JSON.")
    boolean table;

    @Override
    public Integer call() throws Exception {
        ObjectNode request = DaemonCall.JSON.createObjectNode();
        request.put("op", "list");
        JsonNode leases = DaemonCall.call(socket.socket(), request, "list leases");
        PrintWriter out = spec.commandLine().getOut();
        if (table) {
            out.print(table(leases));
        } else {
            out.println(DaemonCall.pretty(leases));
        }
        return 0;
    }

    static String table(JsonNode leases) {
        List<List<String>> rows = new ArrayList<>();
        rows.add(COLUMNS);
        for (JsonNode l : leases) {
            String container = l.path("containerId").asText();
            String pod = l.hasNonNull("podName") ? l.path("podNamespace").asText() + "/" + l.path("podName").asText()
                    : "-";
            // Leases from a daemon that predates DHCPv6 carry no family: they are IPv4.
            rows.add(List.of(l.hasNonNull("family") ? l.get("family").asText() : "ipv4",
                    container.length() > 12 ? container.substring(0, 12) : container,
                    l.path("ifname").asText(), pod, l.path("address").asText(),
                    l.hasNonNull("gateway") ? l.path("gateway").asText() : "-",
                    l.path("server").asText(), l.path("expires").asText()));
        }
        int[] widths = new int[COLUMNS.size()];
        for (List<String> row : rows) {
            for (int i = 0; i < row.size(); i++) {
                widths[i] = Math.max(widths[i], row.get(i).length());
            }
        }
        StringBuilder text = new StringBuilder();
        for (List<String> row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.size(); i++) {
                line.append(i == row.size() - 1 ? row.get(i) : String.format("%-" + widths[i] + "s  ", row.get(i)));
            }
            text.append(line.toString().stripTrailing()).append('\n');
        }
        return text.toString();
    }
}
