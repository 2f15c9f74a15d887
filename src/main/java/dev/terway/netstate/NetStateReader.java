package dev.terway.netstate;

import dev.terway.plan.CommandResult;
import dev.terway.plan.CommandRunner;
import dev.terway.plan.ShellQuote;
import java.util.ArrayList;
import java.util.List;

/** Observes the network namespace this process runs in, through `ip -j`. */
public final class NetStateReader {

    private final CommandRunner runner;

    public NetStateReader(CommandRunner runner) {
        this.runner = runner;
    }

    public NetState read() {
        List<Link> links = IpJson.links(query("ip", "-j", "-d", "link", "show"));
        List<IpAddress> addresses = IpJson.addresses(query("ip", "-j", "addr", "show"));
        List<Route> routes = new ArrayList<>(
                IpJson.routes(query("ip", "-j", "-4", "route", "show", "table", "main"), Family.INET));
        routes.addAll(IpJson.routes(query("ip", "-j", "-6", "route", "show", "table", "main"), Family.INET6));
        return new NetState(links, addresses, routes);
    }

    private String query(String... argv) {
        CommandResult result = runner.run(List.of(argv));
        if (!result.succeeded()) {
            throw new IllegalStateException("failed to read network state: " + ShellQuote.join(result.argv())
                    + " exited " + result.exitCode() + ": " + result.stderr().strip());
        }
        return result.stdout();
    }
}
